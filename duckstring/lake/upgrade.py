"""Migration 6: a root made before Delta tables kept each published table as one
`ponds/{name}/m{major}/data/{table}.parquet`; each becomes version 0 of its Delta table, and one
run manifest per line makes them visible (docs/operating.md §4). Idempotent: a table already
converted is skipped, so a migration interrupted half-way completes on the next start."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from duckstring.layout import Layout

_LINE = re.compile(r"^m(\d+)$")
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def parquet_to_delta(_conn: sqlite3.Connection, root: Path) -> None:
    layout = Layout(root)
    if not layout.ponds.is_dir():
        return
    for data in sorted(layout.ponds.glob("*/m*/data")):
        m = _LINE.match(data.parent.name)
        if m and data.is_dir():
            convert_line(data, f"{data.parent.parent.name}@{m.group(1)}")


def convert_line(data: Path, line_id: str) -> None:
    import pyarrow.parquet as pq
    from deltalake import CommitProperties, DeltaTable, write_deltalake

    from duckstring.lake import runs
    from duckstring.lake.publish import CONFIG
    from duckstring.lake.where import Line

    files = [p for p in sorted(data.glob("*.parquet"))
             if _TABLE.match(p.stem) and p.is_file() and not p.is_symlink()]
    if not files:
        return
    line = Line(str(data))
    at = max(int(p.stat().st_mtime * 1000) for p in files)
    for p in files:
        uri = line.table(p.stem)
        if not DeltaTable.is_deltatable(uri):
            write_deltalake(uri, pq.read_table(p), mode="overwrite", configuration=CONFIG,
                            commit_properties=CommitProperties(custom_metadata={
                                "duckstring.f": str(at), "duckstring.run": f"{line_id}@upgrade"}))
    if runs.latest(line) is None:
        runs.record(line, runs.Manifest(at, f"{line_id}@upgrade", at, {p.stem: 0 for p in files}))
    for p in files:
        p.unlink()
    for stray in data.glob(".*.parquet.*.tmp"):  # a pre-Delta publish that died half-way
        stray.unlink()
