"""Start-up stays light: `--help`, `--version` and completion never import the heavy parts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("duckdb", "pyarrow", "falcon", "waitress")


def imported(args: list[str], env: dict[str, str] | None = None) -> set[str]:
    """Top-level packages imported by `python -m duckstring ARGS` (from -X importtime)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "duckstring", *args],
        capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.mark.parametrize("args", [
    ["--help"], ["--version"], ["trigger", "--help"], ["trigger", "pulse", "--help"],
    ["catchment", "init", "--help"], ["query", "--help"],
])
def test_help_and_version_do_not_import_heavy_modules(args: list[str]) -> None:
    loaded = imported(args)
    assert "typer" in loaded  # the measurement works
    assert not loaded & set(HEAVY), f"{args} imported {sorted(loaded & set(HEAVY))}"


def test_completion_does_not_import_heavy_modules(tmp_path: Path) -> None:
    # The scripts are static (Tab never starts Python); printing and installing them stays light.
    env = {"SHELL": "/bin/bash", "HOME": str(tmp_path)}
    assert not imported(["--show-completion"], env) & set(HEAVY)
    assert not imported(["--install-completion"], env) & set(HEAVY)


def test_ds_is_the_same_program() -> None:
    ds = Path(sys.executable).parent / "ds"
    if not ds.exists():
        pytest.skip("the ds entry point is not installed next to this interpreter")
    out = subprocess.run([str(ds), "--version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.startswith("duckstring ")
    helped = subprocess.run([str(ds), "--help"], capture_output=True, text=True, timeout=30)
    assert helped.returncode == 0 and "catchment" in helped.stdout
