"""Real processes for end-to-end tests: a Catchment served by Waitress on a free 127.0.0.1 port
(`python -m duckstring.embedded`), real Duck subprocesses, real files in a temporary root."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

# Short runtime knobs (spec: runtime.md's environment) so tests never wait on production timings.
FAST_ENV = {
    "DUCKSTRING_DEMO_SPEED": "0",
    "DUCKSTRING_HEARTBEAT_S": "0.5",
    "DUCKSTRING_LIVENESS_S": "10",
    "DUCKSTRING_DUCK_IDLE_S": "30",
    "DUCKSTRING_STUCK_S": "30",
    "DUCKSTRING_DEBUG": "1",  # an unexpected error shows its traceback in a failure report
    "PYTHONFAULTHANDLER": "1",  # and a crash shows where
}

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], T], timeout: float = 30.0, interval: float = 0.05,
               what: str = "condition") -> T:
    """Poll `check` until it returns something truthy; fail with `what` on timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def rss_mb(pid: int) -> float | None:
    """Resident memory of a live process, in MB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def processes_under(root: Path) -> list[int]:
    """Pids of live processes whose command line mentions `root` (Ducks, Catchments)."""
    pids = []
    needle = str(root).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if needle in cmdline and state != "Z":
            pids.append(int(entry.name))
    return pids


class CatchmentProc:
    def __init__(self, root: Path, env: dict[str, str], *, key: str | None = None,
                 port: int | None = None) -> None:
        self.root = root
        self.env = env
        self.key = key
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = root.parent / f"{root.name}-catchment.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, key: str | None = None, timeout: float = 60.0) -> httpx.Client:
        key = key if key is not None else self.key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def start(self, timeout: float = 30.0) -> CatchmentProc:
        env = {**self.env}
        if self.key:
            env["DUCKSTRING_API_KEY"] = self.key
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "duckstring.embedded", "--root", str(self.root),
                 "--port", str(self.port)],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )

        def healthy() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"the Catchment exited: {self.log.read_text()[-3000:]}")
            try:
                return httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, timeout, what="the Catchment to answer /api/health")
        return self

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()


def deploy(client: httpx.Client, project: Path) -> httpx.Response:
    from duckstring.packaging import pack_project

    manifest = (project / "pond.toml").read_text()
    return client.post(
        "/api/deploy",
        files={"manifest": ("pond.toml", manifest.encode(), "text/plain"),
               "archive": ("project.zip", pack_project(project), "application/zip")},
    )


def pond(client: httpx.Client, name: str) -> dict[str, Any]:
    doc = client.get("/api/status").raise_for_status().json()
    return next(p for p in doc["ponds"] if p["name"] == name)


def settled(client: httpx.Client, name: str, target: str | None = None) -> dict[str, Any] | None:
    """The Pond's status once it is idle with `end_f >= target`, else None."""
    p = pond(client, name)
    if p["status"] in ("failed", "killed", "blocked"):
        raise AssertionError(f"{name} ended {p['status']}: {p.get('error')}")
    done = p["status"] == "idle" and p["end_f"] is not None
    if target is not None:
        done = done and p["end_f"] >= target
    return p if done else None


def waitress_serve(root: Path, env: dict[str, str], port: int, log: Path,
                   *extra: str) -> subprocess.Popen[bytes]:
    """The documented host: `waitress-serve --listen 127.0.0.1:PORT duckstring.embedded.wsgi:app`
    (Waitress's own defaults unless `extra` options say otherwise)."""
    import shutil

    exe = shutil.which("waitress-serve", path=str(Path(sys.executable).parent)) or "waitress-serve"
    with open(log, "ab") as out:
        return subprocess.Popen(
            [exe, "--listen", f"127.0.0.1:{port}", *extra, "duckstring.embedded.wsgi:app"],
            env={**env, "DUCKSTRING_ROOT": str(root)}, stdout=out, stderr=subprocess.STDOUT,
        )


def serving(url: str) -> Callable[[], bool]:
    """A check for `wait_until`: whether `url` answers /api/health."""

    def up() -> bool:
        try:
            return httpx.get(f"{url}/api/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    return up
