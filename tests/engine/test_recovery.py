"""Issue 8 item 2: after any recovery of a failed Source, the demand its Sinks still hold
reaches it and is served, without a new trigger (model.md §9, invariant §12.5)."""

from __future__ import annotations

import pytest

from duckstring.engine import Engine, LineExecutor, RippleSpec, SourceRef, events
from duckstring.engine.status import status
from tests.engine.simkit import S, event, pond, ripple, scenario, simulate
from tests.engine.test_engine_direct import T0, begun, fail, run

RECOVERIES = ("deploy", "wake", "force")  # clear resets without running: see below


def failing_source(*demand: str, recovery: str, sink_sources: tuple[str, ...] = ("A",),
                   extra: tuple[str, ...] = ()) -> str:
    """Inlet `A` fails its first attempt; `B` reads it and holds `demand` from t=0; `recovery`
    acts on `A` at 10 s."""
    return scenario(
        pond("A", ripple("a", fail=[1])),
        *extra,
        pond("B", ripple("b"), sources=list(sink_sources)),
        *(event("0s", verb, "B") for verb in demand),
        event("10s", recovery, "A"),
    )


@pytest.mark.parametrize("recovery", RECOVERIES)
def test_a_pulse_held_by_the_sink_is_served_after_the_source_recovers(recovery: str) -> None:
    out = simulate(failing_source("pulse", recovery=recovery))
    assert out.count("A", "failed") == 1
    assert out.count("B", "success") == 1, out.text()
    assert out.final("B")["end_f"] >= 0 and out.final("B")["status"] == "idle"
    assert out.sim.settled_at is not None and out.sim.settled_at < 20 * S
    assert not out.state("B").targets


@pytest.mark.parametrize("recovery", RECOVERIES)
def test_a_pull_held_by_the_sink_is_served_after_the_source_recovers(recovery: str) -> None:
    out = simulate(failing_source("tap", recovery=recovery))
    assert out.count("B", "success") == 1, out.text()
    assert not out.state("B").has_pull and out.final("B")["status"] == "idle"


def test_the_target_is_served_at_its_own_freshness_through_a_middle_pond() -> None:
    """`Z → A → B`: A fails; the deploy of its fix runs A at Z's existing output, and B reaches
    the Pulse's target exactly — no new Inlet run, no stale or fresher detour."""
    out = simulate(scenario(
        pond("Z", ripple("z")),
        pond("A", ripple("a", fail=[1]), sources=["Z"]),
        pond("B", ripple("b"), sources=["A"]),
        event("0s", "pulse", "B"),
        event("10s", "deploy", "A"),
    ))
    assert out.fs("Z") == [0]
    assert out.fs("A", "success") == [0] and out.fs("B", "success") == [0], out.text()


def test_a_sink_of_two_failed_sources_asks_both_once_the_last_recovers() -> None:
    """While A2 is still failed, B stays blocked and quiet; when A2 recovers, B's demand goes
    to both Sources, including A1 that recovered earlier."""
    out = simulate(failing_source(
        "pulse", recovery="deploy", sink_sources=("A", "A2"),
        extra=(pond("A2", ripple("a2", fail=[1])), event("20s", "deploy", "A2")),
    ))
    assert out.count("A", "success") == 1 and out.count("A2", "success") == 1, out.text()
    assert [r["started"] for r in out.runs("A", "success")] == [20 * S]
    assert out.count("B", "success") == 1


def test_clear_alone_keeps_the_demand_held_and_the_next_demand_serves_it() -> None:
    """clear resets without running (§10): B keeps its Pulse, queued; a Tap on A ("clear +
    demand") serves it, and so would a deploy."""
    out = simulate(failing_source("pulse", recovery="clear"))
    assert out.count("B") == 0 and out.final("B")["status"] == "queued"
    for then in ("tap", "deploy"):
        out = simulate(failing_source("pulse", recovery="clear",
                                      extra=(event("15s", then, "A"),)))
        assert out.fs("B", "success") == [15 * S], (then, out.text())


def test_an_optional_sink_re_sends_to_its_recovered_source() -> None:
    """An optional Source never blocks its Sink, so no unblock happens at the Sink; the
    Source's own recovery still brings it the demand the Sink holds."""
    out = simulate(failing_source("pulse", recovery="deploy", sink_sources=("A?",)))
    assert out.count("B", "success") == 1, out.text()


def test_a_wave_on_the_sink_resumes_after_the_fix() -> None:
    out = simulate(scenario(
        "[clock]\nuntil = \"30s\"",
        pond("A", ripple("a", fail=[1])),
        pond("B", ripple("b"), sources=["A"]),
        event("0s", "wave", "B"),
        event("10s", "deploy", "A"),
    ))
    assert out.count("B", "success") >= 5, out.text()


def test_deploying_the_fix_brings_the_pulsed_sink_to_its_target_directly() -> None:
    """The engine alone: what the Catchment does when a fixed version is deployed."""
    eng = Engine()
    a = events.Deploy("a@1", (), (RippleSpec("ra"),))
    eng.handle(T0, a, events.Deploy("b@1", (SourceRef("a@1"),), (RippleSpec("rb"),)))
    assert begun(eng.handle(T0, events.Pulse("b@1"))) == [("a@1", T0)]
    fail(eng, T0 + S, "a@1", "ra", T0)
    b = eng.ponds["b@1"]
    assert status(b) == "blocked" and list(b.targets) == [T0]
    assert begun(eng.handle(T0 + 2 * S, a)) == [("a@1", T0 + 2 * S)]  # the held Pulse
    effects = run(eng, T0 + 3 * S, "a@1", "ra", T0 + 2 * S)
    assert begun(effects) == [("b@1", T0 + 2 * S)]
    run(eng, T0 + 4 * S, "b@1", "rb", T0 + 2 * S)
    assert status(b) == "idle" and b.end_f >= T0 and not b.targets


def test_a_late_failure_of_an_abandoned_run_does_not_take_down_the_next_run() -> None:
    """The Duck's executor: attempt 2 of `a` (an immediate retry) is still running when `b`
    fails and gives the run up; the retry run begins; then the old attempt fails too. Its
    failure belongs to the run already abandoned — the new run carries on (it used to be
    abandoned as well, leaving the line `running` forever with nothing running)."""
    ex = LineExecutor([RippleSpec("a"), RippleSpec("b")])
    ex.begin(0, retries=1)
    assert ex.ready() == [("a", 0), ("b", 0)]
    assert ex.failed("a") == [] and ex.ready() == [("a", 0)]  # retried in the run
    assert ex.failed("b") == [0]  # no budget left: the run gives up
    ex.begin(S, retries=0)
    assert ex.ready() == [("b", S)]  # `a` is still busy with the abandoned attempt
    assert ex.failed("a") == [] and list(ex.runs) == [S]
    assert ex.ready() == [("a", S)]
    assert ex.succeeded("b") == [] and ex.succeeded("a") == [S]
