"""Removing a line (`pond remove`): its work stops, it leaves the graph, and its Sinks see a
missing Source and are blocked (model.md §9) until the line is deployed again."""

from __future__ import annotations

from duckstring.engine import (
    BeginRun,
    Engine,
    RippleSpec,
    RunKilled,
    SourceRef,
    StopWork,
    events,
)
from duckstring.engine import status as derive


def _chain() -> Engine:
    eng = Engine()
    eng.handle(0, events.Deploy("a@1", (), (RippleSpec("r"),)),
               events.Deploy("b@1", (SourceRef("a@1"),), (RippleSpec("s"),)))
    return eng


def test_removing_a_running_source_stops_it_and_blocks_its_sink() -> None:
    eng = _chain()
    eng.handle(10, events.Pulse("b@1"))
    eng.handle(20, events.RippleStarted("a@1", "r", 10))
    eng.take_changed()
    effects = eng.handle(30, events.RemoveLine("a@1"))
    assert effects == [StopWork("a@1"), RunKilled("a@1", 10, "the Pond was removed")]
    assert "a@1" not in eng.ponds
    assert "a@1" in eng.take_changed()  # the caller drops the stored state
    b = eng.ponds["b@1"]
    assert b.is_blocked and derive.missing_sources(eng, b) == ["a@1"]
    assert derive.status(b) == "blocked"
    # Late reports from the removed line's Duck change nothing.
    assert eng.handle(40, events.Tick()) == []


def test_a_removed_source_deployed_again_unblocks_its_sink() -> None:
    eng = _chain()
    eng.handle(10, events.RemoveLine("a@1"))
    eng.handle(20, events.Deploy("a@1", (), (RippleSpec("r"),)))
    assert not eng.ponds["b@1"].is_blocked
    effects = eng.handle(30, events.Pulse("b@1"))
    assert [e for e in effects if isinstance(e, BeginRun)] == [BeginRun("a@1", 30, True)]


def test_removing_a_sink_drops_its_edges() -> None:
    eng = _chain()
    eng.handle(10, events.RemoveLine("b@1"))
    assert eng.sinks_of("a@1") == []
    assert eng.handle(20, events.Tap("a@1"))  # a@1 still runs on its own
