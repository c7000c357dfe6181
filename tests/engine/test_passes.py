"""No-change passes (model.md §6): a run whose inputs did not change completes at once, with no
Duck work; freshness advances, `changed_f` is held."""

from __future__ import annotations

from tests.engine.simkit import S, chain, clock, event, pond, ripple, scenario, simulate


def test_an_unchanged_source_turns_downstream_runs_into_passes() -> None:
    out = simulate(scenario(
        clock(until="20s"),
        *chain(("A", "1s"), ("B", "1s"), ("C", "1s"), unchanged=["A"]),
        event("0s", "wave", "C"),
    ))
    for name in "BC":
        runs = out.runs(name)
        assert runs[0]["status"] == "success"
        assert len(runs) > 10 and all(r["status"] == "passed" for r in runs[1:])
        # A pass does no Duck work: no Ripple attempt, completes the instant it starts.
        assert out.executions(name) == 1
        assert all(r["started"] == r["finished"] for r in runs[1:])
        # Freshness keeps advancing while changed_f holds at the last real change.
        final = out.final(name)
        assert final["changed_f"] == 0 and final["end_f"] >= 15 * S
    assert out.count("A", "success") == out.count("A") - 1  # A executes; one run in flight


def test_an_unchanged_interior_pond_stops_the_change_from_travelling_on() -> None:
    out = simulate(scenario(
        clock(until="20s"),
        *chain(("A", "1s"), ("B", "1s"), ("C", "1s"), unchanged=["B"]),
        event("0s", "wave", "C"),
    ))
    # A changes every run, so B executes every time, but B's output never changes again.
    assert out.count("B", "passed") == 0 and out.executions("B") == out.count("B")
    assert out.count("C", "success") == 1
    assert out.count("C", "passed") > 10
    assert out.final("B")["changed_f"] == 0 and out.final("C")["changed_f"] == 0


def test_always_run_executes_whatever_the_inputs() -> None:
    out = simulate(scenario(
        clock(until="20s"),
        pond("A", ripple("a", "1s", unchanged=True)),
        pond("B", ripple("b", "1s", always_run=True), sources=["A"]),
        pond("C", ripple("c", "1s"), sources=["B"]),
        event("0s", "wave", "C"),
    ))
    assert out.count("B", "passed") == 0
    assert out.executions("B") == out.count("B") > 10
    # B executed and its output changed each time, so C executes too.
    assert out.count("C", "passed") == 0
    assert out.final("B")["changed_f"] == out.final("B")["end_f"]


def test_a_pulse_through_an_unchanged_graph_passes_the_interior() -> None:
    out = simulate(scenario(
        *chain(("A", "1s"), ("B", "3s"), ("C", "1s"), unchanged=["A"]),
        event("0s", "pulse", "C"),
        event("10s", "pulse", "C"),
    ))
    assert [r["status"] for r in out.runs("A")] == ["success", "success"]
    assert [(r["status"], r["f"]) for r in out.runs("B")] == [("success", 0), ("passed", 10 * S)]
    assert [(r["status"], r["f"]) for r in out.runs("C")] == [("success", 0), ("passed", 10 * S)]
    # The second pulse is served the moment A lands: the lead time collapses to A's 1 s.
    assert out.runs("C")[1]["finished"] == 11 * S
    assert out.final("C")["end_f"] == 10 * S and out.final("C")["changed_f"] == 0


def test_a_run_reports_no_change_only_when_every_ripple_did() -> None:
    out = simulate(scenario(
        clock(until="10s"),
        pond("A", ripple("same", "1s", unchanged=True), ripple("moving", "1s")),
        pond("B", ripple("b", "1s"), sources=["A"]),
        event("0s", "wave", "B"),
    ))
    assert out.count("B", "passed") == 0
    assert out.final("A")["changed_f"] == out.final("A")["end_f"]
