"""The engine is pure (model.md preamble, STYLE.md): no I/O, no clocks, no threads — a test
walks its imports — and it type-checks under `mypy --strict`."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

import duckstring.engine

ENGINE = Path(duckstring.engine.__file__).parent
MODULES = sorted(ENGINE.rglob("*.py"))

FORBIDDEN = {
    "sqlite3", "duckdb", "threading", "_thread", "multiprocessing", "concurrent", "asyncio",
    "time", "datetime", "os", "sys", "io", "pathlib", "shutil", "tempfile", "glob",
    "socket", "ssl", "select", "selectors", "subprocess", "signal", "random", "secrets", "uuid",
    "falcon", "waitress", "httpx", "urllib", "http", "requests", "pyarrow", "logging",
    "duckstring.simulator", "duckstring.cli", "duckstring.commands", "duckstring.embedded",
    "duckstring.duck",
}
FORBIDDEN_CALLS = {"open", "print", "input", "exec", "eval", "__import__", "breakpoint"}


def imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def offending(names: set[str]) -> list[str]:
    return sorted(n for n in names for bad in FORBIDDEN if n == bad or n.startswith(bad + "."))


def test_the_walk_sees_every_module() -> None:
    assert {p.stem for p in MODULES} >= {
        "control", "demand", "engine", "events", "faults", "freshness", "pond", "ripples",
        "sources", "topology", "triggers", "windows", "executor",
    }


def test_the_check_catches_what_it_should() -> None:
    tree = ast.parse("import os.path\nfrom time import monotonic\nfrom duckstring.engine import x\n")
    assert offending(imported(tree)) == ["os.path", "time", "time.monotonic"]


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_engine_module_imports_nothing_that_does_io_or_reads_clocks(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    assert offending(imported(tree)) == []
    calls = {
        node.func.id for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert calls & FORBIDDEN_CALLS == set()


def test_engine_passes_mypy_strict() -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed")
    from mypy import api

    stdout, stderr, status = api.run(
        ["--strict", "--no-incremental", "--cache-dir", "/dev/null", "--python-version",
         "3.10", str(ENGINE)])
    assert status == 0, stdout + stderr
