"""The Duck's side of the engine: push-only execution of one line's Ripples (docs/concepts.md §5).

Given *begin run F* the Duck stamps target `F` on every Ripple (R2) and starts each Ripple
whose parents are done (R3, push branch) at the freshest input available (R4), so a Ripple that
fell behind skips intermediate freshnesses. A run is complete when every leaf Ripple reached
its `F` (P6). A failed attempt retries inside its run while the run's immediate budget lasts,
else the run and every run in flight are abandoned (§9) — the same rule, from the same code,
that the Catchment applies when it mirrors the Duck's reports.
"""

from __future__ import annotations

from collections.abc import Iterable

from duckstring.engine.faults import attempt_failed
from duckstring.engine.freshness import NEVER
from duckstring.engine.pond import Run
from duckstring.engine.ripples import RippleGraph, RippleSpec


class LineExecutor:
    def __init__(self, ripples: Iterable[RippleSpec]) -> None:
        self.graph = RippleGraph(ripples)
        self.runs: dict[int, Run] = {}

    def begin(self, f: int, retries: int, force: bool = False) -> None:
        if force:
            for r in self.graph:
                r.end_f = NEVER
        self.graph.root_f = max(self.graph.root_f, f)
        self.runs[f] = Run(f, retries)
        self.graph.stamp(f)

    def ready(self) -> list[tuple[str, int]]:
        """Start every Ripple that can start now; return `(ripple, F)` for each."""
        started = []
        for r in self.graph:
            f = self.graph.start_f_for(r)
            if f is not None:
                self.graph.start(r, f)
                started.append((r.name, f))
        return started

    def succeeded(self, ripple: str) -> list[int]:
        """Record a success; return the runs it completed, oldest first."""
        self.graph.succeed(self.graph[ripple])
        end = self.graph.end_f()
        done = sorted(f for f in self.runs if f <= end)
        for f in done:
            del self.runs[f]
        return done

    def failed(self, ripple: str) -> list[int]:
        """Record a failed attempt; return the runs abandoned ([] when it retries, or when the
        attempt belonged to a run already abandoned: its failure ends there, and must not
        take down the run begun since)."""
        r = self.graph[ripple]
        if r.start_f not in self.runs:
            r.running = False
            return []
        if attempt_failed(self.runs, self.graph, r):
            return []
        abandoned = sorted(self.runs)
        self.runs.clear()
        self.graph.drop_demand()
        return abandoned

    def kill(self) -> None:
        self.runs.clear()
        self.graph.halt()

    @property
    def busy(self) -> bool:
        return bool(self.runs) or any(r.running for r in self.graph)
