"""Faults (docs/concepts.md §9).

- A Ripple attempt fails in run `F`: while that run has immediate budget, spend one and
  re-stamp target `F` on the Ripple (it retries inside the run). Otherwise the run gives up:
  `failed_f = max(failed_f, F)`, `failures += 1`, `is_failed`, the Pond becomes blocked; every
  run in flight ends failed and the Pond's own demand is dropped. A failure reported for a run
  no longer in flight (already abandoned, killed or cleared) changes nothing.
- Blocked is derived: failed, killed, or a *required* Source failed, killed, blocked or
  missing. Changes travel to the Sinks (the only downstream signal). Optional Sources never
  block.
- Retry on change: a failed Pond starts again when `failed_f != NEVER`,
  `failures <= source_retries` and `source_f > start_f` — one retry run at a time, so an
  Inlet (whose `source_f` is always `now`) does not start a run at every re-check.
- Recovery: a run completing with `end_f > failed_f` clears the fault fields.
- Reopening: a Pond that stops being blocked (its failure cleared by a deploy, wake, force or
  a recovering run; a missing Source deployed) could not pass on the demand it held, and its
  failed Source dropped what it had: the demand it and its Sinks still hold is sent upstream
  again (`demand.reopen`), so a held Pulse or pull is served without a new trigger. `clear`
  alone resets without running: held demand waits for the next demand on the line.
- A lost Duck (dead, silent, or stuck) fails the in-flight attempt through the same path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from duckstring.engine import explain
from duckstring.engine.effects import ResendRun, RunFailed
from duckstring.engine.freshness import NEVER
from duckstring.engine.pond import Pond, Run
from duckstring.engine.ripples import Ripple, RippleGraph

if TYPE_CHECKING:
    from duckstring.engine.engine import Engine


def attempt_failed(runs: dict[int, Run], graph: RippleGraph, r: Ripple) -> bool:
    """Record a failed attempt of `r`; True when it retries inside its run.

    Shared by the Catchment (mirroring a Duck's report) and the Duck's executor, so both tiers
    reach the same decision.
    """
    r.running = False
    run = runs.get(r.start_f)
    if run is not None and run.retries_left > 0:
        run.retries_left -= 1
        r.targets.add(r.start_f)
        return True
    return False


def give_up(eng: Engine, p: Pond, f: int, error: str) -> None:
    if f not in p.runs:
        return  # a late report from a run already abandoned, killed or cleared
    p.failed_f = max(p.failed_f, f)
    p.failures += 1
    p.is_failed = True
    p.error = error
    for run_f in sorted(p.runs):
        reason = error if run_f == f else f"abandoned: the run at {f} failed"
        eng.emit(RunFailed(p.line, run_f, reason))
    p.runs.clear()
    p.graph.drop_demand()
    p.has_pull = p.wake = p.forcing = False
    p.targets.clear()
    rederive_blocked(eng, p)
    eng.touch(p)


def run_lost(eng: Engine, p: Pond, reason: str) -> None:
    """The Duck is gone: its in-flight attempt fails; with budget left the runs are re-sent."""
    if not p.runs:
        return
    for r in p.graph:
        r.running = False
    oldest = p.runs[min(p.runs)]
    if oldest.retries_left > 0:
        oldest.retries_left -= 1
        for run in sorted(p.runs.values(), key=lambda run: run.f):
            p.graph.stamp(run.f)
            eng.emit(ResendRun(p.line, run.f, run.retries_left))
        eng.touch(p)
    else:
        give_up(eng, p, oldest.f, reason)


def retry_on_change(p: Pond, sf: int) -> bool:
    """One retry at a time: while a retry run is in flight the Pond waits for its outcome."""
    return (
        not p.runs and p.failed_f != NEVER and p.failures <= p.source_retries and sf > p.start_f
    )


def reset(p: Pond) -> None:
    """Clear the fault fields (clear, wake, force, deploy, recovery)."""
    p.is_failed = p.is_killed = False
    p.failed_f = NEVER
    p.failures = 0
    p.error = None


def recover(eng: Engine, p: Pond) -> None:
    if p.failures and p.end_f > p.failed_f:
        reset(p)
        rederive_blocked(eng, p, why="a run succeeded")


def blocked(eng: Engine, p: Pond) -> bool:
    if p.is_failed or p.is_killed:
        return True
    for s in p.sources:
        if not s.required:
            continue
        src = eng.ponds.get(s.line)
        if src is None or src.is_failed or src.is_killed or src.is_blocked:
            return True
    return False


def rederive_blocked(eng: Engine, p: Pond, reopen: bool = True, why: str = "recovered") -> None:
    """Re-derive `is_blocked` on `p` and carry any change down to its Sinks. With `reopen`, a
    Pond that can take demand again gets the demand held around it anew (not after `clear`,
    which resets without running). `why` says what happened to `p`, for the notes."""
    queue = [p]
    while queue:
        node = queue.pop()
        now_blocked = blocked(eng, node)
        if now_blocked == node.is_blocked and node is not p:
            continue
        was_blocked, node.is_blocked = node.is_blocked, now_blocked
        if was_blocked and not now_blocked:
            eng.note(explain.unblocked_note(node, p, why))
            if reopen:
                eng.reopen(node)
        elif now_blocked and not was_blocked and eng.notes is not None and node is not p:
            eng.note(explain.blocked_note(eng, node))
        eng.touch(node)
        queue.extend(eng.sinks_of(node.line))
