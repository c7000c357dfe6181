"""Tide cadence (model.md §7): a standing push with a freshness bound."""

from __future__ import annotations

import pytest

from tests.engine.simkit import (
    S,
    chain,
    clock,
    event,
    gaps,
    pond,
    ripple,
    scenario,
    simulate,
    window,
)

A1_B3_C1 = chain(("A", "1s"), ("B", "3s"), ("C", "1s"))  # lead time 5 s, bottleneck 3 s


def tide(bound: str, until: str = "2m") -> str:
    return scenario(clock(until=until), *A1_B3_C1, event("0s", "tide", "C", bound=bound))


@pytest.mark.parametrize("bound", [7, 12, 20])
def test_a_bound_longer_than_the_lead_time_lands_a_completion_every_bound(bound: int) -> None:
    out = simulate(tide(f"{bound}s"))
    done = out.completions("C")
    assert len(done) >= 120 // bound - 1
    assert set(gaps(done)) == {bound * S}
    # Each pulse asks for freshness `now`: the lineage runs once per pulse, at that F.
    assert out.fs("C", "success") == [k * bound * S for k in range(len(done))]
    for name in "AB":
        assert out.fs(name, "success")[: len(done)] == out.fs("C", "success")
        assert out.count(name, "success") <= len(done) + 1  # + a pulse landing at the horizon
    # Staleness never exceeds the bound plus the lead time it takes to serve a pulse.
    assert all(r["finished"] - r["f"] == 5 * S for r in out.runs("C", "success"))


def test_nothing_runs_between_pulses_of_a_long_bound() -> None:
    out = simulate(tide("20s", until="90s"))
    for name in "ABC":
        assert [r["f"] for r in out.runs(name)] == [0, 20 * S, 40 * S, 60 * S, 80 * S]
    assert out.doc["settled_at"] == 85 * S


@pytest.mark.parametrize("bound", [1, 2])
def test_a_bound_shorter_than_the_bottleneck_pipelines_at_the_bottleneck(bound: int) -> None:
    out = simulate(tide(f"{bound}s", until="60s"))
    steady = out.completions("C", after=20 * S)
    # As fast as the 3 s bottleneck allows, never faster.
    assert min(gaps(out.completions("C"))) >= 3 * S
    assert set(gaps(steady)) == {3 * S}
    # Targets stack: each completion serves the freshest input B had, so staleness stays
    # bounded instead of growing with the backlog of pulses.
    c_runs = [r for r in out.runs("C") if r["finished"] is not None]
    assert max(r["finished"] - r["f"] for r in c_runs) <= 5 * S + 3 * S


def test_a_bound_between_bottleneck_and_lead_time_lands_every_bound() -> None:
    out = simulate(tide("4s", until="60s"))
    assert set(gaps(out.completions("C"))) == {4 * S}


def test_a_tide_shorter_than_its_window_waits_for_each_occurrence_without_spinning() -> None:
    """With `bound <= d` no pulse can be served before the next occurrence; the Tide keeps one
    outstanding instead of pulsing at every instant."""
    out = simulate(scenario(
        clock(until="60s"),
        pond("feed", ripple("load", "4s"),
             window("w", "2026-01-01T00:00:14Z", "7s", duration="5s")),
        event("3500ms", "tide", "feed", bound="1s"),
    ))
    assert [r["started"] for r in out.runs("feed")] == [14 * S + k * 7 * S for k in range(7)]
    assert out.fs("feed") == [19 * S + k * 7 * S for k in range(7)]
    assert out.sim.events_processed < 200


def test_remove_stops_a_tide_and_in_flight_demand_drains() -> None:
    out = simulate(scenario(
        clock(until="60s"), *A1_B3_C1,
        event("0s", "tide", "C", bound="10s"),
        event("12s", "remove", "C"),
    ))
    assert out.fs("C") == [0, 10 * S]
    assert out.final("C")["end_f"] == 10 * S
    assert out.doc["settled_at"] == 15 * S


def test_force_does_not_confuse_a_tide_into_firing_in_the_past() -> None:
    """Force holds the always-satisfiable target NEVER; the Tide's `ref` must not fall to it
    (that made `next_deadline` lie in the past and the simulation stand still)."""
    out = simulate(scenario(
        clock(until="60s"),
        pond("P0", ripple("a", "2s"), window("w", "2026-01-01T00:00:02Z", "2s", duration="1s")),
        event("14500ms", "tide", "P0", bound="14s"),
        event("15s", "force", "P0"),
    ))
    assert out.doc["settled_at"] == 60 * S
    assert out.sim.events_processed < 200
    assert out.count("P0", "success") >= 4
