"""Fault paths (model.md §9) on the virtual clock: retries, budgets, blocking, draining and
recovery. Deploy and a lost Duck are in test_engine_direct.py."""

from __future__ import annotations

from tests.engine.simkit import Outcome, S, clock, event, pond, ripple, scenario, simulate

A = pond("A", ripple("a", "1s"))
C = pond("C", ripple("c", "1s"), sources=["B"])


def b(fail: list[int], **budget: int) -> str:
    return pond("B", ripple("b", "2s", fail=fail), sources=["A"], **budget)


def statuses(attempts: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(a["f"], a["status"]) for a in attempts]


def test_an_immediate_retry_reruns_the_ripple_inside_the_same_run() -> None:
    out = simulate(scenario(A, b([1], immediate_retries=1), C, event("0s", "pulse", "C")))
    assert statuses(out.attempts("B", "b")) == [(0, "failed"), (0, "success")]
    assert out.runs("B") == [{"f": 0, "started": 1 * S, "finished": 5 * S, "status": "success"}]
    assert out.fs("C") == [0]
    assert not out.final("B")["is_failed"]


def test_without_budget_the_run_fails_and_the_sink_is_blocked() -> None:
    out = simulate(scenario(A, b([1]), C, event("0s", "pulse", "C"), event("10s", "tap", "A")))
    assert [r["status"] for r in out.runs("B")] == ["failed"]
    assert out.count("B") == 1  # no on-change budget: A's fresher output does not revive it
    assert out.final("B")["status"] == "failed" and out.final("B")["is_blocked"]
    assert out.final("C")["is_blocked"] and out.final("C")["status"] == "blocked"
    assert out.count("C") == 0


def test_retry_on_change_runs_again_when_the_source_has_fresher_output() -> None:
    out = simulate(scenario(
        A, b([1], source_retries=1), C,
        event("0s", "pulse", "C"),
        event("10s", "tap", "A"),
    ))
    assert [(r["f"], r["status"], r["started"]) for r in out.runs("B")] == [
        (0, "failed", 1 * S), (10 * S, "success", 11 * S)]
    # Recovery: the later success clears the failure and unblocks C, which drains its target.
    assert not out.final("B")["is_failed"] and not out.final("C")["is_blocked"]
    assert out.state("B").failures == 0
    assert out.fs("C") == [10 * S]


def test_retry_on_change_does_not_fire_without_a_change() -> None:
    out = simulate(scenario(
        clock(until="60s"), A, b([1], source_retries=3), C, event("0s", "pulse", "C")))
    assert out.count("B") == 1 and out.final("B")["is_failed"]


def test_the_on_change_budget_is_exhausted_then_the_pond_stays_failed() -> None:
    out = simulate(scenario(
        A, b([1, 2, 3, 4], immediate_retries=1, source_retries=1), C,
        event("0s", "pulse", "C"),
        event("20s", "tap", "A"),  # retry on change: fails again (attempts 3 and 4)
        event("40s", "tap", "A"),  # failures (2) now exceed source_retries (1): no retry
    ))
    assert [(r["f"], r["status"]) for r in out.runs("B")] == [(0, "failed"), (20 * S, "failed")]
    assert statuses(out.attempts("B", "b")) == [
        (0, "failed"), (0, "failed"), (20 * S, "failed"), (20 * S, "failed")]
    state = out.state("B")
    assert state.is_failed and state.failures == 2 and state.failed_f - out.sim.scenario.start == 20 * S
    assert out.fs("A") == [0, 20 * S, 40 * S]


def test_a_raised_budget_lets_a_failed_pond_retry() -> None:
    out = simulate(scenario(
        A, b([1]), C,
        event("0s", "pulse", "C"),
        event("10s", "tap", "A"),  # no budget yet: nothing
        event("20s", "budget", "B", source_retries=1),  # now source_f > start_f allows a retry
    ))
    assert [(r["f"], r["status"], r["started"]) for r in out.runs("B")] == [
        (0, "failed", 1 * S), (10 * S, "success", 20 * S)]
    assert out.fs("C") == [10 * S]


def test_an_inlet_retries_on_change_one_run_at_a_time() -> None:
    """An Inlet's `source_f` is always `now`; a retry run is in flight until it reports, so the
    Inlet must not start another run at every instant it happens to be re-checked."""
    out = simulate(scenario(
        clock(until="60s"),
        pond("P", ripple("slow", "2s"), ripple("quick", "1s"),
             ripple("last", "1s", parents=["slow"], fail=[1, 2]), source_retries=2),
        event("0s", "pulse", "P"),
    ))
    assert [(r["f"], r["status"]) for r in out.runs("P")] == [
        (0, "failed"), (3 * S, "failed"), (6 * S, "success")]
    assert not out.final("P")["is_failed"]


def test_blocking_travels_through_required_sources_but_not_optional_ones() -> None:
    out = simulate(scenario(
        pond("A", ripple("a", fail=[1])),
        pond("X", ripple("x")),
        pond("B", ripple("b"), sources=["A"]),
        pond("C", ripple("c"), sources=["A?", "X"]),
        pond("D", ripple("d"), sources=["B"]),
        event("0s", "pulse", "A"),
        event("5s", "pulse", "C"),
        event("5s", "pulse", "D"),
    ))
    blocked = {name: out.final(name)["is_blocked"] for name in "ABCDX"}
    assert blocked == {"A": True, "B": True, "C": False, "D": True, "X": False}
    assert out.final("D")["status"] == "blocked"
    # The optional Source never holds C back; the blocked D accepted no new push.
    assert out.fs("C") == [5 * S] and out.count("D") == 0 and out.count("B") == 0


def test_a_blocked_sink_drains_demand_it_already_holds() -> None:
    """C holds a pull from before the block; S2 then lands fresher output, so C runs — but a
    blocked Pond never re-arms its Sources, and a new pulse while blocked is ignored."""

    def run(fail: list[int], *extra: str) -> Outcome:
        return simulate(scenario(
            pond("S1", ripple("s1", "1s", fail=fail)),
            pond("S2", ripple("s2", "5s")),
            pond("C", ripple("c", "1s"), sources=["S1", "S2"]),
            event("0s", "tap", "C"),
            event("2s", "tap", "S1"),  # S1's second run fails at 3 s when `fail = [2]`
            *extra,
        ))

    blocked = run([2], event("4s", "pulse", "C"))
    assert [r["status"] for r in blocked.runs("S1")] == ["success", "failed"]
    assert blocked.runs("C") == [{"f": 0, "started": 5 * S, "finished": 6 * S, "status": "success"}]
    assert blocked.final("C")["is_blocked"]
    assert blocked.count("S2") == 1  # not re-armed by the blocked C; the pulse was refused
    healthy = run([])
    assert healthy.fs("C") == [0]
    assert healthy.count("S2") == 2  # the healthy C re-arms its Sources as it starts (Kanban)


def test_recovery_by_a_later_success_unblocks_the_whole_lineage() -> None:
    text = scenario(
        A, b([1]), C,
        pond("D", ripple("d", "1s"), sources=["C"]),
        event("0s", "pulse", "D"),
        event("10s", "wake", "B"),
    )
    during = simulate(text, until="9s")
    assert [during.final(name)["is_blocked"] for name in "ABCD"] == [False, True, True, True]
    out = simulate(text)
    assert out.final("D")["status"] == "idle"
    assert [r["status"] for r in out.runs("B")] == ["failed", "success"]
    assert out.fs("C") == out.fs("D") == [0]
    assert not any(out.final(name)["is_blocked"] for name in "ABCD")
