"""Published data (docs/http-api.md Data): table listing, file download and sandboxed queries."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import falcon

from duckstring.embedded.domain_errors import BadInput, Busy
from duckstring.embedded.resources.common import body, resolve_line
from duckstring.embedded.status_document import when
from duckstring.engine import split_line

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment

RETRY_S = 1.0
RUNS_SHOWN = 20  # published runs listed with a line's tables, newest first
FORMATS = {"json": "application/json", "csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


class Tables:
    def __init__(self, c: Catchment) -> None:
        self.c = c

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        from duckstring.embedded.tables import history, list_tables

        line = resolve_line(self.c, name, req)
        _, major = split_line(line)
        end_f = self.c.coordinator.pond_view(line, lambda p: p.end_f)
        tables = list_tables(self.c.layout, name, major)
        for t in tables:
            t["freshness"] = when(end_f)
        resp.media = {"pond": line, "freshness": when(end_f), "tables": tables,
                      "runs": history(self.c.layout, name, major)[:RUNS_SHOWN]}

    def on_get_file(self, req: falcon.Request, resp: falcon.Response, name: str,
                    table: str) -> None:
        """One Parquet file of the table: of the latest run, or `?table_version=N` (`?version`
        is the Pond's code version here) / `?as_of=WHEN`."""
        from duckstring.embedded.tables import dataset, snapshot

        line = resolve_line(self.c, name, req)
        _, major = split_line(line)
        pin = pinned(req.params.get("as_of"), req.params.get("table_version"))
        data = dataset(snapshot(self.c.layout, name, major, table=table, **pin), name, major, table)
        resp.content_type = FORMATS["parquet"]
        resp.downloadable_as = f"{table}.parquet"
        resp.stream, resp.content_length = one_parquet(self.c.layout.tmp, data)


def pinned(as_of: Any, version: Any) -> dict[str, int | None]:
    """`as_of` (an ISO time or ms) and `version` (a table version) as given by a client."""
    from duckstring import times

    out: dict[str, int | None] = {"as_of": None, "version": None}
    if as_of not in (None, ""):
        try:
            out["as_of"] = int(as_of) if str(as_of).lstrip("-").isdigit() else times.parse_instant(str(as_of))
        except ValueError:
            raise BadInput(f"as_of {as_of!r} is not a time; give an ISO time such as "
                             "2026-01-05T02:00:00Z or a freshness shown by `duckstring runs`") from None
    if version not in (None, ""):
        if isinstance(version, bool) or not str(version).isdigit():
            raise BadInput(f"version {version!r} must be a whole number ≥ 0")
        out["version"] = int(version)
    if out["as_of"] is not None and out["version"] is not None:
        raise BadInput("give as_of or version, not both")
    return out


def one_parquet(tmp: Path, data: Any) -> tuple[Any, int]:
    """The dataset as one Parquet file, open for reading (unlinked: nothing is left behind)."""
    import pyarrow.parquet as pq

    tmp.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=tmp, suffix=".parquet", delete=False) as out:
        path = Path(out.name)
    try:
        with pq.ParquetWriter(path, data.schema) as writer:
            for batch in data.to_batches():
                writer.write_batch(batch)
        stream = path.open("rb")
        size = path.stat().st_size
    finally:
        path.unlink(missing_ok=True)
    return stream, size


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
        from duckstring.embedded.query import run_query

        settings = self.c.settings
        data = body(req)
        pond = data.get("pond")
        if not isinstance(pond, str):
            raise BadInput("pond is required")
        if data.get("major") is not None:
            req.params["major"] = str(data["major"])
        line = resolve_line(self.c, pond, req)
        name, major = split_line(line)
        fmt = data.get("format") or "json"
        if fmt not in FORMATS:
            raise BadInput(f"format must be one of {', '.join(FORMATS)}")
        started, outcome = time.perf_counter(), "error"
        try:
            result = run_query(self.c.layout, name, major, sql=data.get("sql"),
                               table=data.get("table"), fmt=fmt, limit=data.get("limit"),
                               timeout_s=settings.query_timeout_s,
                               memory_mb=settings.query_memory_mb,
                               **pinned(data.get("as_of"), data.get("version")))
            outcome = "ok"
        finally:
            self.c.team.metrics.query(line, outcome, time.perf_counter() - started)
        if fmt == "json":
            resp.media = result
        else:
            resp.content_type = FORMATS[fmt]
            resp.data = result
