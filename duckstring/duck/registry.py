"""A line's DuckDB registry: opening it, and the atomic table replace behind `write_table`.

A replace builds the new table under a private name first (outside any lock, so Ripples build
in parallel), then swaps it in one short transaction: `DROP old; ALTER … RENAME`. Readers see the
old table or the new one, never a half-written one. Swaps on one registry queue on a lock, and a
transaction conflict with the author's own SQL is retried with backoff rather than failed.

Only the Duck (and local runs) import this module: it imports duckdb.
"""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import duckdb

RESERVED = "_duckstring_"
TMP_PREFIX = f"{RESERVED}tmp_"
TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RETRY_FOR_S = 60.0


def quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Registry:
    """The registry database of one line, shared by every Ripple thread of the Duck."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.con = duckdb.connect(str(path))
        self.swap_lock = threading.Lock()
        self.catalog = str(self.con.execute("SELECT current_database()").fetchall()[0][0])
        self.drop_leftovers()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()

    def close(self) -> None:
        self.con.close()

    def drop_leftovers(self) -> None:
        """Build tables orphaned by a crash between build and swap."""
        names = [r[0] for r in self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND schema_name = 'main' "
            "AND database_name = current_database() AND starts_with(table_name, ?)", [TMP_PREFIX]
        ).fetchall()]
        for name in names:
            self.con.execute(f"DROP TABLE IF EXISTS main.{quote(name)}")


def check_table_name(name: Any) -> str:
    if not isinstance(name, str) or not TABLE_NAME.match(name):
        raise ValueError(
            f"table name {name!r} is not valid; use letters, digits and _ (not starting with a digit)"
        )
    if name.startswith(RESERVED):
        raise ValueError(f"table name {name!r} is reserved: names starting with {RESERVED} are duckstring's")
    return name


def register_data(con: duckdb.DuckDBPyConnection, view: str, data: Any) -> None:
    """Make `data` visible to `con` as `view`: a DuckDB relation, a pyarrow Table, a pandas or
    polars DataFrame (anything DuckDB can scan)."""
    if isinstance(data, (str, bytes, Path)):
        raise TypeError(
            "write_table takes a DuckDB relation, a pandas/polars DataFrame or a pyarrow Table; "
            "for SQL use pond.con.sql('...')"
        )
    if isinstance(data, duckdb.DuckDBPyRelation):
        try:  # a relation on this database is scanned lazily, without materialising it
            con.register(view, data)
            return
        except duckdb.InvalidInputException:  # it reads another database: bring it over
            data = data.to_arrow_table()
    try:
        con.register(view, data)
    except Exception as e:
        raise TypeError(
            f"write_table cannot use a {type(data).__name__}; pass a DuckDB relation, a "
            "pandas/polars DataFrame or a pyarrow Table"
        ) from e


def _columns(con: duckdb.DuckDBPyConnection, view: str) -> list[str]:
    con.execute(f"SELECT * FROM {quote(view)} LIMIT 0")
    return [d[0] for d in con.description or ()]


def write_table(con: duckdb.DuckDBPyConnection, catalog: str, name: str, data: Any,
                lock: threading.Lock, retry_for_s: float = RETRY_FOR_S) -> None:
    """Replace `catalog.main.name` with `data` atomically (see the module docstring)."""
    check_table_name(name)
    token = uuid.uuid4().hex[:12]
    view = f"{RESERVED}src_{token}"
    tmp = f"{TMP_PREFIX}{name}_{token}"
    target = f"{quote(catalog)}.main.{quote(name)}"
    staged = f"{quote(catalog)}.main.{quote(tmp)}"
    register_data(con, view, data)
    try:
        reserved = [c for c in _columns(con, view) if c.startswith(RESERVED)]
        if reserved:
            raise ValueError(
                f"column {reserved[0]!r} of table {name!r} is reserved: "
                f"column names starting with {RESERVED} are duckstring's; rename it"
            )
        _retrying(con, retry_for_s, lambda: con.execute(
            f"CREATE TABLE {staged} AS SELECT * FROM {quote(view)}"
        ))
    finally:
        _drop_view(con, view)
    try:
        with lock:
            _retrying(con, retry_for_s, lambda: _swap(con, staged, target, name))
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute(f"DROP TABLE IF EXISTS {staged}")
        raise


def _swap(con: duckdb.DuckDBPyConnection, staged: str, target: str, name: str) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DROP TABLE IF EXISTS {target}")
        con.execute(f"ALTER TABLE {staged} RENAME TO {quote(name)}")
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed COMMIT has already rolled back
            con.execute("ROLLBACK")
        raise


def _drop_view(con: duckdb.DuckDBPyConnection, view: str) -> None:
    with contextlib.suppress(duckdb.Error):
        con.unregister(view)


def _retrying(con: duckdb.DuckDBPyConnection, retry_for_s: float, step: Any) -> None:
    """Run `step`, retrying transaction conflicts with jittered backoff for `retry_for_s`."""
    deadline = time.monotonic() + retry_for_s
    delay = 0.005
    while True:
        try:
            step()
            return
        except duckdb.TransactionException:
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.25)
