"""What the engine is told. Triggers and control verbs come from users, Ripple and run reports
from Ducks (or the simulator's Ducks), `Tick` from a clock. Every event is applied at the `now`
passed to `Engine.handle`."""

from __future__ import annotations

from dataclasses import dataclass

from duckstring.engine.pond import SourceRef
from duckstring.engine.ripples import RippleSpec
from duckstring.engine.windows import WindowRule


# Topology
@dataclass(frozen=True)
class Deploy:
    """Create or replace a line's topology; a deploy also clears the line's failure (§10)."""

    line: str
    sources: tuple[SourceRef, ...]
    ripples: tuple[RippleSpec, ...]
    immediate_retries: int = 0  # seeds the live budget of a new line only
    source_retries: int = 0


@dataclass(frozen=True)
class RemoveLine:
    """Take a line out of the graph (`pond remove`): its work stops and its Sinks see it as a
    missing Source."""

    line: str


# Triggers (§7)
@dataclass(frozen=True)
class Tap:
    line: str


@dataclass(frozen=True)
class Pulse:
    line: str
    at: int | None = None


@dataclass(frozen=True)
class Wave:
    line: str
    every: int = 0  # ms between taps at least; 0 = emergent cadence


@dataclass(frozen=True)
class Tide:
    line: str
    bound: int


@dataclass(frozen=True)
class RemoveTrigger:
    line: str


# Windows (§8)
@dataclass(frozen=True)
class AddWindow:
    line: str
    rule: WindowRule


@dataclass(frozen=True)
class RemoveWindow:
    line: str
    name: str


# Control (§10) and budgets (§9)
@dataclass(frozen=True)
class Wake:
    line: str


@dataclass(frozen=True)
class Force:
    line: str


@dataclass(frozen=True)
class Sleep:
    line: str
    upstream: bool = False


@dataclass(frozen=True)
class Kill:
    line: str


@dataclass(frozen=True)
class Clear:
    line: str


@dataclass(frozen=True)
class SetBudget:
    line: str
    immediate_retries: int | None = None
    source_retries: int | None = None


# Duck reports
@dataclass(frozen=True)
class RippleStarted:
    line: str
    ripple: str
    f: int


@dataclass(frozen=True)
class RippleSucceeded:
    line: str
    ripple: str
    f: int


@dataclass(frozen=True)
class RippleFailed:
    line: str
    ripple: str
    f: int
    error: str = ""


@dataclass(frozen=True)
class RunFinished:
    """The Duck published run `f` (its leaf Ripples are done); `changed` is false when the
    output did not change (`pond.skip()` or identical tables)."""

    line: str
    f: int
    changed: bool = True


@dataclass(frozen=True)
class RunRejected:
    """The Duck refused to publish run `f` (its output broke the line's schema contract,
    §11): the run fails at once, no retry, and the last good snapshot stays live."""

    line: str
    f: int
    error: str


@dataclass(frozen=True)
class RunLost:
    """The line's Duck died, went silent past the liveness timeout, or its watchdog found the
    run stuck: the in-flight attempt fails (§9)."""

    line: str
    reason: str


@dataclass(frozen=True)
class Tick:
    """Time passed; re-check Tides, Windows and Inlets."""


Event = (
    Deploy | RemoveLine | Tap | Pulse | Wave | Tide | RemoveTrigger | AddWindow | RemoveWindow | Wake | Force
    | Sleep | Kill | Clear | SetBudget | RippleStarted | RippleSucceeded | RippleFailed
    | RunFinished | RunRejected | RunLost | Tick
)
