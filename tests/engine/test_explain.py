"""Issue 9 item 10: `simulate` explains — the timeline says why (blocks and unblocks with their
root cause, passes, where a Tap's pull reached), from the engine's own notes; and
`explain()`, the reusable view of why a Pond is in its state."""

from __future__ import annotations

from duckstring.engine.explain import explain
from duckstring.times import format_offset
from tests.engine.simkit import clock, event, pond, ripple, scenario, simulate, window


def lines_of(text: str, pond_name: str) -> list[str]:
    """The timeline lines of one Pond, without their times."""
    out = []
    for line in text.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[1] == pond_name and parts[0].startswith("+"):
            out.append(parts[2])
    return out


def why(out: object, name: str) -> list[tuple[str, str]]:
    """(kind, text) of each reason `explain` gives for `name` at the end of the run."""
    sim = out.sim  # type: ignore[attr-defined]
    return [(r.kind, r.render(lambda line: line.rpartition("@")[0],
                              lambda ms: format_offset(ms - sim.scenario.start)))
            for r in explain(sim.engine, f"{name}@1").reasons]


def test_block_and_unblock_name_their_root_cause() -> None:
    out = simulate(scenario(
        pond("A", ripple("a", fail=[1])),
        pond("B", ripple("b"), sources=["A"]),
        pond("C", ripple("c"), sources=["B"]),
        event("0s", "pulse", "C"),
        event("10s", "deploy", "A"),
    ))
    text = out.text()
    assert "+1.000s  A  run F=+0.000s failed: a raised (attempt 1)" in text
    # the root cause two levels down is the failed Pond, not the blocked one between
    assert lines_of(text, "C")[1].startswith("blocked: A failed (a raised (attempt 1))")
    assert "+10.000s  A  recovered (deployed)" in text
    assert "+10.000s  C  unblocked: A recovered (deployed)" in text
    assert "+10.000s  B  sends its held demand again to A" in text
    # blocked comes after the failure that caused it, unblocked before the run it enables
    assert text.index("failed: a raised") < text.index("B  blocked")
    assert text.index("B  unblocked") < text.index("+10.000s  A  run F=+10.000s started")


def test_why_a_run_began_and_why_it_passed() -> None:
    out = simulate(scenario(
        pond("A", ripple("a", unchanged=True)),
        pond("B", ripple("b"), sources=["A"]),
        event("0s", "tap", "B"),
        event("10s", "tap", "B"),
    ))
    b = lines_of(out.text(), "B")
    assert "run F=+0.000s started (pull; first run)" in b
    # B's first start re-armed A (the Kanban refill), so A is ahead at the second Tap: B
    # reads that run of A, which changed nothing
    assert "← tap: reaches B; not A (already ahead of B: its newer run serves the pull)" in b
    assert "run F=+1.000s passed (pull; no Source changed since its last run)" in b
    assert "run F=+1.000s started (pull; Inlet)" in lines_of(out.text(), "A")
    # the summary counts the pass apart from the executed runs
    row = next(line.split() for line in out.text().splitlines() if line.startswith("B "))
    assert row[1:5] == ["2", "1", "1", "0"]  # runs, executed, passed, failed


def test_a_tap_says_which_sources_it_reached_and_which_not_and_why() -> None:
    out = simulate(scenario(
        pond("A", ripple("a", "3s")),
        pond("D", ripple("d")),
        pond("B", ripple("b"), sources=["A"]),
        pond("C", ripple("c"), sources=["A", "D"]),
        event("0s", "tap", "B"),
        event("1s", "tap", "C"),
    ))
    (tap,) = [line for line in lines_of(out.text(), "C") if line.startswith("← tap")]
    assert tap == "← tap: reaches C, D; not A (already ahead of C: its newer run serves the pull)"


def test_demand_on_a_blocked_pond_says_it_was_not_taken() -> None:
    out = simulate(scenario(
        pond("A", ripple("a", fail=[1])),
        pond("B", ripple("b"), sources=["A"]),
        event("0s", "tap", "B"),
        event("5s", "pulse", "B"),
    ))
    assert "← pulse: not B (blocked: takes no new demand)" in lines_of(out.text(), "B")


def test_the_report_ends_with_why_each_pond_is_not_at_rest() -> None:
    out = simulate(scenario(
        pond("A", ripple("a", fail=[1])),
        pond("B", ripple("b"), sources=["A"]),
        event("0s", "pulse", "B"),
    ))
    text = out.text()
    assert "\nA  failed: a raised (attempt 1); runs again after a deploy of a fix" in text
    assert "\nB  blocked: A failed (a raised (attempt 1)); holds a push target +0.000s, kept until" in text
    assert out.final("B")["why"][0] == "A failed (a raised (attempt 1))"


# -- explain(): one reason per rule ------------------------------------------------------------
def test_explains_a_failure_and_the_ways_back() -> None:
    out = simulate(scenario(pond("A", ripple("a", fail=[1])), event("0s", "pulse", "A")))
    assert why(out, "A") == [
        ("failed", "a raised (attempt 1)"),
        ("recover", "runs again after a deploy of a fix, wake, force, or clear then demand"),
    ]


def test_explains_a_pond_queued_behind_a_running_source() -> None:
    out = simulate(scenario(
        pond("A", ripple("a", "5s")),
        pond("B", ripple("b"), sources=["A"]),
        event("0s", "pulse", "B"),
    ), until="2s")
    assert why(out, "B") == [("holds", "holds a push target +0.000s"),
                             ("waits", "waits for Source A, running")]
    assert why(out, "A") == [("running", "Ripples a running")]


def test_explains_waiting_for_a_window() -> None:
    out = simulate(scenario(
        clock(until="1h"),
        pond("A", ripple("a"), window("nightly", "02:00", "1d", duration="1h")),
        event("0s", "tap", "A"),
    ))
    assert ("window", "waits for Window nightly to open at +2h00m00.000s") in why(out, "A")
    reason = explain(out.sim.engine, "A@1").reasons[-1]  # type: ignore[attr-defined]
    assert (reason.kind, reason.rule, reason.at) == ("window", "§8",
                                                     out.sim.scenario.start + 2 * 3_600_000)


def test_explains_idle_since_its_standing_trigger_was_removed() -> None:
    out = simulate(scenario(
        pond("A", ripple("a")),
        event("0s", "wave", "A"),
        event("3500ms", "remove", "A"),
    ))
    assert why(out, "A")[0] == (
        "idle", "no demand: no pull, no push target; its Wave was removed at +3.500s")


def test_explains_idle_without_demand_and_a_run_that_will_pass() -> None:
    out = simulate(scenario(
        pond("A", ripple("a", unchanged=True)),
        pond("B", ripple("b"), sources=["A"]),
        event("0s", "tap", "B"),
    ))
    assert why(out, "B") == [
        ("idle", "no demand: no pull, no push target, no standing trigger"),
        ("pass", "its next run will pass: no Source changed since its last run"),
    ]
    assert why(out, "A")[0][0] == "idle" and len(why(out, "A")) == 1  # an Inlet never passes


def test_explains_idle_after_sleep_dropped_its_tide() -> None:
    out = simulate(scenario(
        pond("A", ripple("a")),
        event("0s", "tide", "A", bound="10s"),
        event("2s", "sleep", "A"),
    ), until="20s")
    assert why(out, "A")[0] == (
        "idle", "no demand: no pull, no push target; its Tide was removed at +2.000s")
