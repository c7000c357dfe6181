"""Reading a line's Delta tables: pinned to a run, to a version or to a time, and change feeds
(docs/authoring.md §5, docs/operating.md §8).

Tables are handed to DuckDB as Arrow datasets (never paths), so the same code reads local disk
and object stores, and a sandboxed query needs no file access at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from duckstring.lake import runs
from duckstring.lake.where import Line

CHANGE_TYPE, COMMIT_VERSION = "_change_type", "_commit_version"


class Unpublished(LookupError):
    """No such table in the chosen run (or no run yet)."""


@dataclass(frozen=True)
class Snapshot:
    """The tables of one published run: `{table: Delta version}`."""

    line: Line
    manifest: runs.Manifest

    @property
    def tables(self) -> dict[str, int]:
        return self.manifest.tables

    def version(self, table: str) -> int:
        found = _match(self.tables, table)
        if found is None:
            raise Unpublished(table)
        return self.tables[found]

    def dataset(self, table: str) -> Any:
        return dataset(self.line, _match(self.tables, table) or table, self.version(table))


def _match(tables: dict[str, int], table: str) -> str | None:
    """SQL names are case-blind."""
    return next((t for t in tables if t.lower() == table.lower()), None)


def dataset(line: Line, table: str, version: int) -> Any:
    from duckstring.lake import tables

    return tables.dataset(line, table, version)


def register(con: Any, view: str, line: Line, table: str, version: int) -> None:
    """Make `table` at `version` visible to `con` as `view`. On local disk DuckDB reads the
    version's Parquet files itself (many times faster than an Arrow dataset scan); on an object
    store, where DuckDB would need an extension, through the Arrow dataset."""
    from duckstring.lake import tables

    files = tables.files(line, table, version) if line.local else []
    name = '"' + view.replace('"', '""') + '"'
    if files:
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS "
                    f"SELECT * FROM read_parquet([{listed}], union_by_name = true)")
    else:
        con.execute(f"DROP VIEW IF EXISTS temp.main.{name}")
        con.register(view, tables.dataset(line, table, version))


def unregister(con: Any, view: str) -> None:
    import contextlib

    name = '"' + view.replace('"', '""') + '"'
    with contextlib.suppress(Exception):
        con.unregister(view)
    with contextlib.suppress(Exception):
        con.execute(f"DROP VIEW IF EXISTS temp.main.{name}")


def snapshot(line: Line, *, f: int | None = None, version: int | None = None,
             table: str | None = None) -> Snapshot | None:
    """The run a reader at freshness `f` sees (the newest without), or with `version` the
    newest run whose `table` had that version."""
    if version is None:
        found = runs.pinned(line, f)
        return None if found is None else Snapshot(line, found)
    for m in reversed(runs.manifests(line)):
        name = _match(m.tables, table or "")
        if name is not None and m.tables[name] == version:
            return Snapshot(line, m)
    return None


def changes(line: Line, table: str, since: int | None, upto: int) -> tuple[Any, bool]:
    """(every change after version `since` up to `upto`, complete): on local disk a DuckDB
    query over the commits' files (`_feed_sql`), else a pyarrow Table. With no `since`, or when
    retention removed the versions in between, the whole table at `upto` as inserts and
    complete False."""
    import time

    import pyarrow as pa

    from duckstring.lake import tables
    from duckstring.lake.retention import Retention, oldest_kept

    if since is not None and since >= upto:
        empty = tables.dataset(line, table, upto).schema.empty_table()
        return _with_meta(empty, "insert", upto).slice(0, 0), True
    with tables.held(line, table) as latest:
        if since is not None and since + 1 < oldest_kept(latest, Retention.from_env(),
                                                         int(time.time() * 1000)):
            since = None  # retention removed versions in between: a full read
        if since is not None and line.local:
            sql = _feed_sql(line.table(table), since + 1, upto)
            if sql is not None:
                return sql, True
        if since is not None:
            try:
                feed = pa.table(latest.load_cdf(starting_version=since + 1, ending_version=upto))
                feed = feed.drop_columns([c for c in ("_commit_timestamp",)
                                          if c in feed.column_names])
                return feed.cast(_feed_schema(feed)), True
            except Exception:
                pass
    return _with_meta(tables.dataset(line, table, upto).to_table(), "insert", upto), False


def _with_meta(table: Any, change: str, version: int) -> Any:
    import pyarrow as pa

    n = table.num_rows
    table = table.append_column(CHANGE_TYPE, pa.array([change] * n, pa.string()))
    return table.append_column(COMMIT_VERSION, pa.array([version] * n, pa.int64()))


def _feed_schema(feed: Any) -> Any:
    import pyarrow as pa

    fields = [pa.field(COMMIT_VERSION, pa.int64()) if f.name == COMMIT_VERSION else f
              for f in feed.schema]
    return pa.schema(fields)


def _feed_sql(uri: str, first: int, last: int) -> str | None:
    """The change feed of versions `first`..`last` read straight from the commits' files, the
    way the Delta protocol defines it: a commit's change-data files when it has them, else its
    added files as inserts and removed files as deletes. None when a commit changed the
    schema or a file is gone (delta-rs, or a full read, answers then)."""
    import json
    import os
    from urllib.parse import unquote

    parts: list[str] = []
    for version in range(first, last + 1):
        try:
            with open(os.path.join(uri, "_delta_log", f"{version:020d}.json"), encoding="utf-8") as log:
                actions = [json.loads(x) for x in log if x.strip()]
        except (OSError, ValueError):
            return None
        if any("metaData" in a for a in actions):
            return None
        cdc = [a["cdc"]["path"] for a in actions if "cdc" in a]
        groups = [(cdc, None)] if cdc else [
            ([a["add"]["path"] for a in actions if "add" in a and a["add"].get("dataChange")], "insert"),
            ([a["remove"]["path"] for a in actions
              if "remove" in a and a["remove"].get("dataChange")], "delete")]
        for paths, kind in groups:
            files = [os.path.join(uri, unquote(p)) for p in paths]
            if not files:
                continue
            if not all(os.path.isfile(f) for f in files):
                return None
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            change = "" if kind is None else f", '{kind}' AS {CHANGE_TYPE}"
            parts.append(f"SELECT *{change}, {version}::BIGINT AS {COMMIT_VERSION} "
                         f"FROM read_parquet([{listed}])")
    if not parts:
        return None  # nothing to read: delta-rs answers the empty feed with the table's columns
    return " UNION ALL BY NAME ".join(parts)
