"""The engine and the Duck's executor driven by hand, for rules the scenario format cannot
reach (deploys, lost Ducks, late reports) or that read more clearly one event at a time."""

from __future__ import annotations

from duckstring.engine import (
    NEVER,
    BeginRun,
    Engine,
    LineExecutor,
    RippleSpec,
    RunCompleted,
    RunFailed,
    SourceRef,
    events,
)
from duckstring.engine.effects import ResendRun
from duckstring.engine.status import blocked_by, staleness, status
from tests.engine.simkit import S, event, pond, ripple, scenario, simulate

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def two_lines(**budget: int) -> Engine:
    """`a@1` (Inlet) → `b@1`, one Ripple each; `b@1` holds a Pulse at T0 and `a@1` ran it."""
    eng = Engine()
    eng.handle(T0, events.Deploy("a@1", (), (RippleSpec("ra"),)),
               events.Deploy("b@1", (SourceRef("a@1"),), (RippleSpec("rb"),), **budget))
    assert begun(eng.handle(T0, events.Pulse("b@1"))) == [("a@1", T0)]
    run(eng, T0 + S, "a@1", "ra", T0)
    return eng


def begun(effects: list[object], line: str | None = None) -> list[tuple[str, int]]:
    return [(e.line, e.f) for e in effects
            if isinstance(e, BeginRun) and (line is None or e.line == line)]


def executes(effects: list[object], line: str) -> list[tuple[int, bool]]:
    """`(F, execute)` of each run `line` began."""
    return [(e.f, e.execute) for e in effects if isinstance(e, BeginRun) and e.line == line]


def run(eng: Engine, now: int, line: str, ripple: str, f: int, changed: bool = True) -> list[object]:
    """The Duck started and finished `ripple` in run `f` and published it."""
    eng.handle(now, events.RippleStarted(line, ripple, f))
    return eng.handle(now, events.RippleSucceeded(line, ripple, f), events.RunFinished(line, f, changed))


def fail(eng: Engine, now: int, line: str, ripple: str, f: int) -> list[object]:
    eng.handle(now, events.RippleStarted(line, ripple, f))
    return eng.handle(now, events.RippleFailed(line, ripple, f, "boom"))


# -- deploy ---------------------------------------------------------------------------------
def test_deploy_clears_a_failure_and_the_next_run_executes() -> None:
    eng = two_lines()
    a, b = eng.ponds["a@1"], eng.ponds["b@1"]
    assert b.start_f == T0 and b.runs
    effects = fail(eng, T0 + 2 * S, "b@1", "rb", T0)
    assert [type(e) for e in effects] == [RunFailed]
    assert b.is_failed and b.is_blocked and status(b) == "failed"
    eng.handle(T0 + 3 * S, events.Deploy("c@1", (SourceRef("b@1"),), (RippleSpec("rc"),)))
    assert eng.ponds["c@1"].is_blocked and blocked_by(eng, eng.ponds["c@1"]) == ["b@1"]

    # Shipping the fix is the recovery: the failure clears, the Sink unblocks, nothing runs.
    assert begun(eng.handle(T0 + 4 * S, events.Deploy("b@1", (SourceRef("a@1"),),
                                                      (RippleSpec("rb"),)))) == []
    assert not b.is_failed and not b.is_blocked and b.failures == 0 and b.failed_f == NEVER
    assert not eng.ponds["c@1"].is_blocked
    assert b.start_f == b.end_f == NEVER  # the failed run was abandoned
    # Demand runs it again at the same input, and new code executes rather than passes.
    effects = eng.handle(T0 + 5 * S, events.Tap("b@1"))
    assert executes(effects, "b@1") == [(T0, True)]
    assert begun(effects, "a@1") == [("a@1", T0 + 5 * S)]  # b's start re-armed a (Kanban)
    assert a.end_f == T0


def test_a_redeploy_executes_once_even_when_no_source_changed() -> None:
    eng = two_lines()
    run(eng, T0 + 2 * S, "b@1", "rb", T0)
    eng.handle(T0 + 3 * S, events.Deploy("b@1", (SourceRef("a@1"),), (RippleSpec("rb"),)))
    eng.handle(T0 + 4 * S, events.Tap("a@1"))
    run(eng, T0 + 5 * S, "a@1", "ra", T0 + 4 * S, changed=False)
    effects = eng.handle(T0 + 6 * S, events.Tap("b@1"))
    assert executes(effects, "b@1") == [(T0 + 4 * S, True)]  # new code: executes
    run(eng, T0 + 7 * S, "b@1", "rb", T0 + 4 * S)
    run(eng, T0 + 8 * S, "a@1", "ra", T0 + 6 * S, changed=False)  # the re-armed run of a
    effects = eng.handle(T0 + 10 * S, events.Tap("b@1"))
    assert executes(effects, "b@1") == [(T0 + 6 * S, False)]  # same code, same input: a pass


# -- lost Ducks and late reports --------------------------------------------------------------
def test_a_lost_duck_fails_the_run_through_the_same_budget() -> None:
    eng = two_lines(immediate_retries=1)
    b = eng.ponds["b@1"]
    eng.handle(T0 + 2 * S, events.RippleStarted("b@1", "rb", T0))
    # With immediate budget left the run is re-sent, still at F.
    effects = eng.handle(T0 + 3 * S, events.RunLost("b@1", "Duck died"))
    assert effects == [ResendRun("b@1", T0, 0)]
    assert not b.is_failed and not any(r.running for r in b.graph)
    eng.handle(T0 + 4 * S, events.RippleStarted("b@1", "rb", T0))
    effects = eng.handle(T0 + 5 * S, events.RunLost("b@1", "Duck went silent"))
    assert [(type(e), e.error) for e in effects if isinstance(e, RunFailed)] == [
        (RunFailed, "Duck went silent")]
    assert b.is_failed and b.error == "Duck went silent"


def test_a_late_failure_from_an_abandoned_run_changes_nothing() -> None:
    """Two Ripples of one run: the first failure gives the run up; the other Ripple, still
    running, fails later. That report is about a run no longer in flight: it must not count as
    a second failure (nor re-fail a Pond cleared in between)."""
    eng = Engine()
    eng.handle(T0, events.Deploy("p@1", (), (RippleSpec("x"), RippleSpec("y"))))
    eng.handle(T0, events.Tap("p@1"))
    eng.handle(T0, events.RippleStarted("p@1", "x", T0), events.RippleStarted("p@1", "y", T0))
    eng.handle(T0 + 1 * S, events.RippleFailed("p@1", "x", T0, "first"))
    p = eng.ponds["p@1"]
    assert p.is_failed and p.failures == 1
    eng.handle(T0 + 2 * S, events.Clear("p@1"))
    assert not p.is_failed
    assert eng.handle(T0 + 3 * S, events.RippleFailed("p@1", "y", T0, "second")) == []
    assert not p.is_failed and p.failures == 0 and status(p) == "idle"


def test_replayed_and_unknown_reports_are_ignored() -> None:
    eng = two_lines()
    b = eng.ponds["b@1"]
    run(eng, T0 + 2 * S, "b@1", "rb", T0)
    assert b.end_f == T0 and b.runs_completed == 1
    assert run(eng, T0 + 3 * S, "b@1", "rb", T0) == []  # a replay of the same run
    assert eng.handle(T0 + 3 * S, events.RippleStarted("b@1", "nope", T0)) == []
    assert b.runs_completed == 1 and status(b) == "idle"


# -- P3: a target the in-flight run already covers -------------------------------------------
def test_a_pulse_covered_by_the_run_in_flight_is_not_held() -> None:
    eng = Engine()
    eng.handle(T0, events.Deploy("p@1", (), (RippleSpec("r"),)))
    eng.handle(T0, events.Tap("p@1"))
    assert eng.handle(T0 + 1 * S, events.Pulse("p@1", at=T0)) == []
    assert not eng.ponds["p@1"].targets  # the run at T0 in flight will satisfy it
    # A fresher target is held, and an Inlet serves it at once with a run of its own.
    effects = eng.handle(T0 + 1 * S, events.Pulse("p@1", at=T0 + 1 * S))
    assert begun(effects) == [("p@1", T0 + 1 * S)]


def test_staleness_counts_the_window_delay() -> None:
    eng = two_lines()
    b = eng.ponds["b@1"]
    assert staleness(b, T0) is None
    run(eng, T0 + 2 * S, "b@1", "rb", T0)
    assert staleness(b, T0 + 10 * S) == 10 * S
    b.d = 3 * S
    assert staleness(b, T0 + 10 * S) == 13 * S


# -- pull asks upstream once (ripples.py: `pull_sent`) -----------------------------------------
def test_each_pull_asks_for_exactly_one_more_run() -> None:
    def runs(*taps: str) -> list[int | None]:
        return simulate(scenario(
            pond("P", ripple("r1"), ripple("r2", parents=["r1"])),
            *(event(t, "tap", "P") for t in taps),
        )).fs("P")

    # a Tap pulls once: r2's start re-arms r1, but only to prime the pipeline, and nothing
    # downstream waits for a second batch
    assert runs("0s") == [0]
    # a pull that lands while the run is in flight waits on the leaf and asks for one more
    # run when r2 starts (at 1 s, at r1's then-freshest output)
    assert runs("0s", "500ms") == [0, 1 * S]
    assert runs("0s", "1500ms") == [0, 1500]  # r2 is running: the request goes up at once
    assert runs("0s", "1500ms", "1600ms") == [0, 1500]  # demand is binary


# -- the Duck's executor ------------------------------------------------------------------------
def diamond() -> LineExecutor:
    return LineExecutor([RippleSpec("r1"), RippleSpec("r2"), RippleSpec("r3", ("r1", "r2"))])


def test_executor_runs_ripples_in_dependency_order() -> None:
    ex = diamond()
    ex.begin(10, retries=0)
    assert ex.busy
    assert ex.ready() == [("r1", 10), ("r2", 10)]
    assert ex.ready() == []  # nothing new until a report
    assert ex.succeeded("r1") == [] and ex.ready() == []
    assert ex.succeeded("r2") == [] and ex.ready() == [("r3", 10)]
    assert ex.succeeded("r3") == [10]
    assert not ex.busy


def test_executor_skips_intermediate_freshnesses_and_completes_older_runs_together() -> None:
    ex = diamond()
    ex.begin(10, retries=0)
    ex.ready()
    ex.begin(20, retries=0)
    ex.begin(30, retries=0)
    ex.succeeded("r1")
    assert ex.ready() == [("r1", 30)]  # the freshest input, not 20
    ex.succeeded("r2")
    assert ex.ready() == [("r2", 30), ("r3", 10)]
    assert ex.succeeded("r3") == [10]
    ex.succeeded("r1")
    ex.succeeded("r2")
    assert ex.ready() == [("r3", 30)]
    assert ex.succeeded("r3") == [20, 30]


def test_executor_retries_inside_the_run_then_abandons_every_run() -> None:
    ex = diamond()
    ex.begin(10, retries=1)
    ex.ready()
    assert ex.failed("r1") == []  # retried inside run 10
    assert ex.ready() == [("r1", 10)]
    ex.begin(20, retries=1)
    assert ex.failed("r1") == [10, 20]  # run 10's budget is spent: everything is abandoned
    assert ex.ready() == []


def test_executor_force_reruns_at_the_same_freshness() -> None:
    ex = LineExecutor([RippleSpec("r")])
    ex.begin(10, retries=0)
    ex.ready()
    assert ex.succeeded("r") == [10]
    ex.begin(10, retries=0)
    assert ex.ready() == []  # already done at 10
    ex.begin(10, retries=0, force=True)
    assert ex.ready() == [("r", 10)]
    assert ex.succeeded("r") == [10]


def test_executor_kill_forgets_everything() -> None:
    ex = diamond()
    ex.begin(10, retries=0)
    ex.ready()
    ex.kill()
    assert not ex.busy and ex.ready() == []


def test_engine_completion_effects_name_each_run() -> None:
    eng = two_lines()
    effects = run(eng, T0 + 2 * S, "b@1", "rb", T0)
    assert [e for e in effects if isinstance(e, RunCompleted)] == [
        RunCompleted("b@1", T0, changed=True)]


def test_the_codec_keeps_what_an_optional_source_was_read_at() -> None:
    from duckstring.engine.codec import pond_from_dict, pond_to_dict

    eng = Engine()
    eng.handle(T0, events.Deploy("a@1", (), (RippleSpec("ra"),)),
               events.Deploy("b@1", (SourceRef("a@1", required=False),), (RippleSpec("rb"),)))
    eng.handle(T0, events.Pulse("b@1"))
    run(eng, T0 + S, "a@1", "ra", T0)
    b = eng.ponds["b@1"]
    assert b.optional_read == {"a@1": T0}
    assert pond_from_dict(pond_to_dict(b)).optional_read == {"a@1": T0}
