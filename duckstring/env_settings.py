"""Settings read from environment variables, each declared once (docs/operating.md §10).

A settings class is a frozen dataclass whose fields say where they come from:

    liveness_s: float = setting(60.0, "DUCKSTRING_LIVENESS_S", number())

names the field, its variable, its default and how the variable's text becomes a value.
`read(cls, env)` builds the instance: a variable that is unset or empty leaves the default, a
field with no variable keeps its default, and text that does not parse stops with one line that
names the variable. Clamps (`least`) apply to what the environment gives, not to arguments.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, field, fields
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
S = TypeVar("S")

Parse = Callable[[str, str], Any]  # (variable, its non-empty text) -> the field's value
_VAR, _PARSE, _UNSET = "duckstring.env", "duckstring.parse", "duckstring.unset"


def setting(default: T, var: str | None = None, parse: Parse | None = None, *,
            secret: bool = False) -> T:
    """A field with `default`, read from `var` through `parse` (text as is when None).
    A `secret` one is left out of the repr."""
    metadata = {} if var is None else {_VAR: var, _PARSE: parse or text}
    made: T = field(default=default, repr=not secret, metadata=metadata)
    return made


def variable(var: str, parse: Parse, unset: str) -> dict[str, Any]:
    """The metadata of a field without a default in code (`field(metadata=variable(...))`):
    from the environment it is `var`, else `unset`, parsed."""
    return {_VAR: var, _PARSE: parse, _UNSET: unset}


def read(cls: type[S], env: Mapping[str, str] | None = None, **overrides: Any) -> S:
    """An instance of the settings dataclass `cls` from `env` (the process environment when
    None), then `overrides` by field name."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        var = f.metadata.get(_VAR)
        if var is None:
            continue
        raw = env.get(var) or f.metadata.get(_UNSET)
        if raw:
            values[f.name] = f.metadata[_PARSE](var, raw)
    return cls(**{**values, **overrides})


def declared(cls: type) -> dict[str, tuple[str, Any]]:
    """Variable -> (field name, default) of each field of `cls` read from the environment."""
    out: dict[str, tuple[str, Any]] = {}
    for f in fields(cls):
        if _VAR in f.metadata:
            out[f.metadata[_VAR]] = (f.name, _default(f))
    return out


def _default(f: Field[Any]) -> Any:
    return None if f.default is MISSING else f.default


# ---- parsers -----------------------------------------------------------------------------


def text(var: str, raw: str) -> str:
    return raw


def url(var: str, raw: str) -> str | None:
    """A base URL without its trailing slashes."""
    return raw.rstrip("/") or None


def path(var: str, raw: str) -> Path:
    return Path(raw).expanduser().absolute()


def number(least: float | None = None, *, whole: bool = False, scale: float = 1) -> Parse:
    """A number, at least `least`; `whole` truncates it to an int after multiplying by `scale`
    (a variable in MB for a field in bytes)."""

    def parse(var: str, raw: str) -> float | int:
        try:
            value = float(raw)
        except ValueError:
            raise SystemExit(f"error: {var}={raw!r} is not a number") from None
        if least is not None:
            value = max(least, value)
        value *= scale
        return int(value) if whole else value

    return parse
