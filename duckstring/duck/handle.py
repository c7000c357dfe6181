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
    | `read_table(t)` | own table `t`, or a Source's published snapshot with `"source.table"` |
    | `write_table(t, data)` | atomically replace own table `t` |
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
        """`sources` maps each declared Source to the directory holding its published
        `{table}.parquet` files; `write_lock` is shared by every handle of one registry."""
        self.name = name
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

    def __repr__(self) -> str:
        return f"<PondHandle {self.name} {self.version} f={self.f.isoformat() if self.f else None}>"

    # -- reading -------------------------------------------------------------------------------
    def read_table(self, table: str) -> duckdb.DuckDBPyRelation:
        """`"table"`: this Pond's own table, live from the registry. `"source.table"`: the
        Source's published snapshot, also registered as a view named `table`."""
        from duckstring.duck.registry import check_table_name, literal, quote

        if not isinstance(table, str) or table.count(".") > 1:
            raise ValueError(f"read_table takes 'table' or 'source.table', not {table!r}")
        if "." not in table:
            check_table_name(table)
            return self.con.sql(f"SELECT * FROM {self._catalog_prefix()}main.{quote(table)}")
        source, name = table.split(".")
        if source not in self._sources:
            declared = ", ".join(sorted(self._sources)) or "none"
            raise ValueError(
                f"{source!r} is not a Source of Pond {self.name!r} (declared: {declared}); "
                f"add it to [sources] in pond.toml"
            )
        check_table_name(name)
        path = self._sources[source] / f"{name}.parquet"
        if not path.is_file():
            raise FileNotFoundError(
                f"Source {source!r} has not published table {name!r} (no file at {path})"
            )
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {quote(name)} AS "
            f"SELECT * FROM read_parquet({literal(str(path))})"
        )
        return self.con.sql(f"SELECT * FROM {quote(name)}")

    def _catalog_prefix(self) -> str:
        """Qualify own tables with the registry's catalog, so a Source view of the same name
        (a temp view, which DuckDB resolves first) never shadows them."""
        from duckstring.duck.registry import quote

        if self._catalog is None:
            self._catalog = str(self.con.execute("SELECT current_database()").fetchall()[0][0])
        return f"{quote(self._catalog)}."

    # -- writing -------------------------------------------------------------------------------
    def write_table(self, name: str, data: Any) -> None:
        """Atomically replace this Pond's table `name` with `data` (a DuckDB relation, a
        pandas/polars DataFrame or a pyarrow Table). Concurrent writers queue and retry."""
        from duckstring.duck.registry import write_table

        self._catalog_prefix()
        assert self._catalog is not None
        write_table(self.con, self._catalog, name, data, self._write_lock)

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
