"""Triggers (model.md §7).

|      | once      | standing |
|------|-----------|----------|
| push | **Pulse** | **Tide** |
| pull | **Tap**   | **Wave** |

- Tap(p): P1 on `p`. Pulse(p[, at]): P3 on `p` with `T = at or now`.
- Wave(p): standing pull. Re-tap `p` each time it completes a run (see `demand`) and whenever
  it sits fully at rest (no run in flight, no pull, no targets, no Ripple running).
- Tide(p, bound): standing push. `ref` is the newest pending target, else `start_f`; whenever
  `now + d - ref >= bound`, Pulse `p` at `now`. A pulse at or before `ref` would be covered by
  work already asked for, so a Tide also waits until `now > ref`. With `bound <= d` (a Window
  at least as long as the bound) every pulse waits for the next occurrence, whose run serves
  them all, so the Tide keeps one outstanding instead of pulsing at every instant.
- Remove drops the standing trigger; demand already in the graph drains. A Pond holds at most
  one standing trigger; setting one replaces the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from duckstring.engine import demand
from duckstring.engine.pond import Pond, TideTrigger, Trigger, WaveTrigger

if TYPE_CHECKING:
    from duckstring.engine.engine import Engine


def tap(eng: Engine, p: Pond) -> None:
    demand.receive_pull(eng, p.line)


def pulse(eng: Engine, p: Pond, at: int | None) -> None:
    demand.receive_target(eng, p.line, eng.now if at is None else at)


def set_standing(eng: Engine, p: Pond, trigger: Trigger | None) -> None:
    p.trigger = trigger
    eng.touch(p)
    if isinstance(trigger, TideTrigger):
        eng.watch_clock(p)


def tide_deadline(p: Pond) -> int | None:
    """When the Tide on `p` next pulses; None while blocked (it waits for an unblock)."""
    if not isinstance(p.trigger, TideTrigger) or p.is_blocked:
        return None
    # Pending targets lie above start_f, except force's NEVER, which must not pull `ref` back.
    ref = max(p.targets.max(), p.start_f) if p.targets else p.start_f
    due = ref + p.trigger.bound - p.d
    if due <= ref:  # bound <= d: only the next Window occurrence can serve any pulse
        return None if p.targets else ref + 1
    return due


def check_standing(eng: Engine, p: Pond) -> None:
    """Fire a standing trigger whose condition holds at `now`."""
    if isinstance(p.trigger, WaveTrigger):
        if not p.is_blocked and fully_at_rest(p):
            tap(eng, p)
    elif isinstance(p.trigger, TideTrigger):
        deadline = tide_deadline(p)
        if deadline is not None and eng.now >= deadline:
            pulse(eng, p, None)


def fully_at_rest(p: Pond) -> bool:
    return p.idle and not p.has_demand and not p.busy
