"""The authoring surface Pond code imports from `duckstring` (docs/authoring.md), pinned: a
change to a re-exported name or to a `pond` method's parameters is a deliberate edit here."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import duckstring
from duckstring.authoring import puddle, ripple
from duckstring.duck.handle import PondHandle

DOCS = Path(__file__).resolve().parents[2] / "docs" / "authoring.md"

HANDLE = {  # public method: its parameters (after self), as Pond code calls them
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
    out = []
    for p in list(inspect.signature(fn).parameters.values())[1:]:  # type: ignore[arg-type]
        out.append(p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}")
    return out


def test_the_package_re_exports_exactly_the_authoring_names() -> None:
    assert duckstring.__all__ == ["PondHandle", "__version__", "puddle", "ripple"]
    assert duckstring.PondHandle is PondHandle
    assert duckstring.ripple is ripple
    assert duckstring.puddle is puddle


def test_the_pond_handle_methods_are_pinned() -> None:
    public = {n: m for n, m in inspect.getmembers(PondHandle, inspect.isfunction)
              if not n.startswith("_")}
    assert {n: _params(m) for n, m in public.items()} == HANDLE


def test_every_method_and_attribute_is_in_the_authoring_guide() -> None:
    guide = DOCS.read_text(encoding="utf-8")
    for name in [*HANDLE, *ATTRIBUTES]:
        assert re.search(rf"pond\.{name}\b", guide), f"docs/authoring.md does not show pond.{name}"
