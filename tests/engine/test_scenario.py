"""Scenario files (spec/simulate.md): what a valid file means. Errors are exercised through the
CLI in tests/commands/test_simulate_cli.py."""

from __future__ import annotations

import pytest

from duckstring.simulator import ScenarioError, parse
from duckstring.times import parse_instant
from tests.engine.simkit import event, pond, ripple, scenario, window


def test_defaults() -> None:
    sc = parse(scenario(pond("A", ripple("a", "1h30m"))), "s.toml")
    assert sc.start == parse_instant("2026-01-01T00:00:00Z") and sc.until is None
    (a,) = sc.ponds
    assert a.ripples[0].duration == 5_400_000
    assert (a.immediate_retries, a.source_retries, a.windows, a.sources) == (0, 0, (), ())
    assert parse("[[pond]]\nname = \"A\"\n[[pond.ripple]]\nname = \"a\"\n").ponds[0].ripples[0].duration == 1000


def test_sources_mark_optional_with_a_question_mark() -> None:
    sc = parse(scenario(pond("A", ripple("a")), pond("B", ripple("b")),
                        pond("C", ripple("c"), sources=["A", "B?"])))
    assert sc.ponds[2].sources == (("A", True), ("B", False))


def test_events_at_one_instant_keep_file_order() -> None:
    sc = parse(scenario(pond("A", ripple("a")), event("2s", "tap", "A"), event("250ms", "wake", "A"),
                        event("2s", "pulse", "A"), event("1.5s", "kill", "A")))
    assert [(e.at, e.do) for e in sc.events] == [
        (250, "wake"), (1500, "kill"), (2000, "tap"), (2000, "pulse")]


def test_window_times_are_utc_on_the_clock_start_day() -> None:
    sc = parse(scenario("[clock]\nstart = \"2026-01-05T12:34:00Z\"",
                        pond("A", ripple("a"), window("w", "02:00", "1d", duration="3h",
                                                       on=["mon", "Fri"]))))
    (w,) = sc.ponds[0].windows
    assert w.start == parse_instant("2026-01-05T02:00:00Z")
    assert (w.every, w.duration, w.on_days) == (86_400_000, 10_800_000, frozenset({0, 4}))


def test_weekday_disjoint_windows_are_accepted() -> None:
    parse(scenario(pond("A", ripple("a"),
                        window("mon", "02:00", "1d", duration="3h", on=["MON"]),
                        window("tue", "02:00", "1d", duration="3h", on=["TUE"]))))


def test_every_error_is_a_single_line() -> None:
    with pytest.raises(ScenarioError) as info:
        parse("[[pond]]\nname = 3\n", "x.toml")
    assert str(info.value) == "x.toml: [[pond]] #1: name must be str, not 3"
