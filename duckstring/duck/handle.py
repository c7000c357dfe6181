"""The `pond` handle a Ripple receives (docs/authoring.md), one per Ripple invocation.

Importing this module must stay cheap (it is re-exported from `duckstring`): duckdb is imported
only inside the methods that touch the registry.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

_NEVER_BELOW = -(1 << 61)  # anything this low is the engine's NEVER, not a real freshness


def to_datetime(ms: int | datetime | None) -> datetime | None:
    if ms is None or isinstance(ms, datetime):
        return ms
    if ms < _NEVER_BELOW:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


class PondHandle:
    """What a Ripple function is called with.

    | member | meaning |
    |---|---|
    | `name`, `version` | identity of the executing version |
    | `f`, `previous_f` | this run's freshness and the previous successful run's (UTC) |
    | `con` | a DuckDB connection to the line's registry (this invocation's own cursor) |
    | `read_table(t)` | own table `t`, or a Source's table with `"source.table"` (pinned to the run this one derives from) |
    | `write_table(t, data, key=None)` | atomically replace own table `t` (`key`: the columns identifying a row) |
    | `append_table`, `merge_table`, `delete_rows` | add rows, upsert by key, delete by a SQL predicate |
    | `read_changes(s)`, `changes_complete(s)` | a Source table's changes since this Pond's last run |
    | `apply_changes(t, changes, key)` | apply such a change feed to own table `t` |
    | `sources_changed()` | whether any Source's output changed since this Pond last ran |
    | `skip()` | declare that this run produced no change |
    | `log` | a logger whose lines land in this attempt's run history |
    """

    def __init__(
        self,
        *,
        name: str,
        version: str,
        f: int | datetime,
        con: duckdb.DuckDBPyConnection,
        previous_f: int | datetime | None = None,
        sources: Mapping[str, Path] | None = None,
        sources_changed: bool = True,
        log: logging.Logger | None = None,
        catalog: str | None = None,
        write_lock: threading.Lock | None = None,
    ) -> None:
        """`sources` maps each declared Source to its published line (`lake.where.Line`) or, for
        local Puddles, the directory of its `{table}.parquet` files; `write_lock` is shared by
        every handle of one registry."""
        self.name = name
        self._f_ms = f if isinstance(f, int) else None
        self._previous_f_ms = (previous_f if isinstance(previous_f, int)
                               and previous_f >= _NEVER_BELOW else None)
        self.version = version
        self.f: datetime = to_datetime(f)  # type: ignore[assignment]
        self.previous_f: datetime | None = to_datetime(previous_f)
        self.con = con
        self.log = log or logging.getLogger(f"duckstring.pond.{name}")
        self._sources = dict(sources or {})
        self._sources_changed = sources_changed
        self._catalog = catalog
        self._write_lock = write_lock or threading.Lock()
        self._skipped = False
        self._complete: dict[str, bool] = {}

    def __repr__(self) -> str:
        return f"<PondHandle {self.name} {self.version} f={self.f.isoformat() if self.f else None}>"

    # -- reading -------------------------------------------------------------------------------
    def read_table(self, table: str) -> duckdb.DuckDBPyRelation:
        """`"table"`: this Pond's own table, live from the registry. `"source.table"`: the
        Source's table as published by the run this one derives from (the same on every retry),
        also registered as a view named `table`."""
        from duckstring.duck.registry import check_table_name, literal, quote

        if not isinstance(table, str) or table.count(".") > 1:
            raise ValueError(f"read_table takes 'table' or 'source.table', not {table!r}")
        if "." not in table:
            check_table_name(table)
            return self.con.sql(f"SELECT * FROM {self._catalog_prefix()}main.{quote(table)}")
        source, name = self._source_table(table)
        check_table_name(name)
        where = self._sources[source]
        if isinstance(where, Path):  # local Puddles
            path = where / f"{name}.parquet"
            if not path.is_file():
                raise FileNotFoundError(
                    f"Source {source!r} has not published table {name!r} (no file at {path})")
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {quote(name)} AS "
                             f"SELECT * FROM read_parquet({literal(str(path))})")
        else:
            from duckstring.lake.read import register

            snap, version = self._pinned(source, name, self._f_ms)
            published = next(t for t in snap.tables if t.lower() == name.lower())
            register(self.con, name, where, published, version)
        return self.con.sql(f"SELECT * FROM {quote(name)}")

    def _pinned(self, source: str, table: str, f: int | None) -> tuple[Any, int]:
        """The Source's run this freshness derives from, and `table`'s version in it."""
        from duckstring.lake.read import Unpublished, snapshot

        where = self._sources[source]
        assert not isinstance(where, Path)
        snap = snapshot(where, f=f)
        try:
            if snap is None:
                raise Unpublished(table)
            return snap, snap.version(table)
        except Unpublished:
            raise FileNotFoundError(
                f"Source {source!r} has not published table {table!r}") from None

    def read_changes(self, table: str) -> duckdb.DuckDBPyRelation:
        """Every change Source table `"source.table"` published after the version this Pond
        read in its last successful run, up to the one this run reads: its columns plus
        `_change_type` (insert, update_preimage, update_postimage, delete) and
        `_commit_version`. On a first run, or when retention removed the versions in between,
        the whole table as inserts, and `changes_complete` says False."""
        from duckstring.duck.registry import check_table_name
        from duckstring.lake.read import changes

        source, name = self._source_table(table)
        check_table_name(name)
        where = self._sources[source]
        if isinstance(where, Path):  # local Puddles hold one snapshot: all of it is new
            rel = self.read_table(table)
            self._complete[table] = False
            return rel.select("*, 'insert' AS _change_type, 0::BIGINT AS _commit_version")
        upto = self._pinned(source, name, self._f_ms)[1]
        since = None
        if self._previous_f_ms is not None:
            with contextlib.suppress(FileNotFoundError):
                since = self._pinned(source, name, self._previous_f_ms)[1]
        feed, complete = changes(where, name, since, upto)
        self._complete[table] = complete
        if isinstance(feed, str):  # on local disk: SQL over the commits' own files
            return self.con.sql(feed)
        return self.con.from_arrow(feed)

    def changes_complete(self, table: str) -> bool:
        """Whether `read_changes(table)` returned every change since the last run (False on a
        first run or after retention: rebuild from it)."""
        if table not in self._complete:
            self.read_changes(table)
        return self._complete[table]

    def _source_table(self, table: str) -> tuple[str, str]:
        if not isinstance(table, str) or table.count(".") != 1:
            raise ValueError(f"a Source table is named 'source.table', not {table!r}")
        source, name = table.split(".")
        if source not in self._sources:
            declared = ", ".join(sorted(self._sources)) or "none"
            raise ValueError(
                f"{source!r} is not a Source of Pond {self.name!r} (declared: {declared}); "
                f"add it to [sources] in pond.toml")
        return source, name

    def _catalog_prefix(self) -> str:
        """Qualify own tables with the registry's catalog, so a Source view of the same name
        (a temp view, which DuckDB resolves first) never shadows them."""
        from duckstring.duck.registry import quote

        if self._catalog is None:
            self._catalog = str(self.con.execute("SELECT current_database()").fetchall()[0][0])
        return f"{quote(self._catalog)}."

    # -- writing -------------------------------------------------------------------------------
    def write_table(self, name: str, data: Any, key: list[str] | str | None = None) -> None:
        """Atomically replace this Pond's table `name` with `data` (a DuckDB relation, a
        pandas/polars DataFrame or a pyarrow Table). `key` names the columns identifying a row,
        so the publish records a changed row as an update. Concurrent writers queue and retry."""
        from duckstring.duck.registry import check_key, write_table

        write_table(self.con, self._own_catalog(), name, data, self._write_lock,
                    key=None if key is None else check_key(key))

    def append_table(self, name: str, data: Any) -> None:
        """Add `data`'s rows to own table `name` (created when missing)."""
        self._change(name, data, mode="append")

    def merge_table(self, name: str, data: Any, key: list[str] | str) -> None:
        """Upsert `data` into own table `name` by `key`: rows with a key already present replace
        it, the others are added."""
        from duckstring.duck.registry import check_key

        self._change(name, data, mode="merge", key=check_key(key))

    def delete_rows(self, name: str, where: str) -> None:
        """Delete the rows of own table `name` matching the SQL predicate `where`."""
        if not isinstance(where, str) or not where.strip():
            raise ValueError("delete_rows takes a SQL predicate, e.g. \"day < DATE '2024-01-01'\"")
        self._change(name, None, mode="delete", where=where)

    def apply_changes(self, name: str, changes: Any, key: list[str] | str) -> None:
        """Apply a change feed (from `read_changes`) to own table `name` by `key`: inserts and
        post-images upserted, deletes deleted, pre-images ignored, in commit order."""
        from duckstring.duck.registry import check_key

        self._change(name, changes, mode="apply", key=check_key(key))

    def _change(self, name: str, data: Any, **how: Any) -> None:
        from duckstring.duck.registry import change_rows

        change_rows(self.con, self._own_catalog(), name, data, self._write_lock, **how)

    def _own_catalog(self) -> str:
        self._catalog_prefix()
        assert self._catalog is not None
        return self._catalog

    # -- run facts -----------------------------------------------------------------------------
    def sources_changed(self) -> bool:
        """Whether any Source's output changed since this Pond last ran."""
        return self._sources_changed

    def skip(self) -> None:
        """Declare that this run produced no change: Sinks will pass instead of running."""
        self._skipped = True

    # -- the Duck's side -----------------------------------------------------------------------
    def _interrupt(self) -> None:
        with contextlib.suppress(Exception):  # already closed
            self.con.interrupt()

    def _close(self) -> None:
        with contextlib.suppress(Exception):
            self.con.close()
