"""Dry-runs on a live Catchment (docs/concepts.md §14): `?dry_run=true` on a trigger or
control verb predicts what it would set off, from a copy of the live state, without touching
it; the prediction is then kept on the next real run of its target, so history says how close
it was (`predicted_at` in `runs`).

Durations come from the run history: each Ripple's median over its newest successful
attempts (a Ripple that never ran takes `DEFAULT_MS`), and each line's time beyond its Ripples
(`_delays`: dispatch or a Duck's launch, publishing).
"""

from __future__ import annotations

import statistics
import threading
from typing import TYPE_CHECKING, Any

from duckstring.embedded.store import runs
from duckstring.engine import codec, events
from duckstring.times import iso

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment

DEFAULT_MS = 1000
RECENT = 5  # attempts (runs) a median is taken over


class Forecasts:
    """Predictions waiting for their real trigger: `expect` keeps one per (line, verb) as the
    time from trigger to settle; the real trigger `arm`s it as a time; the target's next
    begun run `take`s it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expected: dict[tuple[str, str], int] = {}
        self._armed: dict[str, int] = {}

    def expect(self, line: str, verb: str, settle_ms: int | None) -> None:
        with self._lock:
            if settle_ms is None:
                self._expected.pop((line, verb), None)
            else:
                self._expected[(line, verb)] = settle_ms

    def arm(self, line: str, verb: str, now: int) -> None:
        with self._lock:
            ms = self._expected.pop((line, verb), None)
            if ms is not None:
                self._armed[line] = now + ms

    def take(self, line: str) -> int | None:
        with self._lock:
            return self._armed.pop(line, None)


def when(ms: int | None) -> str | None:
    return None if ms is None else iso(ms)


def _median(values: list[int]) -> int:
    return round(statistics.median(values))


def _delays(seen: list[tuple[int, int]], live: bool) -> tuple[int, int]:
    """Before a run's first Ripple: the quickest seen when the line's Duck is up (it was
    warm then), the slowest when it must be launched; after its last: the median."""
    if not seen:
        return (0, 0)
    starts = [s for s, _ in seen]
    return (min(starts) if live else max(starts), _median([e for _, e in seen]))


def dry_run(c: Catchment, line: str, event: events.Event, verb: str) -> dict[str, Any]:
    from duckstring.simulator.predict import predict

    co = c.coordinator
    with co.lock:
        now = co.clock()
        states = [codec.pond_to_dict(p) for p in co.engine.ponds.values()]
        busy = [x for x, p in co.engine.ponds.items() if p.busy]
    live = c.supervisor.live_lines()
    with c.store.transaction() as conn:
        durations = {d["line"]: {r: _median(v) for r, v in
                                 runs.recent_durations(conn, d["line"], RECENT).items()}
                     for d in states}
        delays = {d["line"]: _delays(runs.recent_delays(conn, d["line"], RECENT),
                                     d["line"] in live) for d in states}
        running = {x: runs.running_attempts(conn, x) for x in busy}
    pred = predict(states, event, line, now, durations=durations, delays=delays,
                   running_since=running, default_ms=DEFAULT_MS)
    settle = None if pred.settled_at is None else pred.settled_at - now
    co.forecasts.expect(line, verb, settle)
    ran = list(dict.fromkeys(r.line for r in pred.runs if r.executed))
    passed = list(dict.fromkeys(r.line for r in pred.runs if not r.executed and r.line not in ran))
    guessed = sorted(f"{d['line']}.{r['name']}" for d in states if d["line"] in ran
                     for r in d["ripples"] if r["name"] not in durations[d["line"]])
    target = ({"target": when(event.at if event.at is not None else now)}
              if isinstance(event, events.Pulse) else {})
    return {
        "ok": True, "dry_run": True, "pond": line, "verb": verb, "now": when(now), **target,
        "settles_at": when(pred.settled_at),
        "settles_in_s": None if settle is None else settle / 1000,
        "status": pred.status, "run": ran, "pass": passed,
        "runs": [
            {"pond": r.line, "f": when(r.f), "executed": r.executed,
             "starts_at": when(r.started), "finishes_at": when(r.finished),
             "starts_in_s": (r.started - now) / 1000,
             "duration_s": None if r.finished is None else (r.finished - r.started) / 1000}
            for r in pred.runs
        ],
        "default_durations": guessed, "default_ms": DEFAULT_MS,
    }
