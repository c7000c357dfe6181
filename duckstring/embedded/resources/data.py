"""Published data (docs/http-api.md Data): table listing, file download and sandboxed queries."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import falcon

from duckstring.embedded.errors import BadRequest, Busy, NotFound
from duckstring.embedded.resources.common import body, resolve_line
from duckstring.embedded.status import when
from duckstring.engine import split_line

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment

RETRY_S = 1.0
FORMATS = {"json": "application/json", "csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


class Tables:
    def __init__(self, c: Catchment) -> None:
        self.c = c

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        from duckstring.embedded.tables import list_tables

        line = resolve_line(self.c, name, req)
        _, major = split_line(line)
        with self.c.coordinator.lock:
            end_f = self.c.coordinator.engine.pond(line).end_f
        tables = list_tables(self.c.layout, name, major)
        for t in tables:
            t["freshness"] = when(end_f)
        resp.media = {"pond": line, "freshness": when(end_f), "tables": tables}

    def on_get_file(self, req: falcon.Request, resp: falcon.Response, name: str,
                    table: str) -> None:
        from duckstring.embedded.tables import NotFound as NoTable
        from duckstring.embedded.tables import table_path

        line = resolve_line(self.c, name, req)
        _, major = split_line(line)
        try:
            path = table_path(self.c.layout, name, major, table)
        except NoTable as e:
            raise NotFound(str(e)) from None
        resp.content_type = FORMATS["parquet"]
        resp.downloadable_as = f"{table}.parquet"
        resp.stream = open(path, "rb")  # noqa: SIM115 - Falcon closes it
        resp.content_length = path.stat().st_size


class Query:
    """`POST /api/query`, at most `query_concurrency` at once: each holds a server thread, and
    threads must stay free for health, status and the Ducks, so the excess is answered at once
    (503, Retry-After) rather than queued."""

    def __init__(self, c: Catchment) -> None:
        self.c = c
        self.slots = threading.BoundedSemaphore(c.settings.query_concurrency)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not self.slots.acquire(blocking=False):
            self.c.team.metrics.query("", "busy")  # refused before its body is read
            raise Busy(f"{self.c.settings.query_concurrency} queries are running, the most at "
                       "once here (DUCKSTRING_QUERY_CONCURRENCY); try again in a moment",
                       retry_s=RETRY_S)
        try:
            self._query(req, resp)
        finally:
            self.slots.release()

    def _query(self, req: falcon.Request, resp: falcon.Response) -> None:
        from duckstring.embedded.query import QueryError, run_query
        from duckstring.embedded.tables import NotFound as NoTable

        settings = self.c.settings
        data = body(req)
        pond = data.get("pond")
        if not isinstance(pond, str):
            raise BadRequest("pond is required")
        if data.get("major") is not None:
            req.params["major"] = str(data["major"])
        line = resolve_line(self.c, pond, req)
        name, major = split_line(line)
        fmt = data.get("format") or "json"
        if fmt not in FORMATS:
            raise BadRequest(f"format must be one of {', '.join(FORMATS)}")
        started, outcome = time.perf_counter(), "error"
        try:
            result = run_query(self.c.layout, name, major, sql=data.get("sql"),
                               table=data.get("table"), fmt=fmt, limit=data.get("limit"),
                               timeout_s=settings.query_timeout_s,
                               memory_mb=settings.query_memory_mb)
            outcome = "ok"
        except QueryError as e:
            raise BadRequest(str(e)) from None
        except NoTable as e:
            raise NotFound(str(e)) from None
        finally:
            self.c.team.metrics.query(line, outcome, time.perf_counter() - started)
        if fmt == "json":
            resp.media = result
        else:
            resp.content_type = FORMATS[fmt]
            resp.data = result
