"""What a Pond author writes: the `@ripple` and `@puddle` decorators (docs/authoring.md), and
reading them back from a Pond's module.

The decorators return the function unchanged; they only attach a description, so importing a
Pond module has no side effects beyond defining its functions.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar, overload

F = TypeVar("F", bound=Callable[..., Any])
NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_ATTR = "__duckstring_ripple__"
_PUDDLE_ATTR = "__duckstring_puddle__"


@dataclass(frozen=True)
class RippleDef:
    name: str
    parents: tuple[str, ...]
    always_run: bool
    func: Callable[..., Any]


@dataclass(frozen=True)
class PuddleDef:
    target: str  # "source.table"
    func: Callable[..., Any]


def _parent_name(p: Any) -> str:
    if isinstance(p, str):
        return p
    info = getattr(p, _ATTR, None)
    if isinstance(info, RippleDef):
        return info.name
    raise TypeError(f"parents must be @ripple functions or their names, not {p!r}")


@overload
def ripple(func: F, /) -> F: ...
@overload
def ripple(
    *, parents: Iterable[Any] = (), name: str | None = None, always_run: bool = False
) -> Callable[[F], F]: ...


def ripple(
    func: Any = None, /, *, parents: Iterable[Any] = (), name: str | None = None,
    always_run: bool = False,
) -> Any:
    """Declare a Ripple: `@ripple` or `@ripple(parents=[other], name=None, always_run=False)`.

    `parents` are other Ripples of the same Pond that must complete first in the same run;
    Ripples with no path between them run in parallel. `always_run` makes every run of the
    Pond execute, even when no Source changed.
    """
    parent_names = tuple(_parent_name(p) for p in parents)

    def register(f: F) -> F:
        setattr(f, _ATTR, RippleDef(name or f.__name__, parent_names, bool(always_run), f))
        return f

    return register(func) if func is not None else register


def puddle(target: str) -> Callable[[F], F]:
    """Declare a Puddle: a local stand-in for a Source's published table (`"source.table"`)."""
    if not isinstance(target, str) or target.count(".") != 1:
        raise ValueError(f"@puddle needs 'source.table', not {target!r}")

    def register(f: F) -> F:
        setattr(f, _PUDDLE_ATTR, PuddleDef(target, f))
        return f

    return register


def ripples_of(module: ModuleType) -> list[RippleDef]:
    """The Ripples a module declares, in definition order."""
    found: dict[str, RippleDef] = {}
    for value in vars(module).values():
        info = getattr(value, _ATTR, None)
        if isinstance(info, RippleDef) and info.func is value:
            if info.name in found:
                raise ValueError(f"two Ripples are named {info.name!r}")
            found[info.name] = info
    return list(found.values())


def puddles_of(module: ModuleType) -> list[PuddleDef]:
    return [
        info for value in vars(module).values()
        if isinstance(info := getattr(value, _PUDDLE_ATTR, None), PuddleDef)
    ]


def import_file(path: Path, project: Path, module_name: str) -> ModuleType:
    """Import a Pond's module from `path`, with its project's directories importable so the
    module can import its own helpers."""
    for entry in (str(path.parent), str(project)):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
