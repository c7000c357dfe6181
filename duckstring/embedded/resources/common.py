"""Helpers shared by the resources: resolving a Pond to its line, reading bodies, parsing
times and numbers.

What the API accepts as JSON is decided here, once for every route: `StrictJSON` parses bodies
(no NaN or Infinity, no number that overflows a float, at most `MAX_DEPTH` levels of nesting,
at most `MAX_BODY_BYTES`), and `number` bounds each numeric field, so no value the engine or
the database cannot hold gets past a responder.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import falcon
import falcon.media

from duckstring.embedded.domain_errors import BadInput, Invalid, NotFound, TooLarge
from duckstring.engine import line_id
from duckstring.lines import split_line
from duckstring.times import parse_instant

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment


def resolve_line(c: Catchment, name: str, req: falcon.Request) -> str:
    """`?major=` picks the line (default: the highest deployed major); `?version=` must be
    its line's selected version."""
    co = c.coordinator
    majors = sorted(m for n, m in map(split_line, co.selected) if n == name)
    if not majors:
        raise NotFound(f"no Pond named {name!r} is deployed")
    version = req.get_param("version")
    major = req.get_param_as_int("major")
    if version is not None and major is None:
        try:
            major = int(version.split(".", 1)[0])
        except ValueError:
            raise BadInput(f"version {version!r} is not X.Y.Z") from None
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


MAX_BODY_BYTES = 16 << 20  # far above any real body (a Duck's event batch splits when refused)
MAX_DEPTH = 32
MAX_SECONDS = 10 * 365 * 86_400  # the longest duration a field takes: ten years
MAX_BUDGET = 1000


class StrictJSON(falcon.media.BaseHandler):
    """The JSON request-body handler of every route."""

    def deserialize(self, stream: Any, content_type: str | None,
                    content_length: int | None) -> Any:
        if content_length is not None and content_length > MAX_BODY_BYTES:
            raise TooLarge(f"the body is {content_length} bytes; the limit is {MAX_BODY_BYTES}")
        data = stream.read(MAX_BODY_BYTES + 1)
        if len(data) > MAX_BODY_BYTES:
            raise TooLarge(f"the body is over the {MAX_BODY_BYTES}-byte limit")
        if not data:
            raise falcon.MediaNotFoundError("JSON")
        return parse_json(data)


def parse_json(data: bytes | str) -> Any:
    """A JSON document with finite numbers only and at most `MAX_DEPTH` levels of nesting."""
    try:
        value = json.loads(data, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        value = None
    except (ValueError, UnicodeDecodeError) as e:
        raise BadInput(f"the body is not valid JSON: {e}") from None
    else:
        if _depth(value) <= MAX_DEPTH:
            return value
    raise BadInput(f"the body nests deeper than {MAX_DEPTH} levels")


def _no_constant(name: str) -> Any:
    raise BadInput(f"{name} is not a JSON number; send a finite number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadInput(f"{text[:40]} is too large for a number")
    return value


def _depth(value: Any) -> int:
    """How deeply `value` nests, counted without recursion (and only up to past the limit)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                break
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def body(req: falcon.Request) -> dict[str, Any]:
    """The JSON object body, or {} when there is none."""
    if not req.content_length:
        return {}
    try:
        data = req.get_media()
    except falcon.MediaMalformedError:
        raise BadInput("the body is not valid JSON") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadInput("the body must be a JSON object")
    return data


def seconds_param(req: falcon.Request, name: str, default: float, maximum: float) -> float:
    """A query parameter in seconds (`?wait=`), clamped to [0, maximum]; NaN or infinity is a
    400 (a NaN wait would never end)."""
    value = req.get_param_as_float(name)
    if value is None:
        return default
    if not math.isfinite(value):
        raise BadInput(f"{name} must be a finite number of seconds, not {value}")
    return min(max(value, 0.0), maximum)


def instant(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return parse_instant(str(value))
    except ValueError as e:
        raise BadInput(f"{field}: {e}") from None


def number(value: Any, field: str, *, minimum: float = 0, maximum: float = MAX_SECONDS,
           whole: bool = False) -> float:
    """A JSON number within `[minimum, maximum]` (and whole when asked), else a 400 naming the
    field and its range."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and not minimum <= value <= maximum:
        ok = False
    if ok and whole and value != int(value):
        ok = False
    if not ok:
        kind = "a whole number" if whole else "a number"
        hint = " (10 years)" if maximum == MAX_SECONDS else ""
        raise BadInput(f"{field} must be {kind} from {_plain(minimum)} to {_plain(maximum)}"
                         f"{hint}, not {json.dumps(value)[:40]}")
    return float(value)


def _plain(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:g}"
