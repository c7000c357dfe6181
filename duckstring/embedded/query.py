"""Ad-hoc queries over one line's published tables (docs/operating.md §8).

Every query gets a fresh in-memory DuckDB that sees the tables of one published run (the latest,
or the one `as_of` / `version` picks) as views, bare (`sale_line`) and under the Pond's name
(`sales.sale_line`), and nothing else. The server resolves each table to an Arrow dataset of its
Delta version (on local disk or an object store) and hands DuckDB the dataset, never a path.
Two independent walls keep the query there:

1. The statement: exactly one statement, and DuckDB's own parser must call it a SELECT
   (`SELECT`, `FROM`, `WITH`, `VALUES`, `DESCRIBE`, `SUMMARIZE`, `SHOW` are; `COPY`, `ATTACH`,
   `INSTALL`, `LOAD`, `SET`, `PRAGMA`, `CREATE`, `EXPORT`, `CALL` are not).
2. The database: once the views exist, external access is switched off (no file, no glob, no URL, no extension install or
   load, no secrets, no Python replacement scans), extension autoload/autoinstall are off,
   spilling to disk is off (`temp_directory = ''`), and the configuration is locked so the
   query cannot undo any of it.

CSV and Parquet results leave the sandbox as an Arrow stream and are written by a separate,
trusted connection into a private temporary directory: the user's SQL never names a path.

A query cannot exhaust the server either: its database may use `memory_mb` (DuckDB's
`memory_limit`, with nothing spilled to disk) and `THREADS` threads, its result may be at most
`memory_mb` (a JSON answer an eighth of that, since it becomes Python objects), and a watchdog
stops it after `timeout_s`. Each limit, when hit, is a `QueryError` that says which one.
"""

from __future__ import annotations

import contextlib
import json
import math
import tempfile
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

from duckstring.embedded.tables import dataset, datasets, snapshot
from duckstring.layout import Layout

FORMATS = ("json", "csv", "parquet")
PREVIEW_ROWS = 10  # `table` alone, as JSON, with no limit: the first rows
TIMEOUT_S = 60.0
MEMORY_MB = 512
THREADS = 2
FETCH_ROWS = 2048

# Settings applied at connect time: none of them restrict what our own views need.
_CONNECT: dict[str, Any] = {
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "python_enable_replacements": False,  # never scan the server's Python variables
    "temp_directory": "",  # never spill to disk
}
# Extra walls not every DuckDB version knows; applied when present.
_OPTIONAL = ("SET allow_extension_repositories = 'forbidden'", "SET TimeZone = 'UTC'")


class QueryError(ValueError):
    """SQL that failed, or that tried to reach beyond the published data (→ 400)."""


def run_query(
    layout: Layout, name: str, major: int, *, sql: str | None = None,
    table: str | None = None, fmt: str = "json", limit: int | None = None,
    timeout_s: float | None = TIMEOUT_S, memory_mb: int = MEMORY_MB,
    as_of: int | None = None, version: int | None = None,
) -> dict[str, Any] | bytes:
    """Run `sql` (or preview `table`) over `name@major`'s published tables: of the latest run,
    of the newest run at or before `as_of` (ms), or of the run that published `version` of
    `table`.

    json → `{"columns", "types", "rows"}` with JSON-safe values; csv and parquet → the file's
    bytes. `sql` wins when both are given. `table` alone reads the whole table, or its first
    `PREVIEW_ROWS` as JSON when no `limit` is given; an unknown table raises `TableNotFound`.
    """
    import duckdb

    if fmt not in FORMATS:
        raise QueryError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise QueryError(f"limit {limit!r} must be a whole number ≥ 0")
    if version is not None and table is None:
        raise QueryError("a version belongs to one table: give the table with the version")
    snap = snapshot(layout, name, major, as_of=as_of, version=version, table=table)
    tables = datasets(snap)
    if sql is None:
        if table is None:
            raise QueryError("give a SQL query or a table name")
        dataset(snap, name, major, table)  # TableNotFound when unpublished
        table = next(t for t in tables if t.lower() == table.lower())
        sql = f'SELECT * FROM "{table}"'
        if limit is None and fmt == "json":
            limit = PREVIEW_ROWS
    body = _single_select(sql)
    con = _sandbox(name, tables, memory_mb)
    watchdog = _Watchdog(con, timeout_s) if timeout_s else None
    result_bytes = memory_mb << 20
    try:
        if fmt == "json":
            return _json_result(con, body, limit, result_bytes // 8)
        return _file_result(con, body, limit, fmt, result_bytes)
    except duckdb.OutOfMemoryException:
        raise QueryError(
            f"the query needs more than {memory_mb} MB of memory, the limit for one query here "
            "(DUCKSTRING_QUERY_MEMORY_MB); filter, aggregate or add a LIMIT"
        ) from None
    except duckdb.Error as e:
        if watchdog is not None and watchdog.fired:
            raise QueryError(
                f"the query ran longer than {timeout_s:g} s, the limit here "
                "(DUCKSTRING_QUERY_TIMEOUT_S), and was stopped; narrow it or add a LIMIT"
            ) from None
        raise QueryError(str(e)) from None
    finally:
        if watchdog is not None:
            watchdog.cancel()
        con.close()


def _single_select(sql: str) -> str:
    """The text of the one SELECT statement in `sql`, without trailing `;` or comments."""
    import duckdb

    if not isinstance(sql, str) or not sql.strip():
        raise QueryError("the query is empty")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as e:
        raise QueryError(str(e)) from None
    if not statements:
        raise QueryError("the query is empty")
    if len(statements) > 1:
        raise QueryError(f"give one statement, not {len(statements)}")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise QueryError(f"only SELECT queries run here, not {kind.name}")
    return _strip_tail(statements[0].query)


def _strip_tail(text: str) -> str:
    """Drop the trailing `;` (and comments after it) so the statement can be nested."""
    import duckdb

    raw = text.encode("utf-8")  # token positions are byte offsets
    cut = len(raw)
    for pos, kind in reversed(duckdb.tokenize(text)):
        if kind == duckdb.token_type.comment:
            continue
        if kind == duckdb.token_type.operator and raw[pos:pos + 1] == b";":
            cut = pos
            continue
        break
    return raw[:cut].decode("utf-8").rstrip()


def _sandbox(name: str, tables: dict[str, Any], memory_mb: int = MEMORY_MB) -> Any:
    import duckdb

    con = duckdb.connect(":memory:", config={
        **_CONNECT, "memory_limit": f"{memory_mb}MB", "threads": THREADS,
    })
    try:
        qualify = True
        try:
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{name}"')
        except duckdb.Error:
            qualify = False  # a name DuckDB reserves; bare names still work
        for table, data in tables.items():
            con.register(table, data)
            if qualify and name != "main":
                try:
                    con.execute(f'CREATE VIEW "{name}"."{table}" AS SELECT * FROM "{table}"')
                except duckdb.Error:
                    qualify = False
        for statement in _OPTIONAL:
            with contextlib.suppress(duckdb.Error):
                con.execute(statement)
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _wrapped(body: str, select: str, limit: int | None) -> str:
    """`body` nested in our own SELECT; checked again so the nesting cannot smuggle anything."""
    import duckdb

    sql = f"SELECT {select} FROM (\n{body}\n) AS _q"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    statements = duckdb.extract_statements(sql)
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise QueryError("the query could not be nested in a SELECT; give one plain SELECT")
    return sql


def _too_big(fmt: str, limit: int) -> QueryError:
    other = " or ask for CSV or Parquet" if fmt == "json" else ""
    return QueryError(f"the result is over {limit >> 20} MB, the limit for {fmt.upper()} here; "
                      f"filter, aggregate or add a LIMIT{other}")


def _json_result(con: Any, body: str, limit: int | None, max_bytes: int) -> dict[str, Any]:
    rel = con.sql(body)  # binds only: names and types
    columns, types = list(rel.columns), [str(t) for t in rel.types]
    # DuckDB renders every value as JSON itself (dates, intervals, blobs, nested types), so no
    # Python-side type conversion (and no optional dependency like pytz) is involved.
    select = ", ".join(f"to_json(#{i})" for i in range(1, len(columns) + 1))
    cursor = con.execute(_wrapped(body, select, limit))
    rows: list[list[Any]] = []
    size = 0
    while chunk := cursor.fetchmany(FETCH_ROWS):
        size += sum(len(cell) for row in chunk for cell in row if cell is not None)
        if size > max_bytes:
            raise _too_big("json", max_bytes)
        rows.extend([_load(cell) for cell in row] for row in chunk)
    return {"columns": columns, "types": types, "rows": rows}


def _load(cell: str | None) -> Any:
    if cell is None:
        return None
    return _safe(json.loads(cell, parse_float=Decimal, parse_constant=lambda c: c))


def _safe(value: Any) -> Any:
    """Decimals become floats when that is exact, else strings; NaN/Infinity stay strings."""
    if isinstance(value, Decimal):
        f = float(value)
        return f if math.isfinite(f) and Decimal(repr(f)) == value else str(value)
    if isinstance(value, list):
        return [_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _safe(v) for k, v in value.items()}
    return value


def _file_result(con: Any, body: str, limit: int | None, fmt: str, max_bytes: int) -> bytes:
    import duckdb
    import pyarrow as pa

    reader = con.sql(_wrapped(body, "*", limit)).to_arrow_reader()
    over = threading.Event()

    def counted() -> Any:  # ends the stream (and so the COPY) once the result is too big
        size = 0
        for batch in reader:
            size += batch.nbytes
            if size > max_bytes:
                over.set()
                raise RuntimeError("result too big")
            yield batch

    bounded = pa.RecordBatchReader.from_batches(reader.schema, counted())
    options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet"
    with tempfile.TemporaryDirectory(prefix="duckstring-query-") as tmp:
        out = Path(tmp) / f"result.{fmt}"
        writer = duckdb.connect(":memory:", config={
            "autoload_known_extensions": False, "python_enable_replacements": False,
            "memory_limit": f"{max(max_bytes >> 20, 64)}MB", "threads": THREADS,
        })
        try:
            writer.register("result", bounded)
            writer.execute(f"COPY result TO {_literal(str(out))} ({options})")
        except duckdb.Error:
            if over.is_set():
                raise _too_big(fmt, max_bytes) from None
            raise
        finally:
            writer.close()
        if out.stat().st_size > 2 * max_bytes:  # text can outgrow its Arrow form, not by much
            raise _too_big(fmt, max_bytes)
        return out.read_bytes()


class _Watchdog:
    """Interrupts the connection when the query outlives its time."""

    def __init__(self, con: Any, seconds: float) -> None:
        self.fired = False
        self._con = con
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        with contextlib.suppress(Exception):  # the query may have finished meanwhile
            self._con.interrupt()

    def cancel(self) -> None:
        self._timer.cancel()
