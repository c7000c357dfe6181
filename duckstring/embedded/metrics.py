"""Prometheus metrics of a Catchment (`GET /metrics`, read level), in their own registry — not
prometheus_client's global one, so two Catchments in one process (tests, embedding) never mix.

Counted as it happens (each hook is a labelled increment or observation — cheap enough for
every event):

| metric | labels | what |
|---|---|---|
| `duckstring_runs_total` | pond, status | Pond Runs finished (success, passed, failed, killed) |
| `duckstring_run_duration_seconds` | pond | how long Pond Runs took |
| `duckstring_ripple_duration_seconds` | pond, ripple | how long Ripple attempts took |
| `duckstring_engine_step_seconds` | — | one coordinator step: engine, store, dispatch |
| `duckstring_alerts_total` | target, result | alert deliveries: sent, retry, failed (gave up) |
| `duckstring_queries_total` | pond, result | queries: ok, error, busy |
| `duckstring_query_duration_seconds` | pond | how long queries took |

Read at scrape time (`snapshot` gives the lines' views — alerts/rules.views, the same
reading the alert rules make — and `ducks_alive` a count):

| metric | labels | what |
|---|---|---|
| `duckstring_staleness_seconds` | pond | now + d − end_f; absent until a first run completes |
| `duckstring_pond_status` | pond, status | 1 for the line's current status |
| `duckstring_ducks_alive` | — | Duck processes running |

`pond` is the line, `name@major`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from duckstring.embedded.alerts.rules import LineView

RUN_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, float("inf"))
STEP_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                float("inf"))
QUERY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
                 float("inf"))
STATUSES = ("failed", "killed", "blocked", "running", "queued", "idle")


class _AtScrape:
    """The gauges computed when Prometheus asks."""

    def __init__(self, snapshot: Callable[[], Iterable[LineView]],
                 ducks_alive: Callable[[], int]) -> None:
        self.snapshot = snapshot
        self.ducks_alive = ducks_alive

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        stale = GaugeMetricFamily("duckstring_staleness_seconds",
                                  "How stale each Pond line's data is", labels=["pond"])
        status = GaugeMetricFamily("duckstring_pond_status",
                                   "1 for each Pond line's current status",
                                   labels=["pond", "status"])
        for v in self.snapshot():
            if v.staleness_ms is not None:
                stale.add_metric([v.line], v.staleness_ms / 1000)
            for st in STATUSES:
                status.add_metric([v.line, st], 1.0 if v.status == st else 0.0)
        yield stale
        yield status
        yield GaugeMetricFamily("duckstring_ducks_alive", "Duck processes running",
                                value=self.ducks_alive())


class Metrics:
    def __init__(self, *, snapshot: Callable[[], Iterable[LineView]] = tuple,
                 ducks_alive: Callable[[], int] = lambda: 0) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = r = CollectorRegistry(auto_describe=False)
        self._runs = Counter("duckstring_runs", "Pond Runs finished", ["pond", "status"],
                             registry=r)
        self._run_s = Histogram("duckstring_run_duration_seconds", "Pond Run duration",
                                ["pond"], buckets=RUN_BUCKETS, registry=r)
        self._ripple_s = Histogram("duckstring_ripple_duration_seconds",
                                   "Ripple attempt duration", ["pond", "ripple"],
                                   buckets=RUN_BUCKETS, registry=r)
        self._step_s = Histogram("duckstring_engine_step_seconds",
                                 "One coordinator step (engine, store, dispatch)",
                                 buckets=STEP_BUCKETS, registry=r)
        self._alerts = Counter("duckstring_alerts", "Alert deliveries", ["target", "result"],
                               registry=r)
        self._queries = Counter("duckstring_queries", "Queries", ["pond", "result"],
                                registry=r)
        self._query_s = Histogram("duckstring_query_duration_seconds", "Query duration",
                                  ["pond"], buckets=QUERY_BUCKETS,
                                  registry=r)
        r.register(_AtScrape(snapshot, ducks_alive))

    # -- hooks -----------------------------------------------------------------------------
    def run_finished(self, pond: str, status: str, seconds: float | None) -> None:
        self._runs.labels(pond, status).inc()
        if seconds is not None:
            self._run_s.labels(pond).observe(max(0.0, seconds))

    def ripple_finished(self, pond: str, ripple: str, seconds: float) -> None:
        self._ripple_s.labels(pond, ripple).observe(max(0.0, seconds))

    def step(self, seconds: float) -> None:
        self._step_s.observe(seconds)

    def alert(self, target: str, result: str) -> None:
        self._alerts.labels(target, result).inc()

    def query(self, pond: str, result: str, seconds: float | None = None) -> None:
        self._queries.labels(pond, result).inc()
        if seconds is not None:
            self._query_s.labels(pond).observe(seconds)

    # -- the scrape ------------------------------------------------------------------------
    def render(self, accept: str | None = None) -> tuple[bytes, str]:
        """The exposition (Prometheus text, or OpenMetrics when `accept` asks) and its
        content type."""
        from prometheus_client.exposition import choose_encoder

        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type
