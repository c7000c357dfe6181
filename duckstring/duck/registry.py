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


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    con.execute(f"SELECT * FROM {relation} LIMIT 0")
    return [d[0] for d in con.description or ()]


def write_table(con: duckdb.DuckDBPyConnection, catalog: str, name: str, data: Any,
                lock: threading.Lock, retry_for_s: float = RETRY_FOR_S,
                key: list[str] | None = None) -> None:
    """Replace `catalog.main.name` with `data` atomically (see the module docstring); `key`
    (kept beside it) names the columns the publish diffs rows by."""
    check_table_name(name)
    token = uuid.uuid4().hex[:12]
    view = f"{RESERVED}src_{token}"
    tmp = f"{TMP_PREFIX}{name}_{token}"
    target = f"{quote(catalog)}.main.{quote(name)}"
    staged = f"{quote(catalog)}.main.{quote(tmp)}"
    register_data(con, view, data)
    try:
        reserved = [c for c in _columns(con, quote(view)) if c.startswith(RESERVED)]
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
            _retrying(con, retry_for_s, lambda: _swap(con, staged, target, name, catalog, key))
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute(f"DROP TABLE IF EXISTS {staged}")
        raise


def _swap(con: duckdb.DuckDBPyConnection, staged: str, target: str, name: str, catalog: str,
          key: list[str] | None) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DROP TABLE IF EXISTS {target}")
        con.execute(f"ALTER TABLE {staged} RENAME TO {quote(name)}")
        remember_key(con, catalog, name, key)
        forget_touched(con, catalog, name)  # a whole new content: the publish compares all of it
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


# -- incremental writes (docs/authoring.md §5) -------------------------------------------------
KEYS = f"{RESERVED}keys"  # {name, key}: the key a table was last written with (publish diffs by it)
TOUCHED = f"{RESERVED}touched_"  # + table: the keys incremental writes touched since the last
# publish, so it reads and rewrites only those rows (lake/incremental.py checks them)


def check_key(key: Any) -> list[str]:
    if isinstance(key, str):
        key = [key]
    if not isinstance(key, (list, tuple)) or not key or not all(isinstance(k, str) for k in key):
        raise ValueError(f"key must be a column name or a list of column names, not {key!r}")
    return list(key)


def keys(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> dict[str, list[str]]:
    """The key each table was last written with (`write_table(key=…)`, `merge_table`)."""
    catalog = catalog or str(con.execute("SELECT current_database()").fetchall()[0][0])
    if not _exists(con, catalog, KEYS):
        return {}
    return {r[0]: list(r[1]) for r in con.execute(
        f"SELECT name, key FROM {quote(catalog)}.main.{quote(KEYS)}").fetchall()}


def remember_key(con: duckdb.DuckDBPyConnection, catalog: str, name: str,
                 key: list[str] | None) -> None:
    table = f"{quote(catalog)}.main.{quote(KEYS)}"
    if key is None:  # the table exists only once some table has a key
        if _exists(con, catalog, KEYS):
            con.execute(f"DELETE FROM {table} WHERE name = ?", [name])
        return
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} (name VARCHAR PRIMARY KEY, key VARCHAR[])")
    con.execute(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", [name, key])


def touched(catalog: str, name: str) -> str:
    return f"{quote(catalog)}.main.{quote(TOUCHED + name)}"


def all_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every table of the registry's `main` schema, duckstring's own included."""
    return {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND schema_name = 'main' "
        "AND database_name = current_database()").fetchall()}


def forget_touched(con: duckdb.DuckDBPyConnection, catalog: str, name: str) -> None:
    con.execute(f"DROP TABLE IF EXISTS {touched(catalog, name)}")


def _touch(con: duckdb.DuckDBPyConnection, catalog: str, name: str, key: list[str],
           rows: str) -> None:
    """Add the keys of `rows` (a FROM item with the key columns) to `name`'s touched keys."""
    cols = ", ".join(quote(k) for k in key)
    table = touched(catalog, name)
    if _exists(con, catalog, TOUCHED + name) and [
            r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()] != key:
        forget_touched(con, catalog, name)  # another key: the publish checks every row anyway
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} AS SELECT {cols} FROM {rows} LIMIT 0")
    con.execute(f"INSERT INTO {table} SELECT DISTINCT {cols} FROM {rows}")


def _exists(con: duckdb.DuckDBPyConnection, catalog: str, name: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
        "AND lower(table_name) = lower(?)", [catalog, name]).fetchall()[0][0])


def change_rows(con: duckdb.DuckDBPyConnection, catalog: str, name: str, data: Any,
                lock: threading.Lock, *, mode: str, key: list[str] | None = None,
                where: str | None = None, retry_for_s: float = RETRY_FOR_S) -> None:
    """`mode` append / merge (upsert by `key`) / delete (`where`) / apply (a change feed by
    `key`) on `catalog.main.name`, in one transaction; a missing table is created from `data`.
    `data` is taken as it is when the call begins (copied first: it may read the table), and
    the keys touched are recorded for the publish."""
    check_table_name(name)
    target = f"{quote(catalog)}.main.{quote(name)}"
    token = uuid.uuid4().hex[:12]
    view, src = f"{RESERVED}data_{token}", f"temp.main.{quote(f'{RESERVED}src_{token}')}"
    if data is not None:
        register_data(con, view, data)
        try:
            _retrying(con, retry_for_s, lambda: con.execute(
                f"CREATE TEMP TABLE {src} AS SELECT * FROM {quote(view)}"))
        finally:
            _drop_view(con, view)
    try:
        cols = _columns(con, src) if data is not None else []
        meta = [c for c in cols if c in ("_change_type", "_commit_version")]
        plain = ", ".join(quote(c) for c in cols if c not in meta)
        rows = src
        if mode == "apply":
            if "_change_type" not in cols:
                raise ValueError("apply_changes takes a change feed with a _change_type column "
                                 "(from pond.read_changes)")
            order = "_commit_version" if "_commit_version" in cols else "0"
            # each key ends as the last commit touching it says; deletes before inserts within one
            rows = (f"(SELECT * FROM {src} WHERE _change_type <> 'update_preimage' "
                    f"QUALIFY {order} = max({order}) OVER (PARTITION BY "
                    f"{', '.join(quote(k) for k in key or [])}))")
        statements: list[Any] = []
        if not _exists(con, catalog, name):
            if mode == "delete":
                raise ValueError(f"table {name!r} does not exist in this Pond's registry")
            statements.append(f"CREATE TABLE {target} AS SELECT {plain} FROM {src} LIMIT 0")
        tracked = key or keys(con, catalog).get(name)
        if tracked and mode == "delete":
            statements.append(lambda: _touch(con, catalog, name, tracked,
                                             f"(SELECT * FROM {target} WHERE {where})"))
        elif tracked and set(tracked) <= set(cols):
            statements.append(lambda: _touch(con, catalog, name, tracked, src))
        if key:
            on = " AND ".join(f"{target}.{quote(k)} IS NOT DISTINCT FROM _s.{quote(k)}"
                              for k in key)
            if mode in ("merge", "apply"):
                first = quote(key[0])  # the keys' range as constants: zone maps skip the rest
                low, high, nulls = con.execute(f"SELECT min({first}), max({first}), count(*) "
                                               f"FILTER (WHERE {first} IS NULL) FROM {rows}").fetchall()[0]
                bounded = f"{target}.{first} BETWEEN ? AND ? AND " if low is not None and not nulls else ""
                delete = f"DELETE FROM {target} WHERE {bounded}EXISTS (SELECT 1 FROM {rows} _s WHERE {on})"
                statements.append(lambda: con.execute(delete, [low, high] if bounded else []))
        if mode == "delete":
            statements.append(f"DELETE FROM {target} WHERE {where}")
        elif mode == "apply":
            statements.append(f"INSERT INTO {target} BY NAME SELECT {plain} FROM {rows} "
                              "WHERE _change_type IN ('insert', 'update_postimage')")
        else:
            statements.append(f"INSERT INTO {target} BY NAME SELECT {plain} FROM {src}")

        def step() -> None:
            con.execute("BEGIN TRANSACTION")
            try:
                for sql in statements:
                    sql() if callable(sql) else con.execute(sql)
                if key:
                    remember_key(con, catalog, name, key)
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                raise

        with lock:
            _retrying(con, retry_for_s, step)
    finally:
        if data is not None:
            with contextlib.suppress(duckdb.Error):
                con.execute(f"DROP TABLE IF EXISTS {src}")
