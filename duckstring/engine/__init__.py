"""The pure orchestration engine (docs/concepts.md): no I/O, no clock, no threads.

The Catchment, the Duck and the simulator drive it through `Engine.handle(now, *events)`, which
returns effects; the Duck runs its Ripples with `LineExecutor`.
"""

from __future__ import annotations

from duckstring.engine.effects import (
    BeginRun,
    Effect,
    ResendRun,
    RunCompleted,
    RunFailed,
    RunKilled,
    StopWork,
)
from duckstring.engine.engine import Engine
from duckstring.engine.errors import (
    ConflictError,
    CycleError,
    EngineError,
    TopologyError,
    UnknownPond,
    WindowConflict,
    WindowError,
)
from duckstring.engine.executor import LineExecutor
from duckstring.engine.freshness import NEVER
from duckstring.engine.pond import Pond, SourceRef, TideTrigger, WaveTrigger
from duckstring.engine.ripples import RippleSpec, order_ripples
from duckstring.engine.windows import WindowRule
from duckstring.lines import line_id, split_line

__all__ = [
    "NEVER",
    "BeginRun",
    "ConflictError",
    "CycleError",
    "Effect",
    "Engine",
    "EngineError",
    "LineExecutor",
    "Pond",
    "ResendRun",
    "RippleSpec",
    "RunCompleted",
    "RunFailed",
    "RunKilled",
    "SourceRef",
    "StopWork",
    "TideTrigger",
    "TopologyError",
    "UnknownPond",
    "WaveTrigger",
    "WindowConflict",
    "WindowError",
    "WindowRule",
    "line_id",
    "order_ripples",
    "split_line",
]
