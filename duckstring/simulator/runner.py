"""The simulation loop: the Catchment engine against simulated Ducks on a virtual clock.

Each simulated Duck runs a `LineExecutor` (the same push-only executor a real Duck uses) and
answers through the runtime's event interface: *begin run* → Ripple started / succeeded /
failed → run finished. An attempt takes exactly its Ripple's duration. Everything due at one
instant is applied to a fixpoint before time advances (Ripple completions first, then scenario
events in file order), so a scenario always unfolds the same way.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

from duckstring.engine import (
    BeginRun,
    Engine,
    EngineError,
    LineExecutor,
    RunCompleted,
    RunFailed,
    RunKilled,
    SourceRef,
    StopWork,
    events,
)
from duckstring.engine.explain import Note
from duckstring.simulator.gcpause import gc_paused
from duckstring.simulator.scenario import CAP, Scenario, ScenarioError, SimEvent, SimPond
from duckstring.times import format_duration, format_offset

MAX_EVENTS = 5_000_000  # a guard against scenarios that never let virtual time advance


def line_of(name: str) -> str:
    return f"{name}@1"


def name_of(line: str) -> str:
    """A scenario's Ponds are all major 1: the timeline names them without it."""
    return line.rpartition("@")[0]


@dataclass(slots=True)
class RunRecord:
    f: int
    started: int
    executed: bool
    finished: int | None = None
    status: str = "running"
    changed: bool = True
    error: str | None = None


@dataclass(slots=True)
class AttemptRecord:
    f: int
    attempt: int
    started: int
    finished: int | None = None
    status: str = "running"


@dataclass
class Timeline:
    """What happened, kept for the report."""

    lines: list[tuple[int, str, str]] = field(default_factory=list)  # (time, pond, text)
    runs: dict[str, list[RunRecord]] = field(default_factory=dict)
    attempts: dict[str, dict[str, list[AttemptRecord]]] = field(default_factory=dict)


class SimDuck:
    """One line's Duck: the real executor plus durations, scripted failures and no-change."""

    def __init__(self, pond: SimPond) -> None:
        self.pond = pond
        self.ripples = {r.name: r for r in pond.ripples}
        self.executor = LineExecutor(r.spec for r in pond.ripples)
        self.attempts = {r.name: 0 for r in pond.ripples}
        self.successes = {r.name: 0 for r in pond.ripples}
        self.changed = False  # a Ripple changed output since the last published run
        self.epoch = 0  # bumped by a kill: completions scheduled before it are void


class Simulation:
    def __init__(self, scenario: Scenario, until: int | None = None,
                 explain: bool = True) -> None:
        """`explain`: the timeline says why (the engine's notes); off, only what happened."""
        self.scenario = scenario
        self.until = until if until is not None else scenario.until
        self.horizon = self.until if self.until is not None else CAP
        self.engine = Engine()
        self.engine.notes = [] if explain else None
        self._event_lines: dict[int, int] = {}  # id(trigger event) -> its timeline line
        self._run_notes: dict[str, list[Note]] = {}  # line -> why its next runs began
        self._after: list[tuple[int, str, str]] = []  # timeline lines due after the effects
        with gc_paused():  # tens of thousands of long-lived objects, as in run()
            self.ducks = {p.name: SimDuck(p) for p in scenario.ponds}
            self.timeline = Timeline(
                runs={p.name: [] for p in scenario.ponds},
                attempts={p.name: {r.name: [] for r in p.ripples} for p in scenario.ponds},
            )
        self._heap: list[tuple[int, int, int, Any]] = []
        self._seq = 0
        self.now = 0  # ms from the clock's start
        self.settled_at: int | None = None
        self.events_processed = 0

    # -- scheduling ------------------------------------------------------------------------
    def _push(self, at: int, order: int, item: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (at, order, self._seq, item))

    def _abs(self, t: int) -> int:
        return self.scenario.start + t

    def run(self) -> Simulation:
        with gc_paused():
            return self._run()

    def _run(self) -> Simulation:
        start = self.scenario.start
        deploys = [_deploy(p) for p in self.scenario.ponds]
        windows = [
            events.AddWindow(line_of(p.name), w) for p in self.scenario.ponds for w in p.windows
        ]
        self._apply([*deploys, *windows])
        for i, ev in enumerate(self.scenario.events):
            self._push(ev.at, 1, (i, ev))
        last_activity = 0
        done_at: int | None = None  # the instant just processed to its fixpoint
        while True:
            candidates = []
            if self._heap:
                candidates.append(self._heap[0][0])
            deadline = self.engine.next_deadline()
            if deadline is not None:  # never back into an instant already settled
                candidates.append(max(deadline - start, -1 if done_at is None else done_at + 1))
            if not candidates or min(candidates) > self.horizon:
                in_flight = any(order == 0 for _, order, _, _ in self._heap)
                self.settled_at = None if in_flight else last_activity
                self.now = self.horizon if candidates else last_activity
                break
            self.now = max(self.now, min(candidates))
            if self._instant():
                last_activity = self.now
            done_at = self.now
            if self.events_processed > MAX_EVENTS:
                raise ScenarioError(
                    f"stopped after {MAX_EVENTS:,} events at {format_offset(self.now)}: the "
                    "pipeline keeps running (zero-length Ripples under a standing trigger?); "
                    "set [clock] until or pass --until"
                )
        return self

    def _instant(self) -> bool:
        """Apply everything due now, to a fixpoint. True when anything happened."""
        batch: list[events.Event] = [events.Tick()]
        active = False
        while True:
            while self._heap and self._heap[0][0] == self.now:
                _, order, _, item = heapq.heappop(self._heap)
                if order == 0:
                    batch.extend(self._complete(*item))
                else:
                    batch.extend(self._scenario_event(*item))
            if not batch:
                return active
            active |= any(not isinstance(ev, events.Tick) for ev in batch)
            effects = self._apply(batch)
            active |= bool(effects)
            batch = self._react(effects)

    def _apply(self, batch: list[events.Event]) -> list[Any]:
        self.events_processed += len(batch)
        try:
            effects = self.engine.handle(self._abs(self.now), *batch)
        except EngineError as e:
            raise ScenarioError(f"the engine refused an event: {e}") from None
        if self.engine.notes:
            self._explain(self.engine.take_notes())
        return effects

    def _explain(self, notes: list[Note]) -> None:
        """Put the engine's notes on the timeline: where each Tap's or Pulse's demand went, on
        its own line; why each run began, kept for its start line; the rest as lines."""
        reach: dict[int, list[Note]] = {}
        for note in notes:
            if note.cause is not None:
                reach.setdefault(id(note.cause), []).append(note)
            elif note.kind in ("run", "pass"):
                self._run_notes.setdefault(note.line, []).append(note)
            elif note.kind == "blocked":  # after the failure that caused it
                self._after.append((self.now, name_of(note.line), note.render(name_of)))
            else:
                self.timeline.lines.append((self.now, name_of(note.line), note.render(name_of)))
        for cause, found in reach.items():
            index = self._event_lines.get(cause)
            if index is not None:
                at, pond, text = self.timeline.lines[index]
                self.timeline.lines[index] = (at, pond, text + _reach(found))

    # -- scenario events -------------------------------------------------------------------
    def _scenario_event(self, index: int, ev: SimEvent) -> list[events.Event]:
        self.timeline.lines.append((self.now, ev.pond, _describe(ev)))
        line = line_of(ev.pond)
        made: dict[str, Any] = {
            "tap": lambda: events.Tap(line),
            "pulse": lambda: events.Pulse(line),
            "wave": lambda: events.Wave(line, ev.every or 0),
            "tide": lambda: events.Tide(line, ev.bound or 0),
            "remove": lambda: events.RemoveTrigger(line),
            "wake": lambda: events.Wake(line),
            "force": lambda: events.Force(line),
            "sleep": lambda: events.Sleep(line, ev.upstream),
            "kill": lambda: events.Kill(line),
            "clear": lambda: events.Clear(line),
            "deploy": lambda: _deploy(self.ducks[ev.pond].pond),
            "budget": lambda: events.SetBudget(line, ev.immediate_retries, ev.source_retries),
        }
        event: events.Event = made[ev.do]()
        self._event_lines[id(event)] = len(self.timeline.lines) - 1
        return [event]

    # -- simulated Ducks -------------------------------------------------------------------
    def _react(self, effects: list[Any]) -> list[events.Event]:
        out: list[events.Event] = []
        for eff in effects:
            name = eff.line.rpartition("@")[0]
            duck = self.ducks[name]
            runs = self.timeline.runs[name]
            if isinstance(eff, BeginRun):
                runs.append(RunRecord(eff.f, self.now, eff.execute))
                why = self._run_notes.get(eff.line)
                if why:
                    note = why.pop(0)
                    verb = ("passed" if not eff.execute else "started") + f" ({note.render(name_of)})"
                else:
                    verb = "started" if eff.execute else "passed (no change upstream)"
                self._say(name, eff.f, verb)
                if eff.execute:
                    duck.executor.begin(eff.f, eff.retries, eff.force)
                    out.extend(self._start_ready(duck))
            elif isinstance(eff, RunCompleted):
                rec = _open_run(runs, eff.f)
                if rec is not None:
                    rec.finished, rec.changed = self.now, eff.changed
                    rec.status = "passed" if eff.passed else "success"
                    if not eff.passed:
                        self._say(name, eff.f, "executed" if eff.changed else "executed, no change")
            elif isinstance(eff, RunFailed):
                rec = _open_run(runs, eff.f)
                if rec is not None:
                    rec.finished, rec.status, rec.error = self.now, "failed", eff.error
                    self._say(name, eff.f, f"failed: {eff.error}")
            elif isinstance(eff, RunKilled):
                rec = _open_run(runs, eff.f)
                if rec is not None:
                    rec.finished, rec.status = self.now, "killed"
                    self._say(name, eff.f, "killed")
            elif isinstance(eff, StopWork):
                duck.executor.kill()
                duck.epoch += 1
                for attempts in self.timeline.attempts[name].values():
                    for a in attempts:
                        if a.status == "running":
                            a.finished, a.status = self.now, "killed"

        self.timeline.lines.extend(self._after)
        self._after.clear()
        return out

    def _start_ready(self, duck: SimDuck) -> list[events.Event]:
        out: list[events.Event] = []
        name = duck.pond.name
        for ripple, f in duck.executor.ready():
            duck.attempts[ripple] += 1
            n = duck.attempts[ripple]
            rec = AttemptRecord(f, n, self.now)
            self.timeline.attempts[name][ripple].append(rec)
            self._push(self.now + duck.ripples[ripple].duration, 0,
                       (name, ripple, f, duck.epoch, rec))
            out.append(events.RippleStarted(line_of(name), ripple, f))
        return out

    def _complete(self, name: str, ripple: str, f: int, epoch: int,
                  rec: AttemptRecord) -> list[events.Event]:
        duck = self.ducks[name]
        if epoch != duck.epoch:
            return []  # killed meanwhile
        line = line_of(name)
        spec = duck.ripples[ripple]
        rec.finished = self.now
        out: list[events.Event] = []
        if rec.attempt in spec.fail:
            rec.status = "failed"
            out.append(events.RippleFailed(line, ripple, f, f"{ripple} raised (attempt {rec.attempt})"))
            abandoned = f not in duck.executor.runs  # its run already gave up
            if not duck.executor.failed(ripple):
                verb = "ends with its abandoned run" if abandoned else "retrying"
                self._say(name, f, f"{ripple} attempt {rec.attempt} failed, {verb}")
        else:
            rec.status = "success"
            duck.successes[ripple] += 1
            if not (spec.unchanged and duck.successes[ripple] > 1):
                duck.changed = True
            out.append(events.RippleSucceeded(line, ripple, f))
            for done in duck.executor.succeeded(ripple):
                out.append(events.RunFinished(line, done, duck.changed))
            if not duck.executor.runs:
                duck.changed = False
        out.extend(self._start_ready(duck))
        return out

    def _say(self, pond: str, f: int, text: str) -> None:
        self.timeline.lines.append((self.now, pond, f"run F={format_offset(f - self.scenario.start)} {text}"))


def _reach(notes: list[Note]) -> str:
    """`: reaches A, B; not C (blocked: …)` — where a trigger's demand went."""
    reached = list(dict.fromkeys(name_of(n.line) for n in notes if n.kind == "reached"))
    stopped = list(dict.fromkeys(f"not {name_of(n.line)} ({n.render(name_of)})"
                                 for n in notes if n.kind == "stopped"
                                 and name_of(n.line) not in reached))
    parts = ([f"reaches {', '.join(reached)}"] if reached else []) + stopped
    return ": " + "; ".join(parts) if parts else ""


def _deploy(p: SimPond) -> events.Deploy:
    return events.Deploy(
        line_of(p.name),
        tuple(SourceRef(line_of(s), req) for s, req in p.sources),
        tuple(r.spec for r in p.ripples),
        p.immediate_retries,
        p.source_retries,
    )


def _open_run(runs: list[RunRecord], f: int) -> RunRecord | None:
    for rec in reversed(runs):
        if rec.f == f and rec.status == "running":
            return rec
    return None


def _describe(ev: SimEvent) -> str:
    if ev.do == "tide":
        return f"← tide {format_duration(ev.bound or 0)}"
    if ev.do == "wave" and ev.every:
        return f"← wave every {format_duration(ev.every)}"
    if ev.do == "sleep" and ev.upstream:
        return "← sleep --upstream"
    if ev.do == "budget":
        parts = [f"{k}={v}" for k, v in (("immediate", ev.immediate_retries),
                                          ("on-change", ev.source_retries)) if v is not None]
        return "← budget " + " ".join(parts)
    return f"← {ev.do}"
