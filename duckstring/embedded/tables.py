"""A line's published tables: the Delta tables of its latest run, or of an older one
(docs/operating.md §4 and §8).

A table is published when the line's run manifest names it: half-written commits of a publish
that died, and anything else under `data/`, are not tables. Listing reads Delta metadata only,
never the data.
"""

from __future__ import annotations

import re
from typing import Any

from duckstring import times
from duckstring.layout import Layout
from duckstring.manifest import NAME as POND_NAME

TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


class TableNotFound(LookupError):
    """An unknown or unpublished table, or no such version (→ 404)."""


def snapshot(layout: Layout, name: str, major: int, *, as_of: int | None = None,
             version: int | None = None, table: str | None = None) -> Any:
    """The `lake.read.Snapshot` a reader asked for: the latest run, the newest run with
    freshness at or before `as_of` (ms), or the run that published `version` of `table`.
    None before the first run."""
    from duckstring.lake.read import snapshot as find
    from duckstring.lake.where import line

    _check_line(name, major)
    if version is not None:
        if table is None:
            raise TableNotFound("a version belongs to one table: name the table too")
        check_table(table)
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise TableNotFound(f"version {version!r} must be a whole number ≥ 0")
    found = find(line(layout, name, major), f=as_of, version=version, table=table)
    if found is None and (version is not None or as_of is not None):
        what = f"version {version} of {table!r}" if version is not None else "a run that early"
        raise TableNotFound(f"{name}@{major} has no {what} (retention may have removed it)")
    if found is not None and as_of is not None and found.manifest.f > as_of:
        raise TableNotFound(f"{name}@{major} has no run at or before {times.iso(as_of)}")
    if found is not None and (version is not None or as_of is not None):
        _check_retained(found, name, major)
    return found


def _check_retained(snap: Any, name: str, major: int) -> None:
    """An older run whose versions retention has vacuumed is gone, not half-readable."""
    import time

    from duckstring.lake import tables
    from duckstring.lake.retention import Retention, oldest_kept

    keep, now = Retention.from_env(), int(time.time() * 1000)
    for table, version in snap.tables.items():
        with tables.held(snap.line, table) as latest:
            gone = (latest is not None and version < latest.version()
                    and version < oldest_kept(latest, keep, now))
        if gone:
            raise TableNotFound(f"{name}@{major}: retention removed version {version} of {table!r} "
                           "(DUCKSTRING_RETENTION_DAYS / DUCKSTRING_RETENTION_VERSIONS)")


def check_table(table: Any) -> str:
    if not isinstance(table, str) or not TABLE.match(table):
        raise TableNotFound(f"{table!r} is not a table name; use letters, digits and _")
    return table


def datasets(snap: Any) -> dict[str, Any]:
    """`{table: pyarrow dataset}` of every table of the snapshot, sorted by name."""
    return {} if snap is None else {t: snap.dataset(t) for t in sorted(snap.tables)}


def dataset(snap: Any, name: str, major: int, table: str) -> Any:
    """One table of the snapshot; TableNotFound for anything else."""
    from duckstring.lake.read import Unpublished

    check_table(table)
    try:
        if snap is None:
            raise Unpublished(table)
        return snap.dataset(table)
    except Unpublished:
        raise TableNotFound(f"{name}@{major} has not published a table named {table!r}") from None


def _check_line(name: str, major: int) -> None:
    # Names reach paths and URLs; refuse anything that is not a Pond name before joining them.
    if not isinstance(name, str) or not POND_NAME.match(name):
        raise TableNotFound(f"{name!r} is not a Pond name")
    if not isinstance(major, int) or isinstance(major, bool) or major < 0:
        raise TableNotFound(f"{major!r} is not a major version")


def list_tables(layout: Layout, name: str, major: int) -> list[dict[str, Any]]:
    """Each table of the latest run with its version, row count, columns and size."""
    import duckdb
    import pyarrow as pa
    from deltalake import DeltaTable

    snap = snapshot(layout, name, major)
    if snap is None:
        return []
    out: list[dict[str, Any]] = []
    con = duckdb.connect(":memory:", config={"autoload_known_extensions": False})
    try:
        for table, version in sorted(snap.tables.items()):
            entry: dict[str, Any] = {
                "name": table, "version": version, "rows": None, "columns": [], "bytes": None,
                "modified": times.iso(snap.manifest.published_at),
            }
            try:
                dt = DeltaTable(snap.line.table(table), version=version,
                                storage_options=snap.line.options())
                adds = pa.table(dt.get_add_actions(flatten=True))
                entry["rows"] = int(sum(n or 0 for n in adds.column("num_records").to_pylist()))
                entry["bytes"] = int(sum(adds.column("size_bytes").to_pylist()))
                con.register("t", dt.to_pyarrow_dataset())
                entry["columns"] = [{"name": r[0], "type": r[1]}
                                    for r in con.execute("DESCRIBE t").fetchall()]
                con.unregister("t")
            except Exception as e:
                entry["error"] = str(e).splitlines()[0]
            out.append(entry)
    finally:
        con.close()
    return out


def history(layout: Layout, name: str, major: int) -> list[dict[str, Any]]:
    """Every published run of the line, newest first: freshness, run id and table versions."""
    from duckstring.lake.runs import manifests
    from duckstring.lake.where import line

    _check_line(name, major)
    return [{"freshness": times.iso(m.f), "f": m.f, "run": m.run,
             "published": times.iso(m.published_at), "tables": m.tables}
            for m in reversed(manifests(line(layout, name, major)))]
