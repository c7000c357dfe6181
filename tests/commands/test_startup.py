"""Start-up stays light: `--help`, `--version` and completion never import the heavy parts,
and the root `--help` and `--version` import nothing but what they print."""

from __future__ import annotations

import json
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


# What `duckstring --version` and `duckstring --help` may import beyond a bare interpreter.
FAST = {
    "--version": {"duckstring", "duckstring.entry"},
    "--help": {"duckstring", "duckstring.entry", "duckstring.reference",
               "duckstring.reference.roothelp_text"},
}
# The environment of a plain pipe: none of the variables that send the root help to rich.
PLAIN_ENV = {"PYTHONIOENCODING": "utf-8", "TERM": "xterm"}
NOT_PLAIN = ("COLUMNS", "TERMINAL_WIDTH", "FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "NO_COLOR",
             "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS", "_TYPER_FORCE_DISABLE_TERMINAL")


def run_entry(args: list[str], env: dict[str, str] | None = None,
              runner: str = "duckstring.entry") -> tuple[str, set[str]]:
    """Run `main` of `runner` as the `duckstring` script would, in a fresh interpreter: what it
    printed, and the modules it imported."""
    code = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        f"sys.argv = ['duckstring', *{args!r}]\n"
        f"from {runner} import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stdout.flush()\n"
        "print(json.dumps(sorted(set(sys.modules) - before)), file=sys.stderr)\n"
    )
    base = {k: v for k, v in os.environ.items() if k not in NOT_PLAIN}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={**base, **PLAIN_ENV, **(env or {})})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, set(json.loads(proc.stderr.splitlines()[-1]))


@pytest.mark.parametrize("arg", sorted(FAST))
def test_root_help_and_version_import_only_what_they_print(arg: str) -> None:
    out, loaded = run_entry([arg])
    assert out.startswith("duckstring 0.") if arg == "--version" else "Usage: duckstring" in out
    assert loaded == FAST[arg]


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["--version"]])
def test_the_fast_path_prints_what_the_cli_prints(args: list[str]) -> None:
    fast, _ = run_entry(args)
    full, loaded = run_entry(args, runner="duckstring.cli")
    assert "typer" in loaded  # the reference really went through Typer and rich
    assert fast == full


def test_an_environment_that_changes_the_help_goes_to_rich() -> None:
    out, loaded = run_entry(["--help"], env={"COLUMNS": "100"})
    assert "typer" in loaded
    assert max(len(line) for line in out.splitlines()) == 100


@pytest.mark.parametrize("args", [
    ["trigger", "--help"], ["trigger", "pulse", "--help"],
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
