"""Issue 14 item 2: the dry-run predictor (duckstring/simulator/predict.py) on engine states
built by hand — the order and times of the runs a trigger sets off, a run already in flight
carried on from where it is, a force, a Source that blocks — and the state it was given left
as it was."""

from __future__ import annotations

import copy

from duckstring.engine import Engine, RippleSpec, SourceRef, codec, events
from duckstring.simulator.predict import predict

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
S = 1000


def chain() -> Engine:
    """`a@1` (Inlet, Ripples x → y) → `b@1` (one Ripple), never run."""
    eng = Engine()
    eng.handle(T0, events.Deploy("a@1", (), (RippleSpec("x"), RippleSpec("y", ("x",)))),
               events.Deploy("b@1", (SourceRef("a@1"),), (RippleSpec("r"),)))
    return eng


def states(eng: Engine) -> list[dict]:
    return [codec.pond_to_dict(p) for p in eng.ponds.values()]


DURATIONS = {"a@1": {"x": 2 * S, "y": 3 * S}, "b@1": {"r": S}}


def test_a_pulse_runs_the_lineage_in_order_with_its_durations_and_delays() -> None:
    given = states(chain())
    kept = copy.deepcopy(given)
    pred = predict(given, events.Pulse("b@1"), "b@1", T0 + S, durations=DURATIONS,
                   delays={"a@1": (100, 50)})
    assert [(r.line, r.executed, r.started - T0, r.finished and r.finished - T0)
            for r in pred.runs] == [("a@1", True, S, S + 100 + 5 * S + 50),
                                    ("b@1", True, 6150, 6150 + S)]
    assert pred.settled_at == T0 + 7150 and pred.status == "idle"
    assert given == kept  # the live state's copy is the predictor's own


def test_a_run_in_flight_carries_on_from_its_running_ripple() -> None:
    eng = chain()
    eng.handle(T0, events.Pulse("b@1"))
    eng.handle(T0, events.RippleStarted("a@1", "x", T0))
    eng.handle(T0 + 2 * S, events.RippleSucceeded("a@1", "x", T0))
    eng.handle(T0 + 2 * S, events.RippleStarted("a@1", "y", T0))
    # 1 s into y (3 s): a ends at +4 s, then b runs 1 s; as b starts on the Tap's pull it
    # re-arms a (§4's refill), so a runs again too
    pred = predict(states(eng), events.Tap("b@1"), "b@1", T0 + 3 * S, durations=DURATIONS,
                   running_since={"a@1": {"y": T0 + 2 * S}})
    assert [(r.line, r.started - T0) for r in pred.runs] == [("b@1", 5 * S), ("a@1", 5 * S)]
    assert pred.settled_at == T0 + 6 * S


def test_defaults_a_force_and_a_block() -> None:
    eng = chain()
    pred = predict(states(eng), events.Tap("b@1"), "b@1", T0, durations={}, default_ms=S)
    assert pred.settled_at == T0 + 3 * S  # x, y, r at 1 s each

    # after a run, a Force of b executes it alone (§10)
    eng.handle(T0, events.Pulse("b@1"))
    for line, ripple in (("a@1", "x"), ("a@1", "y")):
        eng.handle(T0, events.RippleStarted(line, ripple, T0))
        eng.handle(T0, events.RippleSucceeded(line, ripple, T0))
    eng.handle(T0, events.RunFinished("a@1", T0, True))
    eng.handle(T0, events.RippleStarted("b@1", "r", T0))
    eng.handle(T0, events.RippleSucceeded("b@1", "r", T0), events.RunFinished("b@1", T0, True))
    pred = predict(states(eng), events.Force("b@1"), "b@1", T0 + S, durations=DURATIONS)
    assert [(r.line, r.executed) for r in pred.runs] == [("b@1", True)]
    assert pred.settled_at == T0 + 2 * S

    # a's next run fails in the live graph: b is blocked and a Tap on it would not settle
    eng.handle(T0 + S, events.Pulse("a@1"))
    eng.handle(T0 + S, events.RippleStarted("a@1", "x", T0 + S))
    eng.handle(T0 + 2 * S, events.RippleFailed("a@1", "x", T0 + S, "boom"))
    pred = predict(states(eng), events.Tap("b@1"), "b@1", T0 + 3 * S, durations=DURATIONS)
    assert pred.settled_at is None and pred.status == "blocked" and pred.runs == []
