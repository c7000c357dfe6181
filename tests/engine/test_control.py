"""Control verbs, one row of model.md §10's table at a time: does the verb run the Pond, does it
need fresher Sources, does it advance freshness, does it clear failed/killed?"""

from __future__ import annotations

from tests.engine.simkit import S, chain, clock, event, pond, ripple, scenario, simulate

A_B_C = chain(("A", "1s"), ("B", "2s"), ("C", "1s"))


def with_b(b: str) -> list[str]:
    """A → B → C with B replaced by `b` (to script its failures)."""
    return [A_B_C[0], b, A_B_C[2]]


# -- wake ----------------------------------------------------------------------------------
def test_wake_waits_for_fresher_input_runs_once_and_does_not_rearm_sources() -> None:
    out = simulate(scenario(
        *A_B_C,
        event("0s", "pulse", "C"),
        event("10s", "wake", "B"),  # A has nothing newer than B read: B waits
        event("20s", "tap", "A"),
        event("30s", "tap", "A"),  # one-shot: the wake is spent
    ))
    assert out.fs("B") == [0, 20 * S]
    assert [r["started"] for r in out.runs("B")] == [1 * S, 21 * S]
    assert out.fs("A") == [0, 20 * S, 30 * S]  # B's woken run did not re-arm A
    assert out.count("C") == 1  # and nothing downstream holds demand
    assert out.final("B")["end_f"] == 20 * S  # freshness advanced


def test_wake_clears_a_failure_and_runs_when_input_allows() -> None:
    out = simulate(scenario(
        *with_b(pond("B", ripple("b", "2s", fail=[1]), sources=["A"])),
        event("0s", "pulse", "C"),
        event("10s", "wake", "B"),
    ))
    assert [r["status"] for r in out.runs("B")] == ["failed", "success"]
    assert out.runs("B")[1]["started"] == 10 * S
    assert out.fs("B") == [0, 0]
    # C held its target through the block and drains once B recovers.
    assert out.fs("C") == [0]
    assert not out.final("B")["is_failed"] and not out.final("C")["is_blocked"]


def test_wake_clears_a_kill() -> None:
    out = simulate(scenario(
        *A_B_C,
        event("0s", "pulse", "C"),
        event("2s", "kill", "B"),
        event("10s", "wake", "B"),
    ))
    assert [(r["status"], r["started"]) for r in out.runs("B")] == [
        ("killed", 1 * S), ("success", 10 * S)]
    assert not out.final("B")["is_killed"]
    # C held the pulse's target through the block; once B delivers, it drains.
    assert [(r["f"], r["started"]) for r in out.runs("C")] == [(0, 12 * S)]


# -- force ---------------------------------------------------------------------------------
def test_force_reruns_a_pond_at_its_unchanged_freshness_and_no_sink_reruns() -> None:
    out = simulate(scenario(
        *A_B_C,
        event("0s", "pulse", "C"),
        event("10s", "force", "B"),
    ))
    assert out.fs("B") == [0, 0]
    assert [r["status"] for r in out.runs("B")] == ["success", "success"]  # executed, no pass
    assert out.runs("B")[1]["started"] == 10 * S  # at once: no fresher Source needed
    assert out.count("A") == 1 and out.count("C") == 1
    assert out.final("B")["end_f"] == 0


def test_force_executes_even_when_nothing_upstream_changed() -> None:
    out = simulate(scenario(
        *chain(("A", "1s"), ("B", "1s"), unchanged=["A"]),
        event("0s", "pulse", "B"),
        event("5s", "tap", "A"),
        event("6s", "wake", "B"),  # A ran but did not change: B passes
        event("10s", "force", "B"),  # force never passes
    ))
    assert [r["status"] for r in out.runs("B")] == ["success", "passed", "success"]
    assert out.attempts("B", "b")[-1]["started"] == 10 * S


def test_force_on_an_inlet_mints_a_new_freshness_and_nothing_downstream_runs() -> None:
    out = simulate(scenario(
        *A_B_C,
        event("0s", "pulse", "C"),
        event("20s", "force", "A"),
    ))
    assert out.fs("A") == [0, 20 * S]
    assert out.count("B") == out.count("C") == 1
    assert out.final("A")["end_f"] == 20 * S


def test_force_clears_a_failure_and_runs_at_once() -> None:
    out = simulate(scenario(
        *with_b(pond("B", ripple("b", "2s", fail=[1]), sources=["A"])),
        event("0s", "pulse", "C"),
        event("10s", "force", "B"),
    ))
    assert [(r["status"], r["f"], r["started"]) for r in out.runs("B")] == [
        ("failed", 0, 1 * S), ("success", 0, 10 * S)]
    assert out.count("A") == 1
    assert not out.final("B")["is_failed"]


# -- sleep ---------------------------------------------------------------------------------
def test_sleep_drops_the_ponds_demand_and_lets_upstream_drain() -> None:
    out = simulate(scenario(*A_B_C, event("0s", "pulse", "C"), event("500ms", "sleep", "C")))
    # A and B still hold the pulse's target and serve it; C no longer wants it.
    assert (out.count("A"), out.count("B"), out.count("C")) == (1, 1, 0)
    assert out.final("C")["end_f"] is None


def test_sleep_upstream_drops_demand_of_every_ancestor_and_runs_complete() -> None:
    out = simulate(scenario(
        *A_B_C, event("0s", "pulse", "C"), event("500ms", "sleep", "C", upstream=True)))
    assert out.runs("A") == [{"f": 0, "started": 0, "finished": 1 * S, "status": "success"}]
    assert out.count("B") == out.count("C") == 0
    assert out.doc["settled_at"] == 1 * S


def test_sleep_removes_the_standing_trigger() -> None:
    out = simulate(scenario(
        clock(until="60s"), *A_B_C, event("0s", "wave", "C"), event("10500ms", "sleep", "C")))
    assert out.doc["settled_at"] is not None and out.doc["settled_at"] < 20 * S
    assert all(r["started"] <= 11 * S for r in out.runs("C"))
    assert out.state("C").trigger is None


def test_sleep_does_not_clear_a_failure() -> None:
    out = simulate(scenario(
        *with_b(pond("B", ripple("b", "2s", fail=[1]), sources=["A"])),
        event("0s", "pulse", "C"),
        event("10s", "sleep", "B"),
    ))
    assert out.final("B")["is_failed"] and out.final("C")["is_blocked"]
    assert out.count("B") == 1


# -- kill ----------------------------------------------------------------------------------
def test_kill_records_the_run_killed_blocks_sinks_and_is_terminal() -> None:
    out = simulate(scenario(
        *with_b(pond("B", ripple("b", "5s"), sources=["A"], source_retries=3)),
        event("0s", "pulse", "C"),
        event("3s", "kill", "B"),
        event("10s", "tap", "A"),  # a fresher Source does not revive it, whatever the budget
        event("11s", "pulse", "C"),  # a blocked Sink accepts no new demand
        event("12s", "wake", "C"),
    ))
    assert out.runs("B") == [{"f": 0, "started": 1 * S, "finished": 3 * S, "status": "killed"}]
    assert out.attempts("B", "b")[0]["status"] == "killed"
    assert out.fs("A") == [0, 10 * S]
    final = out.final("B")
    assert final["is_killed"] and final["status"] == "killed" and final["end_f"] is None
    assert out.final("C")["is_blocked"] and out.count("C") == 0


def test_clear_after_kill_unblocks_sinks_without_running() -> None:
    out = simulate(scenario(
        *A_B_C,
        event("0s", "pulse", "C"),
        event("2s", "kill", "B"),
        event("10s", "clear", "B"),
    ))
    assert [r["status"] for r in out.runs("B")] == ["killed"]
    assert not out.final("B")["is_killed"] and out.final("B")["status"] == "idle"
    assert not out.final("C")["is_blocked"]
    assert out.count("C") == 0
    assert out.final("B")["start_f"] is None  # the killed run is abandoned


# -- clear ---------------------------------------------------------------------------------
def test_clear_resets_a_failure_and_unblocks_sinks_without_running() -> None:
    out = simulate(scenario(
        clock(until="30s"),
        *with_b(pond("B", ripple("b", "2s", fail=[1]), sources=["A"])),
        event("0s", "pulse", "C"),
        event("10s", "clear", "B"),
    ))
    assert [r["status"] for r in out.runs("B")] == ["failed"]
    b, c = out.final("B"), out.final("C")
    assert not b["is_failed"] and b["status"] == "idle" and b["start_f"] is None
    assert not c["is_blocked"]
    assert out.count("C") == 0
    # C still holds its target and waits for B: demand, then B runs.
    assert c["status"] == "queued"


def test_clear_then_demand_runs_again() -> None:
    out = simulate(scenario(
        *with_b(pond("B", ripple("b", "2s", fail=[1]), sources=["A"])),
        event("0s", "pulse", "C"),
        event("10s", "clear", "B"),
        event("20s", "pulse", "C"),
    ))
    assert [(r["status"], r["f"]) for r in out.runs("B")] == [("failed", 0), ("success", 20 * S)]
    assert out.fs("C") == [20 * S]


def test_clear_on_a_healthy_pond_changes_nothing() -> None:
    text = [*A_B_C, event("0s", "pulse", "C")]
    plain = simulate(scenario(*text))
    cleared = simulate(scenario(*text, event("2s", "clear", "B")))
    assert plain.doc["ponds"] == cleared.doc["ponds"]


def test_force_on_a_pond_whose_sources_have_no_output_waits_for_them() -> None:
    """A run at NEVER would have nothing to read and no Ripple would ever start it."""
    out = simulate(scenario(
        *chain(("A", "1s"), ("B", "1s")),
        event("0s", "force", "B"),
        event("5s", "tap", "A"),
    ))
    assert out.runs("B") == [{"f": 5 * S, "started": 6 * S, "finished": 7 * S, "status": "success"}]
    assert out.final("B")["status"] == "idle"


def test_forcing_a_source_and_its_sink_together_reruns_them_in_order() -> None:
    out = simulate(scenario(
        *A_B_C,
        event("0s", "pulse", "C"),
        event("10s", "force", "B"),
        event("10s", "force", "C"),
    ))
    assert [(r["f"], r["started"]) for r in out.runs("B")] == [(0, 1 * S), (0, 10 * S)]
    assert [(r["f"], r["started"]) for r in out.runs("C")] == [(0, 3 * S), (0, 12 * S)]
    assert out.final("C")["end_f"] == 0 and out.final("C")["status"] == "idle"
