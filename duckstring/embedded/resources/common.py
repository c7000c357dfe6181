"""Helpers shared by the resources: resolving a Pond to its line, reading bodies, parsing
times."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import falcon

from duckstring.embedded.errors import BadRequest, Invalid, NotFound
from duckstring.engine import line_id
from duckstring.times import parse_instant

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment


def resolve_line(c: Catchment, name: str, req: falcon.Request) -> str:
    """`?major=` picks the line (default: the highest deployed major); `?version=` must be
    its line's selected version."""
    co = c.coordinator
    majors = sorted(int(line.rpartition("@")[2]) for line in co.selected if line.rpartition("@")[0] == name)
    if not majors:
        raise NotFound(f"no Pond named {name!r} is deployed")
    version = req.get_param("version")
    major = req.get_param_as_int("major")
    if version is not None and major is None:
        try:
            major = int(version.split(".", 1)[0])
        except ValueError:
            raise BadRequest(f"version {version!r} is not X.Y.Z") from None
    if major is None:
        major = majors[-1]
    line = line_id(name, major)
    if line not in co.selected:
        raise NotFound(f"{name} has no major {major}; deployed majors: {majors}")
    if version is not None and co.selected[line].version != version:
        raise Invalid(
            f"{name} {version} is not the selected version of {line} "
            f"(selected: {co.selected[line].version})"
        )
    return line


def body(req: falcon.Request) -> dict[str, Any]:
    """The JSON object body, or {} when there is none."""
    if not req.content_length:
        return {}
    try:
        data = req.get_media()
    except falcon.MediaMalformedError:
        raise BadRequest("the body is not valid JSON") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


def instant(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return parse_instant(str(value))
    except ValueError as e:
        raise BadRequest(f"{field}: {e}") from None


def number(value: Any, field: str, *, minimum: float = 0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise BadRequest(f"{field} must be a number ≥ {minimum:g}")
    return float(value)
