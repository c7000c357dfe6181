"""The engine: all Pond lines of a Catchment and the one entry point that applies events.

`handle(now, *events)` applies each event's rule (the modules named below), then runs starts
to a fixpoint: every Pond whose state changed is re-checked for its standing trigger and its
start condition, and a start may wake others (re-armed Sources, Sinks of a pass). It returns
the effects for the caller to persist and act on. `next_deadline()` says when time alone could
change something (a Tide, a Window opening, an Inlet waiting for the clock), so a caller knows
when to send `Tick`. Nothing here reads a clock or does I/O.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from duckstring.engine import control, demand, events, faults, topology, triggers, windows
from duckstring.engine.effects import Effect
from duckstring.engine.errors import UnknownPond, WindowError
from duckstring.engine.explain import Note
from duckstring.engine.pond import Pond, TideTrigger, WaveTrigger


class Engine:
    def __init__(self) -> None:
        self.ponds: dict[str, Pond] = {}
        self.sinks: dict[str, set[str]] = {}  # declared edges, also for absent Sources
        self.now = 0
        self.changed: set[str] = set()  # lines touched (or removed) since the caller took them
        self._dirty: deque[str] = deque()
        self._queued: set[str] = set()
        self._clocked: set[str] = set()  # lines that may wait on time alone
        self._reopened: set[str] = set()  # lines unblocked: re-send the demand around them
        self._clock_seen: int | None = None
        # `demand._starved` answers by line, kept until a change they read (`touch`, topology)
        self.starved: dict[str, bool] = {}
        # lines touched since `_starved` last read those answers: a Pond is touched ~12 times
        # a run, and forgetting once per read instead of once per touch keeps a Wave's cost
        self.unforgotten: set[str] = set()
        self._effects: list[Effect] = []
        # Why things happen (explain.Note), recorded only when a caller sets a list here; a
        # note on where a trigger's demand went names the Tap or Pulse being handled (`cause`).
        self.notes: list[Note] | None = None
        self.cause: events.Tap | events.Pulse | None = None

    # -- the entry point -------------------------------------------------------------------
    def handle(self, now: int, *evs: events.Event) -> list[Effect]:
        self.now = now
        for ev in evs:
            if self.notes is not None and isinstance(ev, (events.Tap, events.Pulse)):
                self.cause = ev
            _HANDLERS[type(ev)](self, ev)
            self.cause = None
        self._settle()
        out, self._effects = self._effects, []
        return out

    def next_deadline(self) -> int | None:
        """The earliest time after which a `Tick` could start something, or None."""
        best: int | None = None
        for line in list(self._clocked):
            p = self.ponds.get(line)
            t = None if p is None else _clock_deadline(self, p)
            if t is None:
                if p is None or not triggers.on_clock(p):
                    self._clocked.discard(line)
                continue
            if best is None or t < best:
                best = t
        return best

    def take_changed(self) -> set[str]:
        out, self.changed = self.changed, set()
        return out

    # -- helpers for the rule modules ------------------------------------------------------
    def pond(self, line: str) -> Pond:
        try:
            return self.ponds[line]
        except KeyError:
            raise UnknownPond(f"no Pond line {line!r}") from None

    def note(self, note: Note) -> None:
        if self.notes is not None:
            self.notes.append(note if self.cause is None else replace(note, cause=self.cause))

    def take_notes(self) -> list[Note]:
        out = self.notes or []
        if self.notes is not None:
            self.notes = []
        return out

    def emit(self, effect: Effect) -> None:
        self._effects.append(effect)

    def touch(self, p: Pond) -> None:
        """`p` changed: persist it and re-check it before the instant ends."""
        self.changed.add(p.line)
        if self.starved:  # forgotten before the next `_starved` read (`demand.forget_touched`)
            self.unforgotten.add(p.line)
        if p.line not in self._queued:
            self._queued.add(p.line)
            self._dirty.append(p.line)

    def reopen(self, p: Pond) -> None:
        """`p` stopped being blocked: before the instant ends, offer it the demand held
        around it (see `demand.reopen`)."""
        self._reopened.add(p.line)
        self.touch(p)

    def watch_clock(self, p: Pond) -> None:
        self._clocked.add(p.line)

    def sinks_of(self, line: str) -> list[Pond]:
        return [self.ponds[s] for s in sorted(self.sinks.get(line, ())) if s in self.ponds]

    def ancestors(self, p: Pond) -> list[Pond]:
        seen: dict[str, Pond] = {}
        stack = [p]
        while stack:
            for s in stack.pop().sources:
                src = self.ponds.get(s.line)
                if src is not None and s.line not in seen:
                    seen[s.line] = src
                    stack.append(src)
        return list(seen.values())

    # -- the fixpoint ----------------------------------------------------------------------
    def _settle(self) -> None:
        if self._clock_seen != self.now:  # time moved: re-check whatever waits on it
            self._clock_seen = self.now
            for line in sorted(self._clocked):  # sorted: a set's order varies between runs
                if line in self.ponds:
                    self.touch(self.ponds[line])
        while self._dirty:
            line = self._dirty.popleft()
            self._queued.discard(line)
            p = self.ponds.get(line)
            if p is None:
                continue
            if line in self._reopened:
                self._reopened.discard(line)
                demand.reopen(self, p)
            triggers.check_standing(self, p)
            if not demand.try_start(self, p) and p.is_inlet and p.has_demand:
                self.watch_clock(p)


def _clock_deadline(eng: Engine, p: Pond) -> int | None:
    tide = triggers.tide_deadline(p)
    wave = triggers.wave_deadline(p, eng.now)
    inlet = None
    if p.is_inlet and p.has_demand and not (p.is_killed or p.is_failed):
        if p.windows:
            inlet = windows.next_change(p.windows, eng.now)
        elif p.targets and p.targets.min() > eng.now:
            inlet = p.targets.min()
        elif p.has_pull or p.wake:
            inlet = max(eng.now, p.start_f) + 1
    times = [t for t in (tide, wave, inlet) if t is not None]
    return min(times) if times else None


# -- event handlers ------------------------------------------------------------------------
def _deploy(eng: Engine, ev: events.Deploy) -> None:
    topology.deploy(eng, ev.line, ev.sources, ev.ripples, ev.immediate_retries,
                    ev.source_retries)


def _add_window(eng: Engine, ev: events.AddWindow) -> None:
    p = eng.pond(ev.line)
    if not p.is_inlet:
        raise WindowError(f"{ev.line} has Sources: Windows apply to Inlets only")
    windows.check_add(p.windows, ev.rule)
    p.windows.append(ev.rule)
    eng.touch(p)
    eng.watch_clock(p)


def _remove_window(eng: Engine, ev: events.RemoveWindow) -> None:
    p = eng.pond(ev.line)
    kept = [w for w in p.windows if w.name != ev.name]
    if len(kept) == len(p.windows):
        raise UnknownPond(f"{ev.line} has no Window named {ev.name!r}")
    p.windows = kept
    eng.touch(p)


def _ripple_started(eng: Engine, ev: events.RippleStarted) -> None:
    p = eng.pond(ev.line)
    r = p.graph.ripples.get(ev.ripple)
    if r is None or (r.running and r.start_f == ev.f) or p.is_killed:
        return  # unknown, replayed, or reported after a kill
    refill = p.graph.start(r, ev.f)
    if refill is not None:
        demand.pull_pond(eng, p, primed=refill == "primed")
    eng.touch(p)


def _ripple_succeeded(eng: Engine, ev: events.RippleSucceeded) -> None:
    p = eng.pond(ev.line)
    r = p.graph.ripples.get(ev.ripple)
    if r is not None and r.running and r.start_f == ev.f:
        p.graph.succeed(r)
        eng.touch(p)


def _ripple_failed(eng: Engine, ev: events.RippleFailed) -> None:
    p = eng.pond(ev.line)
    r = p.graph.ripples.get(ev.ripple)
    if r is None or not r.running or r.start_f != ev.f:
        return
    if not faults.attempt_failed(p.runs, p.graph, r):
        faults.give_up(eng, p, ev.f, ev.error or f"Ripple {ev.ripple} failed")
    eng.touch(p)


def _on(line_event: Callable[[Engine, Pond, Any], None]) -> Callable[[Engine, Any], None]:
    """Adapt a rule taking a Pond into a handler taking the event that names its line."""
    return lambda eng, ev: line_event(eng, eng.pond(ev.line), ev)


_HANDLERS: dict[type, Callable[[Engine, Any], None]] = {
    events.Deploy: _deploy,
    events.RemoveLine: lambda eng, ev: topology.remove(eng, ev.line),
    events.Tap: _on(lambda eng, p, ev: triggers.tap(eng, p)),
    events.Pulse: _on(lambda eng, p, ev: triggers.pulse(eng, p, ev.at)),
    events.Wave: _on(lambda eng, p, ev: triggers.set_standing(eng, p, WaveTrigger(ev.every))),
    events.Tide: _on(lambda eng, p, ev: triggers.set_standing(eng, p, TideTrigger(ev.bound))),
    events.RemoveTrigger: _on(lambda eng, p, ev: triggers.set_standing(eng, p, None)),
    events.AddWindow: _add_window,
    events.RemoveWindow: _remove_window,
    events.Wake: _on(lambda eng, p, ev: control.wake(eng, p)),
    events.Force: _on(lambda eng, p, ev: control.force(eng, p)),
    events.Sleep: _on(lambda eng, p, ev: control.sleep(eng, p, ev.upstream)),
    events.Kill: _on(lambda eng, p, ev: control.kill(eng, p)),
    events.Clear: _on(lambda eng, p, ev: control.clear(eng, p)),
    events.SetBudget: _on(
        lambda eng, p, ev: control.set_budget(eng, p, ev.immediate_retries, ev.source_retries)
    ),
    events.RippleStarted: _ripple_started,
    events.RippleSucceeded: _ripple_succeeded,
    events.RippleFailed: _ripple_failed,
    events.RunFinished: _on(lambda eng, p, ev: demand.finish_run(eng, p, ev.f, ev.changed)),
    events.RunRejected: _on(
        lambda eng, p, ev: faults.give_up(eng, p, ev.f, ev.error) if ev.f in p.runs else None
    ),
    events.RunLost: _on(lambda eng, p, ev: faults.run_lost(eng, p, ev.reason)),
    events.Tick: lambda eng, ev: None,
}
