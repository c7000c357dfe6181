"""Derived, read-only views of a Pond for status displays (docs/operating.md §9).

`status` precedence: failed, killed, blocked, running, queued (holds demand it cannot yet
serve), idle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from duckstring.engine.freshness import NEVER
from duckstring.engine.pond import Pond

if TYPE_CHECKING:
    from duckstring.engine.engine import Engine


def status(p: Pond) -> str:
    if p.is_failed:
        return "failed"
    if p.is_killed:
        return "killed"
    if p.is_blocked:
        return "blocked"
    if p.busy:
        return "running"
    if p.has_demand or p.forcing:
        return "queued"
    return "idle"


def staleness(p: Pond, now: int) -> int | None:
    """`now + d - end_f` in ms; None while the Pond has never completed a run."""
    return None if p.end_f == NEVER else now + p.d - p.end_f


def missing_sources(eng: Engine, p: Pond) -> list[str]:
    return [s.line for s in p.sources if s.line not in eng.ponds]


def blocked_by(eng: Engine, p: Pond) -> list[str]:
    """The failed, killed or missing lines at the root of `p`'s blocked state."""
    roots: list[str] = []
    seen: set[str] = set()
    stack = [p.line]
    while stack:
        line = stack.pop()
        if line in seen:
            continue
        seen.add(line)
        node = eng.ponds.get(line)
        if node is None:
            roots.append(line)
            continue
        if node is not p and (node.is_failed or node.is_killed):
            roots.append(line)
            continue
        stack.extend(
            s.line
            for s in node.sources
            if s.required and ((src := eng.ponds.get(s.line)) is None or src.is_blocked)
        )
    return sorted(roots)
