"""A watcher for model.md §12: it wraps a simulation's `Engine.handle` and checks, after every
call, what must hold between the state before and after it and the effects it returned."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from duckstring.engine import BeginRun, RunCompleted, RunFailed, events
from duckstring.simulator import Simulation

# Verbs that may move freshness backwards on the Pond they name (§10, §12.1): force resets
# `end_f`, clear (also inside wake) abandons a halted run, kill forgets Ripple state.
RESETTING = (events.Force, events.Clear, events.Wake, events.Kill)
# What creates demand from outside (§12.3), and what else a user may send that lets a Pond
# holding demand (or a retry budget) start.
TRIGGERS = (events.Tap, events.Pulse, events.Wave, events.Tide, events.Wake, events.Force)
DEMANDING = (*TRIGGERS, events.SetBudget, events.Clear)


@dataclass(frozen=True)
class RippleState:
    start_f: int
    end_f: int
    has_pull: bool
    targets: tuple[int, ...]


@dataclass(frozen=True)
class PondState:
    start_f: int
    end_f: int
    demand: bool  # pull, wake, targets, forcing, or any Ripple pull
    trigger: bool
    failed: bool
    ripples: dict[str, RippleState]


def snapshot(sim: Simulation) -> dict[str, PondState]:
    out = {}
    for line, p in sim.engine.ponds.items():
        rs = {r.name: RippleState(r.start_f, r.end_f, r.has_pull, tuple(r.targets)) for r in p.graph}
        out[line] = PondState(
            start_f=p.start_f,
            end_f=p.end_f,
            demand=p.has_demand or p.forcing or any(r.has_pull for r in p.graph),
            trigger=p.trigger is not None,
            failed=p.is_failed,
            ripples=rs,
        )
    return out


@dataclass
class Watch:
    """Attach with `Watch(sim)` before `sim.run()`; read `violations` after."""

    sim: Simulation
    violations: list[str] = field(default_factory=list)
    begun: list[tuple[int, BeginRun, dict[str, int]]] = field(default_factory=list)
    completed: list[tuple[int, RunCompleted]] = field(default_factory=list)
    named: set[str] = field(default_factory=set)  # lines a trigger or wake/force named
    forced: set[str] = field(default_factory=set)  # lines ever forced
    max_calls: int = 100_000
    calls: int = 0

    def __post_init__(self) -> None:
        self._handle = self.sim.engine.handle
        self.sim.engine.handle = self._watched  # type: ignore[method-assign]
        self._descendants: dict[str, set[str]] | None = None

    # -- topology ----------------------------------------------------------------------------
    def required(self, line: str) -> list[str]:
        return [s.line for s in self.sim.engine.ponds[line].sources if s.required]

    def descendants(self, line: str) -> set[str]:
        if self._descendants is None:
            self._descendants = {}
            for name in self.sim.engine.ponds:
                seen, stack = set(), [name]
                while stack:
                    for sink in self.sim.engine.sinks.get(stack.pop(), ()):
                        if sink not in seen:
                            seen.add(sink)
                            stack.append(sink)
                self._descendants[name] = seen
        return self._descendants[line]

    # -- the hook ----------------------------------------------------------------------------
    def _watched(self, now: int, *evs: events.Event) -> list[Any]:
        self.calls += 1
        if self.calls > self.max_calls:  # fail loudly rather than spin inside one instant
            raise AssertionError(f"more than {self.max_calls} engine calls: time stopped moving?")
        if any(isinstance(ev, events.Deploy) for ev in evs):
            self._descendants = None
            return self._handle(now, *evs)
        before = snapshot(self.sim)
        user = {ev.line for ev in evs if isinstance(ev, DEMANDING)}
        reset = {ev.line for ev in evs if isinstance(ev, RESETTING)}
        self.named |= {ev.line for ev in evs if isinstance(ev, TRIGGERS)}
        forcing_before = {line for line, p in self.sim.engine.ponds.items() if p.forcing}
        self.forced |= {ev.line for ev in evs if isinstance(ev, events.Force)}
        effects = self._handle(now, *evs)
        after = snapshot(self.sim)
        exempt = reset | forcing_before
        rel = now - self.sim.scenario.start

        def fail(what: str) -> None:
            self.violations.append(f"t={rel}: {what}")

        for line, a in after.items():
            b = before[line]
            if line not in exempt:
                # §12.1: end_f <= start_f; both only move forward.
                if a.end_f > a.start_f:
                    fail(f"{line} end_f {a.end_f} > start_f {a.start_f}")
                if a.start_f < b.start_f or a.end_f < b.end_f:
                    fail(f"{line} freshness moved back: {b.start_f}/{b.end_f} -> "
                         f"{a.start_f}/{a.end_f}")
                for name, r in a.ripples.items():
                    rb = b.ripples[name]
                    if r.end_f > r.start_f:
                        fail(f"{line}.{name} end_f {r.end_f} > start_f {r.start_f}")
                    if r.start_f < rb.start_f or r.end_f < rb.end_f:
                        fail(f"{line}.{name} freshness moved back")
            # §12.2 (standing form): never fresher than a required Source.
            for src in self.required(line):
                if src in self.forced or line in self.forced:
                    continue
                if a.end_f > after[src].end_f:
                    fail(f"{line} end_f {a.end_f} is fresher than required {src} "
                         f"{after[src].end_f}")

        failed_now = {eff.line for eff in effects if isinstance(eff, RunFailed)}
        for eff in effects:
            if isinstance(eff, RunCompleted):
                self.completed.append((rel, eff))
            if not isinstance(eff, BeginRun):
                continue
            srcs = {s: after[s].end_f for s in self.required(eff.line)}
            self.begun.append((rel, eff, srcs))
            # §12.2: the run's F is no fresher than any required Source when it started.
            if eff.line not in self.forced and any(eff.f > f for f in srcs.values()):
                fail(f"{eff.line} began F={eff.f} above a required Source: {srcs}")
            # §12.3: no start without demand somewhere at or below the Pond.
            lineage = {eff.line} | self.descendants(eff.line)
            had = any(before[x].demand or before[x].trigger for x in lineage)
            retry = before[eff.line].failed or eff.line in failed_now  # retry on change
            if not (had or lineage & user or retry):
                fail(f"{eff.line} began F={eff.f} without demand")
        return effects

    def undemanded_runs(self) -> list[str]:
        """§12.3 over the whole run: Ponds that ran although no trigger named them or any
        Pond downstream of them."""
        ran = {b.line for _, b, _ in self.begun}
        return sorted(x for x in ran if not ({x} | self.descendants(x)) & self.named)

    def begun_by(self, line: str) -> list[tuple[int, BeginRun, dict[str, int]]]:
        return [b for b in self.begun if b[1].line == line]
