"""The root-cause rules (alerts/rules.py) on status sequences from the real engine, driven one
event at a time: what each step alerts, and that blocked Sinks never alert on their own."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duckstring.embedded.alerts.rules import (
    Alert,
    LineView,
    Memory,
    Rule,
    evaluate,
    make_rule,
    summary,
    views,
)
from duckstring.engine import Engine, EngineError, RippleSpec, SourceRef, events

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
S = 1000


class Watch:
    """One rule evaluated after every step, its memory round-tripped through JSON as the
    store keeps it."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.memory: Memory = {}

    def __call__(self, eng: Engine, now: int) -> list[Alert]:
        alerts, memory = evaluate(self.rule, self.memory, views(eng, now), now)
        self.memory = json.loads(json.dumps(memory))
        return alerts


def three_lines() -> Engine:
    """`raw@1` (Inlet, no retries) feeding `sales@1` and `crm@1`; both Sinks pulse, so raw runs."""
    eng = Engine()
    eng.handle(T0, events.Deploy("raw@1", (), (RippleSpec("load"),)),
               events.Deploy("sales@1", (SourceRef("raw@1"),), (RippleSpec("sum"),)),
               events.Deploy("crm@1", (SourceRef("raw@1"),), (RippleSpec("join"),)))
    eng.handle(T0, events.Pulse("sales@1"), events.Pulse("crm@1"))
    assert eng.ponds["raw@1"].runs
    return eng


def fail(eng: Engine, now: int, line: str, ripple: str) -> None:
    f = min(eng.ponds[line].runs)
    eng.handle(now, events.RippleStarted(line, ripple, f))
    eng.handle(now, events.RippleFailed(line, ripple, f, "ValueError: bad row 7"))


def succeed(eng: Engine, now: int, line: str, ripple: str) -> None:
    for f in sorted(eng.ponds[line].runs):
        eng.handle(now, events.RippleStarted(line, ripple, f))
        eng.handle(now, events.RippleSucceeded(line, ripple, f), events.RunFinished(line, f, True))


def kinds(alerts: list[Alert]) -> list[tuple[str, str]]:
    return [(a.kind, a.pond) for a in alerts]


def test_a_failed_pond_alerts_once_naming_both_blocked_sinks_then_recovers() -> None:
    eng = three_lines()
    watch = Watch(make_rule("ops", "webhook:http://127.0.0.1/x"))
    assert watch(eng, T0) == []

    fail(eng, T0 + S, "raw@1", "load")
    assert {v.status for v in views(eng, T0 + S).values()} == {"failed", "blocked"}
    [alert] = watch(eng, T0 + S)
    assert (alert.kind, alert.pond, alert.blocks) == ("failed", "raw@1", ("crm@1", "sales@1"))
    assert alert.error == "ValueError: bad row 7"
    assert summary(alert) == "raw@1 failed: ValueError: bad row 7 — blocks crm@1, sales@1"
    # nothing more while it stays failed: not the Sinks, not a repeat
    assert watch(eng, T0 + 2 * S) == []
    assert watch(eng, T0 + 3600 * S) == []

    # cleared and asked again: still running, so not recovered yet
    eng.handle(T0 + 4 * S, events.Clear("raw@1"), events.Tap("raw@1"))
    assert views(eng, T0 + 4 * S)["raw@1"].status in ("running", "queued")
    assert watch(eng, T0 + 4 * S) == []

    succeed(eng, T0 + 5 * S, "raw@1", "load")
    assert kinds(watch(eng, T0 + 5 * S)) == [("recovered", "raw@1")]
    succeed(eng, T0 + 6 * S, "sales@1", "sum")
    succeed(eng, T0 + 6 * S, "crm@1", "join")
    assert watch(eng, T0 + 6 * S) == [] and watch.memory == {}


def test_a_cleared_pond_that_fails_again_alerts_again() -> None:
    eng = three_lines()
    watch = Watch(make_rule("ops", "webhook:http://127.0.0.1/x"))
    fail(eng, T0 + S, "raw@1", "load")
    assert kinds(watch(eng, T0 + S)) == [("failed", "raw@1")]
    eng.handle(T0 + 2 * S, events.Clear("raw@1"), events.Tap("raw@1"))
    assert watch(eng, T0 + 2 * S) == []
    fail(eng, T0 + 3 * S, "raw@1", "load")
    assert kinds(watch(eng, T0 + 3 * S)) == [("failed", "raw@1")]


def test_a_rule_on_one_sink_hears_it_is_blocked_by_a_root_outside_its_scope() -> None:
    eng = three_lines()
    watch = Watch(make_rule("sales-team", "slack:http://127.0.0.1/x", ponds=["sales"]))
    fail(eng, T0 + S, "raw@1", "load")
    [alert] = watch(eng, T0 + S)
    assert (alert.kind, alert.pond, alert.blocks, alert.cause) == (
        "blocked", "raw@1", ("sales@1",), "failed")
    assert summary(alert) == "sales@1 blocked by raw@1 (failed): ValueError: bad row 7"


def test_a_rule_without_blocked_stays_silent_about_a_root_it_does_not_cover() -> None:
    eng = three_lines()
    watch = Watch(make_rule("sales-fail", "webhook:http://127.0.0.1/x", on=["failed"],
                            ponds=["sales@1"]))
    fail(eng, T0 + S, "raw@1", "load")
    assert watch(eng, T0 + S) == []


def test_a_missing_source_blocks_and_recovers_when_deployed() -> None:
    eng = Engine()
    eng.handle(T0, events.Deploy("report@1", (SourceRef("feed@1"),), (RippleSpec("r"),)))
    watch = Watch(make_rule("ops", "webhook:http://127.0.0.1/x"))
    [alert] = watch(eng, T0)
    assert (alert.kind, alert.pond, alert.cause, alert.blocks) == (
        "blocked", "feed@1", "missing", ("report@1",))
    assert summary(alert) == "report@1 blocked by feed@1 (is not deployed)"
    eng.handle(T0 + S, events.Deploy("feed@1", (), (RippleSpec("f"),)))
    assert kinds(watch(eng, T0 + S)) == [("recovered", "feed@1")]


def test_killed_alerts_as_its_own_kind() -> None:
    eng = three_lines()
    watch = Watch(make_rule("ops", "webhook:http://127.0.0.1/x", on=["killed", "recovered"]))
    eng.handle(T0 + S, events.Kill("raw@1"))
    [alert] = watch(eng, T0 + S)
    assert (alert.kind, alert.blocks) == ("killed", ("crm@1", "sales@1"))


def stale_view(line: str, staleness_s: float, status: str = "idle",
               completed: int = 1) -> LineView:
    return LineView(line, status, (), round(staleness_s * 1000), completed)


def test_stale_fires_once_then_recovered_and_renotify_repeats() -> None:
    rule = make_rule("fresh", "email:ops@example.com", on=["stale", "recovered"],
                     stale_ms=3 * S, renotify_ms=60 * S)
    memory: Memory = {}
    sent = []
    for t, age in [(0, 1), (2, 3), (3, 4), (4, 5), (30, 31), (64, 65), (70, 0.5), (71, 1)]:
        alerts, memory = evaluate(rule, memory, {"sales@1": stale_view("sales@1", age)},
                                  T0 + t * S)
        sent += [(t, a.kind, a.repeat) for a in alerts]
    assert sent == [(3, "stale", False), (64, "stale", True), (70, "recovered", False)]


def test_a_stale_sink_inside_an_alerted_root_cause_does_not_alert_stale_too() -> None:
    eng = three_lines()
    succeed(eng, T0 + S, "raw@1", "load")
    succeed(eng, T0 + S, "sales@1", "sum")
    succeed(eng, T0 + S, "crm@1", "join")
    eng.handle(T0 + 2 * S, events.Pulse("sales@1"))
    fail(eng, T0 + 2 * S, "raw@1", "load")
    watch = Watch(make_rule("ops", "webhook:http://127.0.0.1/x", stale_ms=10 * S))
    assert kinds(watch(eng, T0 + 2 * S)) == [("failed", "raw@1")]
    later = T0 + 600 * S
    assert all(v.staleness_ms and v.staleness_ms > 10 * S for v in views(eng, later).values())
    assert watch(eng, later) == []


def test_rules_say_what_to_fix() -> None:
    with pytest.raises(ValueError, match="--stale 2h"):
        make_rule("a", "webhook:http://x/", on=["stale"])
    with pytest.raises(ValueError, match="only used with stale"):
        make_rule("a", "webhook:http://x/", on=["failed"], stale_ms=1000)
    with pytest.raises(ValueError, match="not a kind"):
        make_rule("a", "webhook:http://x/", on=["failed", "exploded"])
    assert make_rule("a", "webhook:http://x/").on == {"failed", "blocked", "killed",
                                                      "recovered"}
    assert "stale" in make_rule("a", "webhook:http://x/", stale_ms=1000).on


def test_shipping_the_fix_recovers_a_failed_pond_that_nothing_is_asking_of() -> None:
    eng = three_lines()
    watch = Watch(make_rule("ops", "webhook:http://127.0.0.1/x", on=["failed", "recovered"]))
    fail(eng, T0 + S, "raw@1", "load")
    assert kinds(watch(eng, T0 + S)) == [("failed", "raw@1")]
    eng.handle(T0 + 2 * S, events.Deploy("raw@1", (), (RippleSpec("load"),)))
    if views(eng, T0 + 2 * S)["raw@1"].status == "idle":
        assert kinds(watch(eng, T0 + 2 * S)) == [("recovered", "raw@1")]
    else:  # the Sinks' demand re-runs it at once: recovered when that run completes
        assert watch(eng, T0 + 2 * S) == []
        succeed(eng, T0 + 3 * S, "raw@1", "load")
        assert kinds(watch(eng, T0 + 3 * S)) == [("recovered", "raw@1")]


# -- properties on random sequences of what users and Ducks do ------------------------------
GRAPH = {"raw@1": (), "sales@1": ("raw@1",), "crm@1": ("raw@1",), "report@1": ("sales@1",)}
RIPPLE = {"raw@1": "load", "sales@1": "sum", "crm@1": "join", "report@1": "rep"}
ACTIONS = st.lists(st.tuples(
    st.sampled_from(["fail", "succeed", "clear", "tap", "kill", "redeploy", "wait"]),
    st.sampled_from(sorted(GRAPH))), max_size=40)


def act(eng: Engine, now: int, what: str, line: str) -> None:
    if what in ("fail", "succeed"):
        if not eng.ponds[line].runs:
            return
        (fail if what == "fail" else succeed)(eng, now, line, RIPPLE[line])
    elif what == "redeploy":
        eng.handle(now, events.Deploy(line, tuple(SourceRef(s) for s in GRAPH[line]),
                                      (RippleSpec(RIPPLE[line]),)))
    elif what != "wait":
        make = {"clear": events.Clear, "tap": events.Tap, "kill": events.Kill}[what]
        eng.handle(now, make(line))


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS)
def test_alerts_name_only_root_causes_and_recover_only_what_alerted(
        actions: list[tuple[str, str]]) -> None:
    eng = Engine()
    eng.handle(T0, *[events.Deploy(line, tuple(SourceRef(s) for s in sources),
                                   (RippleSpec(RIPPLE[line]),))
                     for line, sources in GRAPH.items()])
    eng.handle(T0, events.Pulse("report@1"), events.Pulse("crm@1"))
    watches = [Watch(make_rule("ops", "webhook:http://127.0.0.1/x")),
               Watch(make_rule("report", "webhook:http://127.0.0.1/y", ponds=["report"]))]
    open_: set[tuple[str, str]] = set()  # (rule, root cause) alerted, not yet recovered
    for i, (what, line) in enumerate(actions):
        now = T0 + (i + 1) * S
        try:
            act(eng, now, what, line)
        except EngineError:
            continue
        seen = views(eng, now)
        for a in (a for w in watches for a in w(eng, now)):
            if a.rule == "report":  # a scoped rule hears only of its own Pond
                assert a.pond == "report@1" or a.kind in ("blocked", "recovered")
                assert set(a.blocks) <= {"report@1"}
            if a.kind in ("failed", "killed"):  # a root itself, never a blocked Sink
                assert seen[a.pond].status == a.kind
            if a.kind in ("failed", "killed", "blocked"):
                assert all(a.pond in seen[m].blocked_by for m in a.blocks)
                assert a.kind != "blocked" or a.blocks
                open_.add((a.rule, a.pond))
            if a.kind == "recovered":
                assert (a.rule, a.pond) in open_, "recovered without an alert before it"
                assert seen[a.pond].status not in ("failed", "killed", "blocked")
                open_.discard((a.rule, a.pond))
        for w in watches:
            assert all(f"cause:{root}" in w.memory for rule, root in open_
                       if rule == w.rule.name)
