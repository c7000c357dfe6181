"""The worked outcomes of model.md §13, and the example scenarios that ship with duckstring."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from duckstring.simulator import Simulation, load
from duckstring.simulator.report import to_json, to_text
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

EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "scenarios").glob("*.toml"))
A1_B3_C1 = chain(("A", "1s"), ("B", "3s"), ("C", "1s"))


def test_cold_tap_across_ponds_runs_p1_three_times_and_p2_once() -> None:
    out = simulate(scenario(
        pond("p1", ripple("r1"), ripple("r2"), ripple("r3", parents=["r1", "r2"])),
        pond("p2", ripple("s1"), sources=["p1"]),
        event("0s", "tap", "p2"),
    ))
    assert out.count("p1", "success") == out.count("p1") == 3
    assert out.count("p2", "success") == out.count("p2") == 1
    # p2 read p1's first run; p1's second and third runs refill the Kanban behind it.
    assert out.fs("p2") == [0]
    assert out.fs("p1") == [0, 1 * S, 2 * S]
    assert out.doc["settled_at"] == 4 * S
    assert out.final("p2")["status"] == out.final("p1")["status"] == "idle"


def test_pull_paces_every_pond_to_the_bottleneck() -> None:
    out = simulate(scenario(*A1_B3_C1, event("0s", "wave", "C")), until="60s")
    for name in "ABC":
        steady = out.completions(name, after=20 * S)
        assert len(steady) >= 12
        assert set(gaps(steady)) == {3 * S}, name
    # A does not run three times per B run: between two B completions A completes once.
    b_done = out.completions("B", after=20 * S)
    a_done = out.completions("A")
    for lo, hi in pairwise(b_done):
        assert sum(lo <= t < hi for t in a_done) == 1
    assert abs(out.count("A") - out.count("B")) <= 2


def test_pulse_runs_the_lineage_once_in_order() -> None:
    out = simulate(scenario(*A1_B3_C1, event("0s", "pulse", "C")))
    spans = {name: [(r["started"], r["finished"]) for r in out.runs(name)] for name in "ABC"}
    assert spans == {"A": [(0, 1 * S)], "B": [(1 * S, 4 * S)], "C": [(4 * S, 5 * S)]}
    assert out.doc["settled_at"] == 5 * S
    assert [out.final(name)["end_f"] for name in "ABC"] == [0, 0, 0]


def test_push_only_touches_demanded_paths() -> None:
    out = simulate(scenario(
        pond("A", ripple("a")),
        pond("B", ripple("b")),
        pond("C", ripple("c"), sources=["A", "B"]),
        pond("D", ripple("d"), sources=["B"]),
        event("0s", "pulse", "D"),
    ))
    assert (out.count("A"), out.count("B"), out.count("C"), out.count("D")) == (0, 1, 0, 1)
    assert out.final("A")["end_f"] is None and out.final("C")["end_f"] is None
    assert out.final("D")["end_f"] == 0


def test_optional_parent_never_holds_the_sink_back() -> None:
    out = simulate(scenario(
        pond("A", ripple("fast", "1s")),
        pond("B", ripple("slow", "4s")),
        pond("C", ripple("combine", "1s"), sources=["A", "B?"]),
        event("0s", "wave", "C"),
    ), until="40s")
    assert set(gaps(out.completions("C", after=10 * S))) == {1 * S}
    assert set(gaps(out.completions("B", after=10 * S))) == {4 * S}
    # C's freshness follows its required Source, never the slow optional one.
    c_runs = [r for r in out.runs("C") if r["finished"] is not None]
    assert all(r["started"] - r["f"] <= 1 * S for r in c_runs)
    assert out.final("C")["end_f"] >= 40 * S - 2 * S


def test_optional_parent_is_folded_in_whenever_it_lands() -> None:
    """A's output never changes after its first run, so C has nothing new from A; each B
    landing is new input, and C executes for it instead of passing."""
    out = simulate(scenario(
        pond("A", ripple("fast", "1s", unchanged=True)),
        pond("B", ripple("slow", "4s")),
        pond("C", ripple("combine", "1s"), sources=["A", "B?"]),
        event("0s", "wave", "C"),
    ), until="40s")
    b_landed = out.completions("B")
    executed = [r["started"] for r in out.runs("C", "success")]
    assert len(b_landed) >= 8
    for t in b_landed[:-1]:  # the last may land at the horizon
        assert any(t <= s <= t + 1 * S for s in executed), t
    assert out.count("C", "passed") > out.count("C", "success")


def test_window_and_wave_run_each_pond_once_per_day() -> None:
    out = simulate(scenario(
        clock(start="2026-01-05T00:00:00Z", until="3d"),
        pond("feed", ripple("load", "10m"), window("nightly", "02:00", "1d", duration="3h")),
        pond("clean", ripple("dedupe", "5m"), sources=["feed"]),
        pond("report", ripple("summary", "1m"), sources=["clean"]),
        event("0s", "wave", "report"),
    ))
    hour, day = 3_600_000, 86_400_000
    for name in ("feed", "clean", "report"):
        assert out.count(name, "success") == out.count(name) == 3
        # Fresh until the window's end, 05:00, every day.
        assert out.fs(name) == [k * day + 5 * hour for k in range(3)]
    assert [r["started"] for r in out.runs("feed")] == [k * day + 2 * hour for k in range(3)]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_scenario_runs_and_is_deterministic(path: Path) -> None:
    first = Simulation(load(path)).run()
    second = Simulation(load(path)).run()
    assert sum(len(runs) for runs in first.timeline.runs.values()) > 0
    assert to_text(first) == to_text(second)
    assert to_json(first) == to_json(second)


def test_examples_cover_every_worked_outcome() -> None:
    assert {p.stem for p in EXAMPLES} >= {
        "cold-tap", "wave-bottleneck", "pulse-chain", "push-demanded-paths", "optional-source",
        "window-wave", "tide", "failure-budgets", "fix-and-redeploy",
    }


def test_the_examples_show_their_outcomes() -> None:
    by_name = {p.stem: Simulation(load(p)).run() for p in EXAMPLES}
    runs = {name: {pond: len(rs) for pond, rs in sim.timeline.runs.items()}
            for name, sim in by_name.items()}
    assert runs["cold-tap"] == {"p1": 3, "p2": 1}
    assert runs["pulse-chain"] == {"A": 1, "B": 1, "C": 1}
    assert runs["push-demanded-paths"] == {"A": 0, "B": 1, "C": 0, "D": 1}
    assert runs["window-wave"] == {"feed": 3, "clean": 3, "report": 3}
    assert runs["fix-and-redeploy"] == {"feed": 1, "prices": 2, "reports": 1}
    fixed = by_name["fix-and-redeploy"]
    assert fixed.timeline.runs["reports"][0].status == "success"
