"""Lines and their Sources (docs/concepts.md §1, §11): deploying a version replaces its line's Ripple
graph, rebinds Source→Sink edges (a Source may deploy after its Sinks: the edge binds when it
appears), rejects cycles between lines, and clears the line's failure — shipping the fix is the
recovery — and the demand its Sinks still hold (held while it was failed, or since a `clear`)
is offered to it again, so it is served without a new trigger. The next run of a redeployed
line executes, since its code changed.

Removing a line stops its work (its runs in flight end killed), drops its state and its own
Source edges, and keeps the edges its Sinks declared: they now see a missing Source and are
blocked (§9) until a line of that name and major is deployed again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from duckstring.engine import faults
from duckstring.engine.effects import RunKilled, StopWork
from duckstring.engine.errors import CycleError, TopologyError
from duckstring.engine.pond import Pond, SourceRef
from duckstring.engine.ripples import RippleGraph, RippleSpec

if TYPE_CHECKING:
    from duckstring.engine.engine import Engine


def check_sources(eng: Engine, line: str, sources: tuple[SourceRef, ...]) -> None:
    seen: set[str] = set()
    for s in sources:
        if s.line == line:
            raise TopologyError(f"{line} names itself as a Source")
        if s.line in seen:
            raise TopologyError(f"{line} names Source {s.line} twice")
        seen.add(s.line)
    if not eng.sinks.get(line):
        return  # nothing reads `line` yet, so no chain of Sources can lead back to it
    path = _path_to(eng, [s.line for s in sources], line)
    if path:
        raise CycleError("Sources would form a cycle: " + " → ".join([line, *path]))


def _path_to(eng: Engine, starts: list[str], goal: str) -> list[str]:
    """A chain of Sources from one of `starts` up to `goal`, or [] if none."""
    parent: dict[str, str | None] = {s: None for s in starts}
    stack = list(starts)
    while stack:
        node = stack.pop()
        if node == goal:
            chain = [node]
            while (prev := parent[chain[-1]]) is not None:
                chain.append(prev)
            return chain[::-1]
        p = eng.ponds.get(node)
        for s in p.sources if p else ():
            if s.line not in parent:
                parent[s.line] = node
                stack.append(s.line)
    return []


def deploy(
    eng: Engine,
    line: str,
    sources: tuple[SourceRef, ...],
    ripples: tuple[RippleSpec, ...],
    immediate_retries: int,
    source_retries: int,
) -> Pond:
    graph = RippleGraph(ripples)
    check_sources(eng, line, sources)
    eng.starved.clear()  # the edges change: a remembered walk may take others now
    p = eng.ponds.get(line)
    for s in p.sources if p else ():
        eng.sinks.get(s.line, set()).discard(line)
    for s in sources:
        eng.sinks.setdefault(s.line, set()).add(line)
    if p is None:
        p = Pond(line, sources, graph, immediate_retries=immediate_retries,
                 source_retries=source_retries)
        eng.ponds[line] = p
    else:
        graph.root_f = p.start_f
        for r in graph:
            old = p.graph.ripples.get(r.name)
            if old is not None:
                r.start_f, r.end_f, r.running = old.start_f, old.end_f, old.running
                r.has_pull, r.targets = old.has_pull, old.targets
        p.graph, p.sources = graph, sources
        if p.is_failed or p.is_killed:
            faults.reset(p)
            if not p.runs:  # a retry run in flight carries on
                p.start_f = p.end_f
                p.graph.halt(keep_running=True)
    p.code_changed = True
    faults.rederive_blocked(eng, p, why="deployed")
    eng.reopen(p)  # a new version resumes the line: demand its Sinks hold is offered again
    return p


def remove(eng: Engine, line: str) -> None:
    p = eng.pond(line)
    if p.busy:
        eng.emit(StopWork(line))
    for f in sorted(p.runs):
        eng.emit(RunKilled(line, f, "the Pond was removed"))
    eng.starved.clear()  # the edges change: a remembered walk may take others now
    for s in p.sources:
        eng.sinks.get(s.line, set()).discard(line)
    del eng.ponds[line]
    eng.changed.add(line)  # the caller drops what it stored for the line
    for sink in eng.sinks_of(line):
        faults.rederive_blocked(eng, sink)
