"""Domain errors the engine raises before it changes any state."""

from __future__ import annotations


class EngineError(ValueError):
    """An event the engine refuses; nothing was changed."""


class UnknownPond(EngineError):
    """The event names a line the engine does not hold."""


class TopologyError(EngineError):
    """Ripples or Sources that cannot form a graph (unknown parent, duplicate, cycle)."""


class CycleError(TopologyError):
    """A deploy whose Sources would close a cycle between lines."""


class WindowError(EngineError):
    """A Window rule that is malformed, duplicated, overlapping or on a non-Inlet."""


class ConflictError(EngineError):
    """A request that conflicts with existing state (duplicate names, overlaps)."""


class WindowConflict(WindowError, ConflictError):
    """A Window whose name is taken or whose occurrences overlap another rule's."""
