"""Publishing a completed run as Delta versions (docs/operating.md §4, docs/concepts.md §6).

1. In one read transaction of the registry (one consistent snapshot), plan every table: an
   order-independent fingerprint (row count, sum of row hashes, column types) equal to the one
   the table's last commit carries means unchanged; otherwise the registry table is checked
   against the Delta schema (the line's contract: no table or column may disappear, no type may
   change; DECIMAL and other numbers are cast to the published type when every value fits).
   Any violation rejects the run before anything is written.
2. Each changed table gets one commit holding only the changed rows, computed in DuckDB: by the
   table's key when `write_table(key=…)`/`merge_table` named one (deletes, updates with pre- and
   post-images, inserts), else by whole rows (the rows whose count changed are deleted and the
   new copies inserted). A new table is written whole. Commits carry the run's freshness, run id
   and fingerprint as commit metadata.
3. The run manifest (`runs`) is committed last; a run none of whose tables moved commits
   nothing and is `changed=false`. Then `retention` vacuums what no kept version needs.

Never enables deletion vectors or column mapping: other Delta readers would fail on them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from duckstring.duck.publish import Published, contract_violations, registry_tables
from duckstring.duck.registry import (
    RESERVED,
    TOUCHED,
    all_tables,
    forget_touched,
    keys,
    quote,
    touched,
)
from duckstring.lake import deltalog, incremental, runs, tables
from duckstring.lake.read import register, unregister
from duckstring.lake.retention import Retention, vacuum
from duckstring.lake.where import RUNS, Line

CONFIG = {"delta.enableChangeDataFeed": "true",
          "delta.checkpointInterval": str(deltalog.CHECKPOINT_INTERVAL)}
# Several files per big table, written in the rows' order, so a change to some keys rewrites
# only the files holding them: small on local disk, where a file costs next to nothing to
# open, bigger on object stores, where each is a request
LOCAL_FILE_BYTES, REMOTE_FILE_BYTES = 2 << 20, 32 << 20
NEW, OLD = "duckstring_new", "duckstring_old"  # merge aliases (no user column is named so)
# DuckDB types Delta cannot hold, as the type they are published as
_AS = [(re.compile(p), t) for p, t in (
    (r"^(INTERVAL|TIME|TIME WITH TIME ZONE|UUID|BIT|ENUM\(.*\))$", "VARCHAR"),
    (r"^U?HUGEINT$", "DECIMAL(38,0)"), (r"^UBIGINT$", "DECIMAL(20,0)"),
    (r"^UINTEGER$", "BIGINT"), (r"^USMALLINT$", "INTEGER"), (r"^UTINYINT$", "SMALLINT"),
)]
_NUMBER = re.compile(r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\))$")


def published_type(duck_type: str) -> str:
    for pattern, as_type in _AS:
        if pattern.match(duck_type):
            return as_type
    return duck_type


@dataclass
class Plan:
    table: str
    uri: str
    columns: dict[str, str]  # as published
    select: str  # the registry table as published (casts applied)
    fingerprint: str
    rows: int
    digest: int  # sum of the rows' hashes
    state: str  # "same" | "new" | "diff"
    old_columns: dict[str, str] = field(default_factory=dict)
    version: int | None = None
    last: dict[str, Any] = field(default_factory=dict)  # the table's last commit info

    def metadata(self, f: int, run: str) -> dict[str, str]:
        """What the commit carries: the run, and the fingerprint with its parts (which let the
        next publish check recorded touched keys arithmetically, lake/incremental.py)."""
        return {"duckstring.f": str(f), "duckstring.run": run,
                "duckstring.fingerprint": self.fingerprint, "duckstring.rows": str(self.rows),
                "duckstring.digest": str(self.digest)}


def _describe(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE {sql}").fetchall()}


def _fits(con: duckdb.DuckDBPyConnection, source: str, col: str, to: str) -> bool:
    c = quote(col)
    bad = con.execute(
        f"SELECT count(*) FROM {source} WHERE {c} IS NOT NULL AND "
        f"(TRY_CAST({c} AS {to}) IS NULL OR TRY_CAST({c} AS {to}) <> {c})"
    ).fetchall()[0][0]
    return not bad


def _plan(con: duckdb.DuckDBPyConnection, qualified: str, table: str, line: Line,
          problems: list[str], dt: Any) -> Plan:
    raw = _describe(con, f"SELECT * FROM {qualified}")
    columns = {c: published_type(t) for c, t in raw.items()}
    old: dict[str, str] = {}
    known = _known.get(_version_key(dt, line.table(table))) if dt is not None else None
    if dt is not None:
        if known is not None:
            old = dict(known[0])
        else:
            view = f"{RESERVED}old_{table}"
            register(con, view, line, table, dt.version())
            try:
                old = _describe(con, f"SELECT * FROM {quote(view)}")
            finally:
                unregister(con, view)
        for col, old_type in old.items():
            new_type = columns.get(col)
            if (new_type is not None and new_type != old_type and _NUMBER.match(new_type)
                    and _NUMBER.match(old_type) and _fits(con, qualified, col, old_type)):
                columns[col] = old_type  # e.g. DECIMAL precision drift: cast to the table's
        problems += contract_violations({table: old}, {table: columns})
    select = ", ".join(
        quote(c) if raw[c] == t else f"CAST({quote(c)} AS {t}) AS {quote(c)}"
        for c, t in columns.items()
    )
    select = f"SELECT {select} FROM {qualified}"
    rows, digest = con.execute(
        f"SELECT count(*), coalesce(sum(hash(_r)), 0) FROM ({select}) AS _r").fetchall()[0]
    types = ";".join(f"{c} {t}" for c, t in columns.items())
    fingerprint = hashlib.sha256(f"{rows}|{digest}|{types}".encode()).hexdigest()[:32]
    plan = Plan(table, line.table(table), columns, select, fingerprint, int(rows), int(digest),
                "new" if dt is None else "diff", old)
    if dt is not None:
        plan.version = dt.version()
        if known is not None:
            plan.last = dict(known[1])
        else:
            last = dt.history(1)
            plan.last = last[0] if last else {}
        if plan.last.get("duckstring.fingerprint") == fingerprint and old == columns:
            plan.state = "same"
    return plan


# {(table uri, table id, version): (its columns as DuckDB reads them, its commit's info)}, for
# versions this process wrote itself or already read: spares re-reading them on the next run
_known: dict[tuple[str, str, int], tuple[dict[str, str], dict[str, Any]]] = {}


def _version_key(dt: Any, uri: str) -> tuple[str, str, int]:
    return uri, str(dt.metadata().id), int(dt.version())


def _metadata(plan: Plan, f: int, run: str) -> Any:
    from deltalake import CommitProperties

    return CommitProperties(custom_metadata=plan.metadata(f, run))


def _changes(con: duckdb.DuckDBPyConnection, plan: Plan, key: list[str] | None) -> str:
    """SQL of the change set: `_op` 'delete', 'insert' (the row or key was not there) or, keyed,
    'upsert' (the key was there with other values). Keyless, a row whose count changed is
    deleted where it was and its new copies inserted."""
    cols = list(plan.columns)
    old = ", ".join(quote(c) if c in plan.old_columns else f"NULL::{t} AS {quote(c)}"
                    for c, t in plan.columns.items())
    old_sel = f"SELECT {old} FROM {quote(OLD)}"
    listed = ", ".join(quote(c) for c in cols)
    if key:  # one hash join on the key: rows only on one side, or differing in any column
        here = quote(f"{RESERVED}here")
        on = " AND ".join(f"n.{quote(k)} = o.{quote(k)}" for k in key)
        picked = ", ".join(f"CASE WHEN n.{here} THEN n.{quote(c)} ELSE o.{quote(c)} END AS {quote(c)}"
                           for c in cols)
        differs = (f"row({', '.join(f'n.{quote(c)}' for c in cols)}) IS DISTINCT FROM "
                   f"row({', '.join(f'o.{quote(c)}' for c in cols)})")
        return (f"SELECT CASE WHEN n.{here} IS NULL THEN 'delete' WHEN o.{here} IS NULL THEN "
                f"'insert' ELSE 'upsert' END AS _op, {picked} "
                f"FROM (SELECT *, true AS {here} FROM ({plan.select})) n "
                f"FULL JOIN (SELECT *, true AS {here} FROM ({old_sel})) o ON {on} "
                f"WHERE n.{here} IS NULL OR o.{here} IS NULL OR {differs}")
    # one scan of each side: every distinct row with its count on both, kept where they differ
    side, n, o = (quote(f"{RESERVED}{x}") for x in ("side", "n", "o"))
    return (f"WITH d AS (SELECT {listed}, count(*) FILTER (WHERE {side}) AS {n}, "
            f"count(*) FILTER (WHERE NOT {side}) AS {o} FROM ("
            f"SELECT {listed}, true AS {side} FROM ({plan.select}) "
            f"UNION ALL SELECT {listed}, false FROM ({old_sel})) GROUP BY ALL HAVING {n} <> {o}) "
            f"SELECT unnest(CASE WHEN {o} > 0 THEN ['delete'] ELSE [] END || "
            f"list_transform(range({n}), lambda i: 'insert')) AS _op, {listed} FROM d")


def _changed(con: duckdb.DuckDBPyConnection, plan: Plan, line: Line, key: list[str] | None,
             f: int, run: str, dt: Any, touched_in: str | None) -> tuple[Callable[[], int], bool]:
    """The commit of a changed table, and whether the Duck writes it itself: on local disk when
    it can (lake/incremental.py), else a delta-rs merge."""
    if key and (set(key) - set(plan.columns) or set(key) - set(plan.old_columns)):
        key = None  # the key is not (yet) in both: compare whole rows
    if line.local and incremental.eligible(dt, plan.columns, plan.old_columns):
        try:
            commit = incremental.rewrite(
                con, dt, plan.table, plan.uri, plan.select, plan.columns, key, touched_in,
                (plan.rows, plan.digest), plan.last, plan.metadata(f, run), LOCAL_FILE_BYTES)
        except deltalog.Unsupported:
            pass
        else:
            return commit or (lambda: int(dt.version())), commit is not None
    return _merge(con, plan, line, key, f, run, dt), False


def _merge(con: duckdb.DuckDBPyConnection, plan: Plan, line: Line, key: list[str] | None,
           f: int, run: str, dt: Any) -> Callable[[], int]:
    """Compute the change set on `con` now; return the commit (no DuckDB in it, so the commits
    of several tables can run side by side), which answers the new version."""
    register(con, OLD, line, plan.table, dt.version())
    try:
        if key:
            incremental.check_unique(con, f"({plan.select})", key, plan.table)
        changes = con.sql(_changes(con, plan, key)).to_arrow_table()
    finally:
        unregister(con, OLD)
    if changes.num_rows == 0:
        return lambda: int(dt.version())
    if not pc_any(changes, "_op", "insert"):
        return lambda: _append(dt, changes.drop_columns(["_op"]), plan, f, run)
    cols = {quote(c): f"{NEW}.{quote(c)}" for c in plan.columns}
    if key:
        on = " AND ".join(f"({OLD}.{quote(k)} = {NEW}.{quote(k)})" for k in key)
        merger = (dt.merge(changes, on, source_alias=NEW, target_alias=OLD,
                           merge_schema=bool(set(plan.columns) - set(plan.old_columns)),
                           commit_properties=_metadata(plan, f, run))
                  .when_matched_update(cols, predicate=f"{NEW}._op = 'upsert'")
                  .when_matched_delete(predicate=f"{NEW}._op = 'delete'")
                  .when_not_matched_insert(cols, predicate=f"{NEW}._op <> 'delete'"))
    else:
        on = f"({NEW}._op = 'delete') AND " + " AND ".join(
            f"({OLD}.{quote(c)} IS NOT DISTINCT FROM {NEW}.{quote(c)})" for c in plan.old_columns
            if c in plan.columns)
        merger = (dt.merge(changes, on, source_alias=NEW, target_alias=OLD,
                           merge_schema=bool(set(plan.columns) - set(plan.old_columns)),
                           commit_properties=_metadata(plan, f, run))
                  .when_matched_delete()
                  .when_not_matched_insert(cols, predicate=f"{NEW}._op = 'insert'"))

    def commit() -> int:
        merger.execute()  # moves `dt` to the new version
        return int(dt.version())
    return commit


def pc_any(table: Any, column: str, but: str) -> bool:
    """Whether `column` holds anything other than `but`."""
    import pyarrow.compute as pc

    return bool(pc.any(pc.not_equal(table[column], but)).as_py())


def _append(dt: Any, rows: Any, plan: Plan, f: int, run: str) -> int:
    """Only new rows: an append commit (its change feed: the rows as inserts), no merge."""
    from deltalake import write_deltalake

    write_deltalake(dt, rows, mode="append",
                    schema_mode="merge" if set(plan.columns) - set(plan.old_columns) else None,
                    commit_properties=_metadata(plan, f, run))
    return int(dt.version())


def _create(con: duckdb.DuckDBPyConnection, plan: Plan, line: Line, f: int, run: str) -> None:
    """Version 0 of a new table: on local disk DuckDB writes the Parquet files itself (its
    parallel writer) and delta-rs only commits them; on an object store delta-rs writes."""
    from deltalake import write_deltalake

    if line.local:
        _create_local(con, plan, f, run)
        return
    reader = con.sql(plan.select).arrow()  # a one-shot stream: nothing else runs on `con` meanwhile
    try:
        write_deltalake(plan.uri, reader, mode="overwrite", configuration=CONFIG,
                        target_file_size=REMOTE_FILE_BYTES,
                        storage_options=line.options(),
                        commit_properties=_metadata(plan, f, run))
    finally:
        with contextlib.suppress(Exception):
            reader.close()


def _create_local(con: duckdb.DuckDBPyConnection, plan: Plan, f: int, run: str) -> None:
    import uuid

    from deltalake import Schema
    from deltalake.transaction import AddAction, create_table_with_add_actions

    # files a crash leaves unreferenced are vacuumed later
    folder = os.path.join(plan.uri, f"part-{uuid.uuid4().hex}")
    now = int(time.time() * 1000)
    adds = [AddAction(path, size, {}, now, True, stats) for path, size, stats in
            deltalog.write_files(con, plan.select, folder, plan.uri, plan.columns, LOCAL_FILE_BYTES)]
    schema = delta_schema(con.sql(f"SELECT * FROM ({plan.select}) LIMIT 0").arrow().schema)
    create_table_with_add_actions(plan.uri, Schema.from_arrow(schema), adds, mode="overwrite",
                                  configuration=CONFIG, commit_properties=_metadata(plan, f, run))


def delta_schema(schema: Any) -> Any:
    """DuckDB's Arrow schema as Delta takes it: time zones are UTC (DuckDB says Etc/UTC; the
    Parquet files hold UTC instants either way)."""
    import pyarrow as pa

    def fix(t: Any) -> Any:
        if pa.types.is_timestamp(t):
            return pa.timestamp("us", "UTC" if t.tz else None)
        if pa.types.is_large_list(t) or pa.types.is_list(t):
            return pa.list_(pa.field(t.value_field.name, fix(t.value_type)))
        if pa.types.is_struct(t):
            return pa.struct([pa.field(x.name, fix(x.type)) for x in t])
        if pa.types.is_map(t):
            return pa.map_(fix(t.key_type), fix(t.item_type))
        return t

    return pa.schema([pa.field(x.name, fix(x.type)) for x in schema])


def _commit_all(line: Line, commits: dict[str, Callable[[], int]]) -> list[int]:
    """Every table's commit, side by side when there are several (delta-rs releases the GIL);
    a table whose commit failed is opened afresh next time."""
    def one(table: str) -> int:
        try:
            return commits[table]()
        except BaseException:
            tables.forget(line, table)
            raise
    if len(commits) < 2:
        return [one(t) for t in commits]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(len(commits), 4), thread_name_prefix="commit") as pool:
        return list(pool.map(one, commits))


def publish(con: duckdb.DuckDBPyConnection, line: Line, *, f: int, run: str,
            label: str = "this line", now_ms: int | None = None,
            keep: Retention | None = None) -> Published:
    """Plan, commit and record one run (see the module docstring), then apply retention. `con`
    is a cursor of the registry used only for this publish."""
    if line.local:
        from pathlib import Path

        Path(line.uri).mkdir(parents=True, exist_ok=True)
    catalog = str(con.execute("SELECT current_database()").fetchall()[0][0])
    with contextlib.ExitStack() as held:  # every table refreshed once, then held to the end
        held.enter_context(tables.held(line, RUNS))
        before = runs.latest(line)
        con.execute("BEGIN TRANSACTION")  # one snapshot for every table
        try:
            key_of = keys(con)
            problems: list[str] = []
            present = all_tables(con)
            names = registry_tables(con, present)
            open_ = {t: held.enter_context(tables.held(line, t)) for t in names}
            plans = [_plan(con, f"{quote(catalog)}.main.{quote(t)}", t, line, problems, open_[t])
                     for t in names]
            if before is not None:
                missing = set(before.tables) - {p.table for p in plans}
                problems += contract_violations({t: {} for t in sorted(missing)}, {})
            if problems:
                return Published(False, rejected=(
                    f"schema contract of {label}: " + "; ".join(problems) + ". Published tables "
                    "and columns are additive-only within a major: restore them, or deploy a new "
                    "major version"))
            commits: dict[str, Callable[[], int]] = {}
            own: set[str] = set()  # tables whose commit the Duck wrote (columns unchanged)
            for plan in plans:
                try:
                    if plan.state == "new":
                        _create(con, plan, line, f, run)
                        plan.version = 0
                    elif plan.state == "diff":
                        commits[plan.table], mine = _changed(
                            con, plan, line, key_of.get(plan.table), f, run, open_[plan.table],
                            touched(catalog, plan.table) if TOUCHED + plan.table in present else None)
                        if mine:
                            own.add(plan.table)
                except BaseException:
                    tables.forget(line, plan.table)
                    raise
            for plan, version in zip([p for p in plans if p.table in commits],
                                     _commit_all(line, commits), strict=True):
                plan.version = version
            for plan in plans:
                dt = open_[plan.table]
                if dt is not None and (plan.state == "same" or plan.table in own):
                    info = plan.last if plan.state == "same" else plan.metadata(f, run)
                    _known[_version_key(dt, plan.uri)] = (plan.old_columns, info)
        finally:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
        for plan in plans:  # published: the next run's touched keys start afresh
            if TOUCHED + plan.table in present:
                forget_touched(con, catalog, plan.table)
        versions = {p.table: int(p.version or 0) for p in plans}
        changed = (before is None and bool(plans)) or (before is not None
                                                       and versions != before.tables)
        if changed:
            now_ms = now_ms or int(time.time() * 1000)
            runs.record(line, runs.Manifest(f, run, now_ms, versions))
            vacuum(line, [p.table for p in plans if p.state != "same"],
                   keep or Retention.from_env(), now_ms)
    tables_ = {p.table: {"rows": p.rows, "columns": p.columns, "version": versions[p.table]}
               for p in plans}
    return Published(changed, tables_)
