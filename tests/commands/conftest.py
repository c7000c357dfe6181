"""The real command line in subprocesses, against real Catchments, in a temporary
DUCKSTRING_HOME (and HOME, so nothing touches the real one)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.harness import FAST_ENV, free_port, processes_under, wait_until


@dataclass
class Result:
    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


@dataclass
class Cli:
    """`cli("trigger", "pulse", "reports")` runs `python -m duckstring …` and returns a Result."""

    base: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return Path(self.env["DUCKSTRING_HOME"])

    def __call__(self, *args: str, timeout: float = 100, cwd: Path | None = None,
                 env: dict[str, str] | None = None, input: str | None = None) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "duckstring", *args], cwd=cwd or self.base,
            env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=timeout,
            **({"input": input} if input is not None else {"stdin": subprocess.DEVNULL}),
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def ok(self, *args: str, **kw: object) -> Result:
        r = self(*args, **kw)  # type: ignore[arg-type]
        assert r.code == 0, f"duckstring {' '.join(args)}: {r}"
        return r

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "duckstring", *args], cwd=self.base, env=self.env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )


def make_cli(base: Path) -> Cli:
    home = base / "home"
    (home / "user").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUCKSTRING_")}
    env.pop("COLUMNS", None)
    env.update(FAST_ENV, DUCKSTRING_HOME=str(home), HOME=str(home / "user"))
    return Cli(base, env)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return make_cli(tmp_path)


@pytest.fixture
def runner(tmp_path: Path) -> Any:
    """The command line in this process, no Catchment (tests/commands/inprocess.py)."""
    from tests.commands.inprocess import runner

    return runner(tmp_path)


@pytest.fixture
def inprocess(tmp_path: Path) -> Iterator[Any]:
    """The command line in this process against an in-process app (tests/commands/inprocess.py)."""
    from tests.commands.inprocess import open_inprocess

    yield from open_inprocess(tmp_path)


def assert_nothing_running(root: Path) -> None:
    """No Catchment or Duck left on the root, and its lock free."""
    from duckstring.embedded.root_lock import FileLock
    from duckstring.layout import Layout

    wait_until(lambda: not processes_under(root), timeout=15, what="no process left on the root")
    assert not FileLock(Layout(root).lock).is_held(), "the root is still locked"


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGINT, timeout: float = 30) -> tuple[int, str, str]:
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, out, err


def local_demo(cli: Cli, name: str = "dev", *, key: bool = False) -> tuple[Path, int]:
    """Register a local Catchment (not started) and deploy the demo Ponds to it on demand."""
    port = free_port()
    args = ["catchment", "init", "-n", name, "-p", str(port), "--no-start", "-y"]
    cli.ok(*args, *(["--generate-key"] if key else []))
    cli.ok("pond", "demo", "demo")
    cli.ok("pond", "deploy", "demo", "--all", "-y", "-c", name)
    return cli.home / name, port


@pytest.fixture(scope="module")
def module_cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    yield make_cli(tmp_path_factory.mktemp("cli"))


def answers(url: str) -> bool:
    """Whether a Catchment answers `GET /api/health` at `url`."""
    try:
        return httpx.get(f"{url}/api/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def serving(cli: Cli, name: str = "dev", **env: str) -> Iterator[str]:
    """`catchment start NAME` (with extra environment) for the block; yields its URL and
    checks that Ctrl+C stopped it cleanly."""
    from duckstring.config import Config

    url = Config.load(cli.home / "config.toml").get(name).url
    proc = subprocess.Popen([sys.executable, "-m", "duckstring", "catchment", "start", name],
                            cwd=cli.base, env={**cli.env, **env}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: answers(url), timeout=30, what=f"{name} to serve")
        yield url
    finally:
        code, _, err = stop(proc)
        assert code == 0, err
