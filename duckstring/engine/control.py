"""Control verbs (docs/concepts.md §10) and live budgets (§9). They act on one Pond and never
propagate, except `sleep --upstream` and the blocked state they re-derive.

| verb  | effect |
|-------|--------|
| wake  | clear failed/killed, then a one-shot local pull: run once when `source_f > start_f`, without re-arming the Sources |
| force | clear failed/killed, then run now: `end_f` of the Pond and its Ripples back to NEVER and the always-satisfiable target NEVER; the run executes (it waits only while a Source has no output at all, e.g. is being forced too) |
| sleep | drop the Pond's pull, targets and standing trigger and its Ripples' pull (Ripple targets stay so a started run completes); `upstream` does the same for every ancestor |
| kill  | terminate the Duck's work, record the runs killed, drop all demand and Ripple state, set `is_killed` (terminal until clear/wake/force/deploy), block the Sinks |
| clear | reset failed/killed to idle without running: abandon the halted run (`start_f = end_f`); a retry run in flight carries on |
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from duckstring.engine import faults, triggers
from duckstring.engine.effects import RunKilled, StopWork
from duckstring.engine.freshness import NEVER
from duckstring.engine.pond import Pond

if TYPE_CHECKING:
    from duckstring.engine.engine import Engine


def clear(eng: Engine, p: Pond, reopen: bool = False, why: str = "cleared") -> None:
    """`reopen` (wake, force): the line resumes work, so the demand its Sinks hold is offered
    to it again (`demand.reopen`); a bare clear leaves it held until demand reaches the line."""
    if not (p.is_failed or p.is_killed):
        return
    faults.reset(p)
    if not p.runs:  # abandon the halted run; a retry run in flight (§9) carries on
        p.start_f = p.end_f
        p.graph.halt(keep_running=True)
    faults.rederive_blocked(eng, p, reopen, why)
    eng.touch(p)


def wake(eng: Engine, p: Pond) -> None:
    clear(eng, p, reopen=True, why="woken")
    p.wake = True
    eng.touch(p)
    eng.watch_clock(p)


def force(eng: Engine, p: Pond) -> None:
    clear(eng, p, reopen=True, why="forced")
    p.end_f = NEVER
    for r in p.graph:
        r.end_f = NEVER
    p.targets.add(NEVER)
    p.forcing = True
    eng.touch(p)
    eng.watch_clock(p)


def sleep(eng: Engine, p: Pond, upstream: bool) -> None:
    for node in [p, *(eng.ancestors(p) if upstream else [])]:
        node.has_pull = node.wake = False
        node.targets.clear()
        triggers.forget(eng, node)
        node.graph.drop_pull()
        eng.touch(node)


def kill(eng: Engine, p: Pond) -> None:
    if p.busy:
        eng.emit(StopWork(p.line))
    for f in sorted(p.runs):
        eng.emit(RunKilled(p.line, f))
    p.runs.clear()
    p.has_pull = p.wake = p.forcing = False
    p.targets.clear()
    p.graph.halt()
    p.is_killed = True
    faults.rederive_blocked(eng, p)
    eng.touch(p)


def set_budget(eng: Engine, p: Pond, immediate: int | None, source: int | None) -> None:
    if immediate is not None:
        p.immediate_retries = max(0, immediate)
    if source is not None:
        p.source_retries = max(0, source)
    eng.touch(p)  # a larger on-change budget may let a failed Pond retry now
