"""Dry-runs: what a trigger would set off, on a copy of the live engine and a virtual clock
(docs/concepts.md §14).

`predict` restores an engine from the live state's dicts (the copy: nothing here can touch the
live one), applies the trigger at `now`, and plays the copy forward with the same push-only
executor a Duck runs, each Ripple taking its given duration (a recent median from the run
history) and each executed run changing its output. Each line's `delays` stand for what is not a Ripple: from begin
run to its first Ripple (the Duck's dispatch, or its launch) and from its last Ripple to its
report (publishing). A run already in flight carries on from where it is: a running Ripple ends
`duration` after it started. It stops when the target
settles — a Pulse's target reached, else the target's first run begun after the trigger ended —
or when nothing more can happen before `horizon`. Pure: no I/O, no clock.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

from duckstring.engine import (
    BeginRun,
    Engine,
    LineExecutor,
    RunCompleted,
    RunFailed,
    RunKilled,
    StopWork,
    codec,
    events,
)
from duckstring.engine.status import status

MAX_STEPS = 200_000  # a guard against a standing trigger over zero-length Ripples
BEGIN, RIPPLE, REPORT = "begin", "ripple", "report"  # what falls due on the virtual clock


@dataclass(slots=True)
class PredictedRun:
    line: str
    f: int
    started: int
    executed: bool
    finished: int | None = None


@dataclass
class Prediction:
    target: str
    at: int  # when the trigger was applied
    settled_at: int | None  # when the target settles; None: not before the horizon
    runs: list[PredictedRun] = field(default_factory=list)  # in the order they begin
    status: str = "idle"  # the target's state where the prediction stopped


@dataclass
class _Line:
    executor: LineExecutor
    durations: dict[str, int]
    delays: tuple[int, int]  # ms before a run's first Ripple, after its last


def predict(states: list[dict[str, Any]], trigger: events.Event, target: str, now: int, *,
            durations: dict[str, dict[str, int]],
            delays: dict[str, tuple[int, int]] | None = None,
            running_since: dict[str, dict[str, int]] | None = None, default_ms: int = 1000,
            horizon: int = 86_400_000) -> Prediction:
    """`durations[line][ripple]` in ms (`default_ms` where missing); `running_since[line]
    [ripple]`: when each running Ripple's attempt started; `horizon`: how far ahead to look."""
    return _Run(states, now, durations, delays or {}, running_since or {}, default_ms,
                horizon).play(trigger, target)


class _Run:
    def __init__(self, states: list[dict[str, Any]], now: int,
                 durations: dict[str, dict[str, int]], delays: dict[str, tuple[int, int]],
                 running_since: dict[str, dict[str, int]], default_ms: int,
                 horizon: int) -> None:
        self.engine: Engine = codec.restore(states)
        self.now = now
        self.end = now + horizon
        self.heap: list[tuple[int, int, str, str, Any]] = []
        self.seq = 0
        self.lines: dict[str, _Line] = {}
        for d in states:  # each Duck's executor as the live Duck left it: its graph and runs
            mirror = codec.pond_from_dict(d)
            ex = LineExecutor(r.spec for r in mirror.graph)
            ex.graph, ex.runs = mirror.graph, mirror.runs
            line = _Line(ex, {r.name: durations.get(mirror.line, {}).get(r.name, default_ms)
                              for r in mirror.graph}, delays.get(mirror.line, (0, 0)))
            self.lines[mirror.line] = line
            since = running_since.get(mirror.line, {})
            for r in mirror.graph:
                if r.running:
                    started = since.get(r.name, now)
                    self._push(max(now, started + line.durations[r.name]), mirror.line,
                               RIPPLE, (r.name, r.start_f))
        self.runs: list[PredictedRun] = []

    def _push(self, at: int, line: str, kind: str, what: Any) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at, self.seq, line, kind, what))

    def play(self, trigger: events.Event, target: str) -> Prediction:
        goal = trigger.at if isinstance(trigger, events.Pulse) and trigger.at else self.now
        pulse = isinstance(trigger, events.Pulse)
        started = self.now
        batch: list[events.Event] = [trigger]
        settled: int | None = None
        for _ in range(MAX_STEPS):
            while batch:
                batch = self._react(self.engine.handle(self.now, *batch))
            p = self.engine.ponds[target]
            mine = [r for r in self.runs if r.line == target and r.finished is not None]
            if pulse and p.end_f >= goal and not p.busy:
                settled = self.now
            elif not pulse and mine:
                settled = mine[0].finished
            if settled is not None:
                break
            nxt = [t for t in (self.heap[0][0] if self.heap else None,
                               self.engine.next_deadline()) if t is not None]
            if not nxt or min(nxt) > self.end:
                if not any(r.line == target for r in self.runs) and not p.busy \
                        and status(p) == "idle":
                    settled = self.now  # nothing to do: it already is what was asked
                break
            self.now = max(self.now + (0 if self.heap and self.heap[0][0] <= self.now else 1),
                           min(nxt))
            batch = [events.Tick()]
            while self.heap and self.heap[0][0] <= self.now:
                _, _, line, kind, what = heapq.heappop(self.heap)
                batch.extend(self._due(line, kind, what))
        return Prediction(target, started, settled, self.runs,
                          status(self.engine.ponds[target]))

    def _react(self, effects: list[Any]) -> list[events.Event]:
        out: list[events.Event] = []
        for eff in effects:
            line = self.lines[eff.line]
            if isinstance(eff, BeginRun):
                self.runs.append(PredictedRun(eff.line, eff.f, self.now, eff.execute))
                if eff.execute:
                    self._push(self.now + line.delays[0], eff.line, BEGIN,
                               (eff.f, eff.retries, eff.force))
            elif isinstance(eff, (RunCompleted, RunFailed, RunKilled)):
                for run in reversed(self.runs):
                    if run.line == eff.line and run.f == eff.f and run.finished is None:
                        run.finished = self.now
                        break
            elif isinstance(eff, StopWork):
                line.executor.kill()
        return out

    def _start_ready(self, name: str) -> list[events.Event]:
        line = self.lines[name]
        out: list[events.Event] = []
        for ripple, f in line.executor.ready():
            self._push(self.now + line.durations[ripple], name, RIPPLE, (ripple, f))
            out.append(events.RippleStarted(name, ripple, f))
        return out

    def _due(self, name: str, kind: str, what: Any) -> list[events.Event]:
        line = self.lines[name]
        if kind == BEGIN:  # the Duck has the run: its Ripples start
            f, retries, force = what
            line.executor.begin(f, retries, force)
            return self._start_ready(name)
        if kind == REPORT:  # every executed run changes its output (a pass is the engine's)
            return [events.RunFinished(name, what, True)]
        ripple, f = what
        out: list[events.Event] = [events.RippleSucceeded(name, ripple, f)]
        for done in line.executor.succeeded(ripple):
            self._push(self.now + line.delays[1], name, REPORT, done)
        out.extend(self._start_ready(name))
        return out
