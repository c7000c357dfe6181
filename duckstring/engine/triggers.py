"""Triggers (docs/concepts.md §7).

|      | once      | standing |
|------|-----------|----------|
| push | **Pulse** | **Tide** |
| pull | **Tap**   | **Wave** |

- Tap(p): P1 on `p`. Pulse(p[, at]): P3 on `p` with `T = at or now`.
- Wave(p): standing pull. Re-tap `p` each time it completes a run (see `demand`) and whenever
  it sits fully at rest (no run in flight, no pull, no targets, no Ripple running).
- Wave(p, every): a paced Wave re-taps only when `p` sits fully at rest and at least `every`
  has passed since its last tap; `wave_deadline` tells the clock when that will be. It does
  not re-tap on completion nor keep `p`'s own pipeline primed (`demand.wanted`), so a fast
  Pond runs about once per `every` instead of back to back.
- Tide(p, bound): standing push. `ref` is the newest pending target, else `start_f`; whenever
  `now + d - ref >= bound`, Pulse `p` at `now`. A pulse at or before `ref` would be covered by
  work already asked for, so a Tide also waits until `now > ref`. With `bound <= d` (a Window
  at least as long as the bound) every pulse waits for the next occurrence, whose run serves
  them all, so the Tide keeps one outstanding instead of pulsing at every instant.
- Remove drops the standing trigger; demand already in the graph drains. A Pond holds at most
  one standing trigger; setting one replaces the other.
"""

from __future__ import annotations

from dataclasses import replace
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
    if trigger is None:
        forget(eng, p)
    p.trigger = trigger
    eng.touch(p)
    if on_clock(p):
        eng.watch_clock(p)


def forget(eng: Engine, p: Pond) -> None:
    """Drop `p`'s standing trigger, remembering which and when (explain says so)."""
    if p.trigger is not None:
        kind = "wave" if isinstance(p.trigger, WaveTrigger) else "tide"
        p.trigger, p.trigger_removed = None, (kind, eng.now)


def on_clock(p: Pond) -> bool:
    """Whether `p`'s standing trigger waits on time alone (a Tide, a paced Wave)."""
    return isinstance(p.trigger, TideTrigger) or (
        isinstance(p.trigger, WaveTrigger) and p.trigger.every > 0)


def wave_deadline(p: Pond, now: int) -> int | None:
    """When a paced Wave on `p` may tap again, while that is still ahead of `now`."""
    if not isinstance(p.trigger, WaveTrigger) or p.is_blocked:
        return None
    due = p.trigger.due_at()
    return due if due is not None and due > now else None


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
        due = p.trigger.due_at()
        if not p.is_blocked and fully_at_rest(p) and (due is None or eng.now >= due):
            if p.trigger.every:
                p.trigger = replace(p.trigger, tapped=eng.now)
                eng.watch_clock(p)
            tap(eng, p)
    elif isinstance(p.trigger, TideTrigger):
        deadline = tide_deadline(p)
        if deadline is not None and eng.now >= deadline:
            pulse(eng, p, None)


def fully_at_rest(p: Pond) -> bool:
    return p.idle and not p.has_demand and not p.busy
