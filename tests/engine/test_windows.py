"""Windows (model.md §8): the rule arithmetic in `duckstring.engine.windows`, and what a Window
does to an Inlet and its Sinks on the virtual clock."""

from __future__ import annotations

import pytest

from duckstring.engine import Engine, RippleSpec, SourceRef, WindowConflict, WindowError, events
from duckstring.engine.windows import (
    DAY,
    WindowRule,
    active,
    check_add,
    next_change,
    next_opening,
    open_occurrence,
    overlaps,
    weekday,
)
from duckstring.times import parse_instant
from tests.engine.simkit import clock, event, pond, ripple, scenario, simulate, window

H = 3_600_000
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
MONDAY = parse_instant("2026-01-05T00:00:00Z")  # 00:00 UTC on a Monday


def nightly(name: str = "nightly", start: int = MONDAY + 2 * H,
            on_days: frozenset[int] | None = None, until: int | None = None) -> WindowRule:
    """02:00-05:00 UTC daily from Monday 2026-01-05 (or from `start`)."""
    return WindowRule(name, start, DAY, 3 * H, on_days, until)


# -- the arithmetic ------------------------------------------------------------------------
def test_weekday_is_utc_with_monday_zero() -> None:
    assert weekday(MONDAY) == MON
    assert weekday(MONDAY + 6 * DAY + 23 * H) == SUN
    assert weekday(0) == THU  # 1970-01-01


def test_an_occurrence_is_open_on_start_inclusive_end_exclusive() -> None:
    rule = nightly()
    assert open_occurrence(rule, MONDAY + 2 * H) == (MONDAY + 2 * H, MONDAY + 5 * H)
    assert open_occurrence(rule, MONDAY + 5 * H - 1) == (MONDAY + 2 * H, MONDAY + 5 * H)
    assert open_occurrence(rule, MONDAY + 5 * H) is None
    assert open_occurrence(rule, MONDAY + 2 * H - 1) is None
    assert open_occurrence(rule, MONDAY - DAY + 3 * H) is None  # before the anchor
    assert open_occurrence(rule, MONDAY + 3 * DAY + 4 * H) == (
        MONDAY + 3 * DAY + 2 * H, MONDAY + 3 * DAY + 5 * H)


def test_duration_defaults_to_every_so_occurrences_are_back_to_back() -> None:
    rule = WindowRule("hourly", MONDAY, H)
    assert rule.length == H
    assert open_occurrence(rule, MONDAY + 90 * 60_000) == (MONDAY + H, MONDAY + 2 * H)
    assert all(open_occurrence(rule, MONDAY + t) is not None for t in range(0, 5 * H, 7 * 60_000))


def test_next_opening_is_strictly_after_now() -> None:
    rule = nightly()
    assert next_opening(rule, MONDAY) == MONDAY + 2 * H
    assert next_opening(rule, MONDAY - 10 * DAY) == MONDAY + 2 * H  # before the anchor
    assert next_opening(rule, MONDAY + 2 * H) == MONDAY + DAY + 2 * H
    assert next_opening(rule, MONDAY + 6 * H) == MONDAY + DAY + 2 * H


def test_on_days_keeps_only_those_weekdays() -> None:
    rule = nightly(on_days=frozenset({MON, WED, FRI}))
    assert open_occurrence(rule, MONDAY + 3 * H) is not None
    assert open_occurrence(rule, MONDAY + DAY + 3 * H) is None  # Tuesday
    assert open_occurrence(rule, MONDAY + 2 * DAY + 3 * H) is not None  # Wednesday
    assert next_opening(rule, MONDAY + 3 * H) == MONDAY + 2 * DAY + 2 * H
    assert next_opening(rule, MONDAY + 4 * DAY + 3 * H) == MONDAY + 7 * DAY + 2 * H  # Fri → Mon


def test_on_days_with_a_sub_daily_rule_skips_whole_days() -> None:
    rule = WindowRule("quarter", MONDAY, 15 * 60_000, 5 * 60_000, frozenset({SAT}))
    assert next_opening(rule, MONDAY) == MONDAY + 5 * DAY
    assert open_occurrence(rule, MONDAY + 5 * DAY + 16 * 60_000) == (
        MONDAY + 5 * DAY + 15 * 60_000, MONDAY + 5 * DAY + 20 * 60_000)


def test_until_ends_the_rule() -> None:
    rule = nightly(until=MONDAY + 2 * DAY + 2 * H)  # the Wednesday occurrence starts at until
    assert open_occurrence(rule, MONDAY + DAY + 3 * H) is not None
    assert open_occurrence(rule, MONDAY + 2 * DAY + 3 * H) is None
    assert next_opening(rule, MONDAY + DAY + 3 * H) is None


def test_next_change_is_the_earliest_opening_of_any_rule() -> None:
    early = WindowRule("early", MONDAY + 1 * H, DAY, H)
    late = nightly()
    assert next_change([late, early], MONDAY) == MONDAY + 1 * H
    assert next_change([late, early], MONDAY + 1 * H) == MONDAY + 2 * H
    assert next_change([nightly(until=MONDAY)], MONDAY) is None


def test_active_is_the_open_occurrence_with_the_earliest_end() -> None:
    short = WindowRule("short", MONDAY + 2 * H, DAY, H)
    assert active([nightly()], MONDAY + 3 * H) == (MONDAY + 5 * H, 3 * H)
    assert active([nightly()], MONDAY + 6 * H) is None
    # Non-overlapping rules are never open together; each answers in its own occurrence.
    evening = WindowRule("evening", MONDAY + 20 * H, DAY, 2 * H)
    assert active([short, evening], MONDAY + 21 * H) == (MONDAY + 22 * H, 2 * H)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (WindowRule("w", MONDAY, DAY, 2 * DAY), "duration is longer than every"),
        (WindowRule("w", MONDAY, 0), "every must be positive"),
        (WindowRule("w", MONDAY, DAY, 0), "duration must be positive"),
        (WindowRule("", MONDAY, DAY), "needs a name"),
        (WindowRule("w", MONDAY, DAY, on_days=frozenset({7})), "on_days"),
        (WindowRule("w", MONDAY, DAY, on_days=frozenset()), "on_days"),
    ],
)
def test_malformed_rules_are_rejected(rule: WindowRule, message: str) -> None:
    with pytest.raises(WindowError, match=message):
        check_add([], rule)


def test_overlapping_rules_are_rejected() -> None:
    with pytest.raises(WindowConflict, match="overlaps Window 'nightly'"):
        check_add([nightly()], WindowRule("late", MONDAY + 4 * H, DAY, 2 * H))
    with pytest.raises(WindowConflict, match="already exists"):
        check_add([nightly()], nightly(start=MONDAY + 12 * H))


def test_overlap_is_found_wherever_the_periods_meet() -> None:
    evens = WindowRule("evens", MONDAY, 2 * H, H)  # [0,1) [2,3) [4,5) …
    threes = WindowRule("threes", MONDAY + H, 3 * H, H)  # [1,2) [4,5) …
    odds = WindowRule("odds", MONDAY + H, 2 * H, H)  # [1,2) [3,4) …
    assert overlaps(evens, threes) and overlaps(threes, evens)
    assert not overlaps(evens, odds)


def test_weekday_disjoint_rules_do_not_overlap() -> None:
    monday = nightly("monday", on_days=frozenset({MON}))
    tuesday = nightly("tuesday", on_days=frozenset({TUE}))
    both = WindowRule("late", MONDAY + 4 * H, DAY, 3 * H, frozenset({MON, TUE}))
    assert not overlaps(monday, tuesday)
    check_add([monday], tuesday)  # accepted
    assert overlaps(monday, both) and overlaps(tuesday, both)
    weekend = WindowRule("weekend", MONDAY + 3 * H, DAY, 3 * H, frozenset({SAT, SUN}))
    check_add([monday, tuesday], weekend)
    assert not overlaps(weekend, both)


def test_rules_that_end_before_the_other_starts_do_not_overlap() -> None:
    january = nightly("january", until=MONDAY + 7 * DAY)
    february = nightly("february", start=MONDAY + 7 * DAY + 3 * H)
    assert not overlaps(january, february)
    assert overlaps(january, nightly("late", start=MONDAY + 3 * H))


# -- the engine: Windows on Inlets only -----------------------------------------------------
def test_the_engine_refuses_windows_on_a_pond_with_sources() -> None:
    eng = Engine()
    ripples = (RippleSpec("r"),)
    eng.handle(MONDAY, events.Deploy("a@1", (), ripples), events.Deploy("b@1", (SourceRef("a@1"),), ripples))
    with pytest.raises(WindowError, match="Inlets only"):
        eng.handle(MONDAY, events.AddWindow("b@1", nightly()))
    eng.handle(MONDAY, events.AddWindow("a@1", nightly()))
    with pytest.raises(WindowConflict):
        eng.handle(MONDAY, events.AddWindow("a@1", nightly("late", start=MONDAY + 3 * H)))
    assert [w.name for w in eng.ponds["a@1"].windows] == ["nightly"]


def test_removing_the_window_frees_the_inlet() -> None:
    eng = Engine()
    eng.handle(MONDAY, events.Deploy("a@1", (), (RippleSpec("r"),)),
               events.AddWindow("a@1", nightly()))
    effects = eng.handle(MONDAY + 6 * H, events.Tap("a@1"))
    assert effects == []  # between occurrences: demand waits
    assert eng.next_deadline() == MONDAY + DAY + 2 * H
    effects = eng.handle(MONDAY + 7 * H, events.RemoveWindow("a@1", "nightly"))
    assert [(e.line, e.f) for e in effects] == [("a@1", MONDAY + 7 * H)]


# -- simulated: throttling ------------------------------------------------------------------
def weekly(on: list[str], until: str = "8d", tap: str | None = None) -> str:
    demand = event(tap, "tap", "clean") if tap else event("0s", "wave", "clean")
    return scenario(
        clock(start="2026-01-05T00:00:00Z", until=until),
        pond("feed", ripple("load", "10m"),
             window("nightly", "02:00", "1d", duration="3h", on=on)),
        pond("clean", ripple("dedupe", "5m"), sources=["feed"]),
        demand,
    )


def test_a_weekday_filter_runs_only_on_those_days() -> None:
    out = simulate(weekly(["MON", "WED", "FRI"]))
    days = [0, 2, 4, 7]  # Mon, Wed, Fri, next Mon
    for name in ("feed", "clean"):
        assert out.count(name, "success") == out.count(name) == len(days)
        assert out.fs(name) == [d * DAY + 5 * H for d in days]
    assert [r["started"] for r in out.runs("feed")] == [d * DAY + 2 * H for d in days]


def test_demand_waits_between_occurrences_and_freshness_is_the_occurrence_end() -> None:
    # Tapped on Monday 06:00, after the window closed: the run waits for Wednesday's.
    out = simulate(weekly(["MON", "WED"], tap="6h", until="6d"))
    assert [r["started"] for r in out.runs("feed")] == [2 * DAY + 2 * H]
    assert out.fs("feed") == out.fs("clean") == [2 * DAY + 5 * H]
    # d is the occurrence's duration and travels with the freshness to the Sink.
    assert out.state("feed").d == out.state("clean").d == 3 * H
    # clean's start re-armed feed (Kanban), which now waits for next Monday's occurrence.
    assert out.final("feed")["status"] == "queued"
    assert out.doc["settled_at"] == 2 * DAY + 2 * H + 15 * 60_000
    later = simulate(weekly(["MON", "WED"], tap="6h", until="8d"))
    assert [r["started"] for r in later.runs("feed")] == [2 * DAY + 2 * H, 7 * DAY + 2 * H]
    assert later.count("clean") == 1


def test_a_second_run_inside_one_occurrence_never_starts() -> None:
    out = simulate(scenario(
        clock(start="2026-01-05T00:00:00Z", until="1d"),
        pond("feed", ripple("load", "10m"), window("nightly", "02:00", "1d", duration="3h")),
        event("2h", "tap", "feed"),
        event("3h", "tap", "feed"),
        event("4h", "pulse", "feed"),
    ))
    assert out.fs("feed") == [5 * H]  # the pulse at 04:00 is covered: F = 05:00 ≥ 04:00
    assert out.final("feed")["end_f"] == 5 * H
