"""Prometheus metrics: a registry of its own, the text format parsed back by prometheus_client's
own parser, gauges read at scrape time, and the alert delivery thread counting its outcomes."""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from duckstring.embedded.alerts.alerting import Alerting
from duckstring.embedded.alerts.delivery import Deliverer, Policy
from duckstring.embedded.alerts.rules import LineView, views
from duckstring.embedded.alerts.targets import Senders
from duckstring.embedded.metrics import Metrics
from duckstring.embedded.store import Store
from duckstring.engine import Engine, RippleSpec, SourceRef, events
from tests.e2e.harness import wait_until
from tests.team.receivers import HttpReceiver


def samples(m: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    body, content_type = m.render()
    assert content_type.startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode())
            for s in family.samples}


def test_counts_and_durations_render_in_the_text_format() -> None:
    m = Metrics()
    m.run_finished("sales@1", "success", 2.0)
    m.run_finished("sales@1", "success", 0.3)
    m.run_finished("sales@1", "failed", None)
    m.ripple_finished("sales@1", "load", 1.5)
    m.step(0.002)
    m.query("sales@1", "ok", 0.05)
    m.query("sales@1", "busy")
    m.alert("webhook", "sent")
    got = samples(m)
    assert got[("duckstring_runs_total", (("pond", "sales@1"), ("status", "success")))] == 2
    assert got[("duckstring_runs_total", (("pond", "sales@1"), ("status", "failed")))] == 1
    assert got[("duckstring_run_duration_seconds_count", (("pond", "sales@1"),))] == 2
    assert got[("duckstring_run_duration_seconds_sum", (("pond", "sales@1"),))] == 2.3
    assert got[("duckstring_run_duration_seconds_bucket",
                (("le", "0.5"), ("pond", "sales@1")))] == 1
    assert got[("duckstring_ripple_duration_seconds_count",
                (("pond", "sales@1"), ("ripple", "load")))] == 1
    assert got[("duckstring_engine_step_seconds_count", ())] == 1
    assert got[("duckstring_queries_total", (("pond", "sales@1"), ("result", "busy")))] == 1
    assert got[("duckstring_alerts_total", (("result", "sent"), ("target", "webhook")))] == 1
    assert got[("duckstring_ducks_alive", ())] == 0


def test_each_catchment_has_its_own_registry() -> None:
    a, b = Metrics(), Metrics()
    a.run_finished("x@1", "success", 1.0)
    assert ("duckstring_runs_total", (("pond", "x@1"), ("status", "success"))) not in samples(b)
    assert REGISTRY.get_sample_value("duckstring_runs_total",
                                     {"pond": "x@1", "status": "success"}) is None


def test_staleness_status_and_ducks_are_read_when_scraped() -> None:
    t0 = 1_767_225_600_000
    eng = Engine()
    eng.handle(t0, events.Deploy("raw@1", (), (RippleSpec("load"),)),
               events.Deploy("sales@1", (SourceRef("raw@1"),), (RippleSpec("sum"),)))
    eng.handle(t0, events.Tap("raw@1"))
    [f] = eng.ponds["raw@1"].runs
    eng.handle(t0, events.RippleStarted("raw@1", "load", f))
    eng.handle(t0 + 1000, events.RippleSucceeded("raw@1", "load", f),
               events.RunFinished("raw@1", f, True))
    clock = {"now": t0 + 5000}
    alive = {"n": 2}
    m = Metrics(snapshot=lambda: views(eng, clock["now"]).values(),
                ducks_alive=lambda: alive["n"])
    got = samples(m)
    assert got[("duckstring_staleness_seconds", (("pond", "raw@1"),))] == 5.0
    assert ("duckstring_staleness_seconds", (("pond", "sales@1"),)) not in got  # never ran
    assert got[("duckstring_pond_status", (("pond", "raw@1"), ("status", "idle")))] == 1
    assert got[("duckstring_pond_status", (("pond", "raw@1"), ("status", "failed")))] == 0
    assert got[("duckstring_ducks_alive", ())] == 2
    clock["now"] += 60_000
    alive["n"] = 0
    got = samples(m)
    assert got[("duckstring_staleness_seconds", (("pond", "raw@1"),))] == 65.0
    assert got[("duckstring_ducks_alive", ())] == 0


def test_openmetrics_when_asked() -> None:
    body, content_type = Metrics().render("application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert body.rstrip().endswith(b"# EOF")


def test_the_delivery_thread_counts_what_it_sent_and_gave_up(
        store: Store, receiver: Callable[..., HttpReceiver]) -> None:
    ok, gone = receiver(), receiver(statuses=[404])
    m = Metrics()
    deliverer = Deliverer(store, Senders(timeout_s=5), lambda: time.time_ns() // 1_000_000,
                          policy=Policy(first_retry_s=0.1), on_outcome=m.alert)
    alerting = Alerting(store, {"id": "c", "name": "n"}, wake=deliverer.wake)
    try:
        deliverer.start()
        now = time.time_ns() // 1_000_000
        alerting.add("a", f"webhook:{ok.url}", now)
        alerting.add("b", f"slack:{gone.url}", now)
        alerting.observe({"x@1": LineView("x@1", "failed")}, now)
        wait_until(lambda: {e["status"] for e in alerting.log()} == {"sent", "failed"},
                   what="both settled")
        got = samples(m)
        assert got[("duckstring_alerts_total", (("result", "sent"), ("target", "webhook")))] == 1
        assert got[("duckstring_alerts_total", (("result", "failed"), ("target", "slack")))] == 1
    finally:
        deliverer.stop()
