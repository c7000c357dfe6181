"""Run manifests: a small Delta table per line, one row per published run (docs/operating.md §4).

A row holds the run's freshness `f`, its id and `{table: version}` of every table of the run.
Table commits come first and the manifest row last, so a reader that resolves tables through a
manifest sees all tables of one run or of the previous one, never a mix: a publish that dies
between its table commits and its manifest leaves the previous run visible.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from duckstring.lake import deltalog, tables
from duckstring.lake.where import RUNS, Line

# {runs table: (its version, manifests)}: a reader re-reads the table only once it moved
_read: dict[str, tuple[int, list[Manifest]]] = {}
_read_lock = threading.Lock()


@dataclass(frozen=True)
class Manifest:
    f: int
    run: str
    published_at: int
    tables: dict[str, int] = field(default_factory=dict)  # {table: Delta version}


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema([("f", pa.int64()), ("run", pa.string()), ("published_at", pa.int64()),
                      ("tables", pa.string())])


def record(line: Line, manifest: Manifest) -> None:
    import pyarrow as pa
    from deltalake import CommitProperties, write_deltalake

    row = pa.table({"f": [manifest.f], "run": [manifest.run],
                    "published_at": [manifest.published_at],
                    "tables": [json.dumps(manifest.tables, sort_keys=True)]}, schema=_schema())
    metadata = {"duckstring.f": str(manifest.f), "duckstring.run": manifest.run}
    with tables.held(line, RUNS) as dt:
        before = None if dt is None else dt.version()
        try:
            if dt is not None and line.local and deltalog.writable(dt):
                deltalog.append_row(dt, line.runs, row, metadata)
            else:
                write_deltalake(line.runs if dt is None else dt, row, mode="append",
                                storage_options=line.options(),
                                commit_properties=CommitProperties(custom_metadata=metadata))
        except BaseException:
            tables.forget(line, RUNS)
            raise
        if dt is not None:  # the writer knows what it added: spare it reading the table again
            with _read_lock:
                cached = _read.get(line.runs)
                if cached is not None and cached[0] == before and dt.version() == before + 1:
                    _read[line.runs] = (dt.version(), sorted(
                        [*cached[1], manifest], key=lambda m: (m.f, m.published_at)))


def manifests(line: Line) -> list[Manifest]:
    """Every published run of the line, oldest first; [] before the first."""
    with tables.held(line, RUNS) as dt:
        if dt is None:
            return []
        version = dt.version()
        with _read_lock:
            cached = _read.get(line.runs)
        if cached is not None and cached[0] == version:
            return list(cached[1])
        rows = dt.to_pyarrow_dataset().to_table().to_pylist()
    found = sorted((Manifest(int(r["f"]), str(r["run"]), int(r["published_at"]),
                             {str(k): int(v) for k, v in json.loads(r["tables"]).items()})
                    for r in rows), key=lambda m: (m.f, m.published_at))
    with _read_lock:
        _read[line.runs] = (version, found)
    return list(found)


def latest(line: Line) -> Manifest | None:
    found = manifests(line)
    return found[-1] if found else None


def pinned(line: Line, f: int | None) -> Manifest | None:
    """The run a reader at freshness `f` derives from: the newest published at or before `f`
    (the same answer on every retry, since a line only publishes later runs). With `f` None, or
    before the first run at or before `f`, the newest."""
    found = manifests(line)
    if not found:
        return None
    if f is not None:
        before = [m for m in found if m.f <= f]
        if before:
            return before[-1]
    return found[-1]
