"""`duckstring`'s public names are exactly these (docs/authoring.md); adding or removing one is
a decision, not an accident. They load on first use, so `import duckstring` stays cheap."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import duckstring

PUBLIC = ["PondHandle", "__version__", "puddle", "ripple"]


def test_all_is_pinned() -> None:
    assert duckstring.__all__ == PUBLIC


def test_every_public_name_resolves() -> None:
    from duckstring.authoring import puddle, ripple
    from duckstring.duck.handle import PondHandle

    assert (duckstring.puddle, duckstring.ripple, duckstring.PondHandle) == (
        puddle, ripple, PondHandle)
    assert inspect.isclass(duckstring.PondHandle)
    assert duckstring.__version__.count(".") == 2
    assert set(PUBLIC) <= set(dir(duckstring))


def test_star_import_gives_the_public_names() -> None:
    names: dict[str, object] = {}
    exec("from duckstring import *", names)
    assert set(names) - {"__builtins__"} == set(PUBLIC)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        duckstring.no_such_name  # type: ignore[attr-defined]  # noqa: B018


def test_importing_the_package_loads_none_of_them() -> None:
    code = "import sys, duckstring; print(sorted(m for m in sys.modules if m.startswith('duckstring')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "['duckstring']", out.stderr


HANDLE = {  # the pond handle's public methods and their parameters, as Pond code calls them
    "read_table": ["table"],
    "write_table": ["name", "data", "key=None"],
    "append_table": ["name", "data"],
    "merge_table": ["name", "data", "key"],
    "delete_rows": ["name", "where"],
    "read_changes": ["table"],
    "changes_complete": ["table"],
    "apply_changes": ["name", "changes", "key"],
    "sources_changed": [],
    "skip": [],
}
ATTRIBUTES = ["name", "version", "f", "previous_f", "con", "log"]


def _params(fn: object) -> list[str]:
    params = list(inspect.signature(fn).parameters.values())[1:]  # type: ignore[arg-type]
    return [p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}"
            for p in params]


def test_the_pond_handle_methods_are_pinned() -> None:
    public = {n: m for n, m in inspect.getmembers(duckstring.PondHandle, inspect.isfunction)
              if not n.startswith("_")}
    assert {n: _params(m) for n, m in public.items()} == HANDLE


def test_every_handle_member_is_in_the_authoring_guide() -> None:
    import re
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[1] / "docs" / "authoring.md").read_text("utf-8")
    for name in [*HANDLE, *ATTRIBUTES]:
        assert re.search(rf"pond\.{name}\b", guide), f"docs/authoring.md does not show pond.{name}"
