"""The state of one live Pond line (`name@major`) — plain data; the rules live elsewhere.

Fields follow docs/concepts.md: freshness (§2), demand (§3), the standing trigger (§7), Windows (§8)
and faults (§9). `start_f` is the freshness the root Ripples read, so it is stored once, on the
Ripple graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from duckstring.engine.freshness import NEVER, Targets
from duckstring.engine.ripples import RippleGraph
from duckstring.engine.windows import WindowRule


@dataclass(frozen=True)
class SourceRef:
    """A declared Source: the line it reads and whether it is required (else optional)."""

    line: str
    required: bool = True


@dataclass(frozen=True)
class WaveTrigger:
    """A standing pull (§7). `every` (ms) paces it: it re-taps no sooner than `every` after
    its last tap (`tapped`); 0 leaves the cadence emergent."""

    every: int = 0
    tapped: int | None = None

    def due_at(self) -> int | None:
        """When the next tap may happen; None when it may happen now (or is unpaced)."""
        if not self.every or self.tapped is None:
            return None
        return self.tapped + self.every


@dataclass(frozen=True)
class TideTrigger:
    bound: int  # ms


Trigger = WaveTrigger | TideTrigger


@dataclass(slots=True)
class Run:
    """An in-flight Pond Run and its remaining immediate-retry budget."""

    f: int
    retries_left: int


@dataclass(eq=False, slots=True)
class Pond:
    line: str
    sources: tuple[SourceRef, ...]
    graph: RippleGraph
    end_f: int = NEVER
    changed_f: int = NEVER
    d: int = 0
    optional_read: dict[str, int] = field(default_factory=dict)  # §6: optional Source end_f read
    # demand
    has_pull: bool = False
    wake: bool = False  # a Wake's one-shot local pull: does not re-arm Sources
    forcing: bool = False  # the next run executes whatever its inputs
    code_changed: bool = True  # a new version deployed: the next run executes
    targets: Targets = field(default_factory=Targets)
    trigger: Trigger | None = None
    # the standing trigger last removed ("wave" or "tide") and when (`why`)
    trigger_removed: tuple[str, int] | None = None
    windows: list[WindowRule] = field(default_factory=list)
    # faults
    immediate_retries: int = 0
    source_retries: int = 0
    is_failed: bool = False
    failed_f: int = NEVER
    failures: int = 0
    is_blocked: bool = False
    is_killed: bool = False
    error: str | None = None
    # runs in flight, by freshness, and counters
    runs: dict[int, Run] = field(default_factory=dict)
    runs_started: int = 0
    runs_completed: int = 0

    @property
    def start_f(self) -> int:
        return self.graph.root_f

    @start_f.setter
    def start_f(self, f: int) -> None:
        self.graph.root_f = f

    @property
    def is_inlet(self) -> bool:
        return not self.sources

    @property
    def at_rest(self) -> bool:
        return self.start_f == self.end_f

    @property
    def idle(self) -> bool:
        """At rest with no Ripple running or holding a target: nothing left of any run."""
        return self.at_rest and self.graph.idle()

    @property
    def busy(self) -> bool:
        """A run is in flight or a Ripple is still running."""
        return bool(self.runs) or any(r.running for r in self.graph)

    @property
    def has_demand(self) -> bool:
        return self.has_pull or self.wake or bool(self.targets)
