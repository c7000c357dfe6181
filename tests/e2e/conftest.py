"""Fixtures for end-to-end tests: a temporary DUCKSTRING_HOME and root, short runtime knobs, a
real Catchment process, and small Pond projects written on the fly."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import FAST_ENV, CatchmentProc, deploy, processes_under


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    out = {k: v for k, v in os.environ.items() if not k.startswith("DUCKSTRING_")}
    out.update(FAST_ENV)
    out["DUCKSTRING_HOME"] = str(home)
    return out


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "root"


@pytest.fixture
def start_catchment(root: Path, env: dict[str, str]) -> Iterator[object]:
    """`start_catchment(**env_overrides)` → a started CatchmentProc; all are stopped after the
    test, and no process may be left running on the root."""
    started: list[CatchmentProc] = []

    def start(key: str | None = None, root_dir: Path | None = None, port: int | None = None,
              **overrides: str) -> CatchmentProc:
        proc = CatchmentProc(root_dir or root, {**env, **overrides}, key=key, port=port)
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        proc.stop()
    leftovers = [pid for proc in started for pid in processes_under(proc.root)]
    for pid in leftovers:
        os.kill(pid, 9)
    assert not leftovers, f"processes left running on the root: {leftovers}"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    from duckstring.demo import write_demo

    dest = tmp_path / "demo"
    write_demo(dest)
    return dest


def deploy_demo(client: object, demo: Path) -> None:
    for name in ("transactions", "products", "sales", "reports"):
        r = deploy(client, demo / name)  # type: ignore[arg-type]
        assert r.status_code == 201, r.text


def write_pond(base: Path, name: str, version: str, code: str, *, sources: dict[str, str] | None = None,
               kind: str = "pond", extra: str = "") -> Path:
    """A small Pond project: pond.toml plus src/pond.py holding `code`."""
    project = base / f"{name}-{version}"
    (project / "src").mkdir(parents=True, exist_ok=True)
    lines = ["[pond]", f'name = "{name}"', f'version = "{version}"', f'type = "{kind}"']
    if extra:
        lines.append(extra)
    if sources:
        lines.append("[sources]")
        lines.extend(f'{k} = "{v}"' for k, v in sources.items())
    (project / "pond.toml").write_text("\n".join(lines) + "\n")
    (project / "src" / "pond.py").write_text(textwrap.dedent(code))
    return project
