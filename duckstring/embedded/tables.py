"""A line's published tables: `data/{table}.parquet` under its line directory (docs/operating.md §4).

Only regular files named `{identifier}.parquet` count: the Duck's write-then-rename leaves
temporary files beside them, and a link could point anywhere, so both are ignored. Listing reads
the Parquet footers only, never the data.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from duckstring import times
from duckstring.layout import Layout
from duckstring.manifest import NAME as POND_NAME

TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
SUFFIX = ".parquet"


class NotFound(LookupError):
    """An unknown or unpublished table (→ 404)."""


def published_tables(layout: Layout, name: str, major: int) -> dict[str, Path]:
    """`{table: path}` of every published table of `name@major`, sorted by name."""
    _check_line(name, major)
    try:
        entries = sorted(os.scandir(layout.data_dir(name, major)), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    found: dict[str, Path] = {}
    for entry in entries:
        stem = entry.name[: -len(SUFFIX)]
        if (
            entry.name.endswith(SUFFIX)
            and TABLE.match(stem)
            and entry.is_file(follow_symlinks=False)
            and stem.lower() not in (t.lower() for t in found)  # SQL names are case-blind
        ):
            found[stem] = Path(entry.path)
    return found


def table_path(layout: Layout, name: str, major: int, table: str) -> Path:
    """The published Parquet file of `table`; NotFound for anything else."""
    _check_line(name, major)
    if not isinstance(table, str) or not TABLE.match(table):
        raise NotFound(f"{table!r} is not a table name; use letters, digits and _")
    path = layout.table_file(name, major, table)
    if path.is_symlink() or not path.is_file():
        raise NotFound(f"{name}@{major} has not published a table named {table!r}")
    return path


def _check_line(name: str, major: int) -> None:
    # Names reach the filesystem; refuse anything that is not a Pond name before joining paths.
    if not isinstance(name, str) or not POND_NAME.match(name):
        raise NotFound(f"{name!r} is not a Pond name")
    if not isinstance(major, int) or isinstance(major, bool) or major < 0:
        raise NotFound(f"{major!r} is not a major version")


def list_tables(layout: Layout, name: str, major: int) -> list[dict[str, Any]]:
    """Each published table with its row count, columns, size and modification time."""
    import duckdb

    tables = published_tables(layout, name, major)
    if not tables:
        return []
    out: list[dict[str, Any]] = []
    con = duckdb.connect(":memory:", config={"autoload_known_extensions": False})
    try:
        for table, path in tables.items():
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # removed while we looked
            entry: dict[str, Any] = {
                "name": table, "rows": None, "columns": [], "bytes": stat.st_size,
                "modified": times.iso(int(stat.st_mtime * 1000)),
            }
            try:
                rows = con.execute(
                    "SELECT sum(num_rows) FROM parquet_file_metadata(?)", [str(path)]
                ).fetchall()[0][0]
                entry["rows"] = int(rows or 0)
                entry["columns"] = _columns(con, path)
            except duckdb.Error as e:  # a damaged file is listed, with why it cannot be read
                entry["error"] = str(e).splitlines()[0]
            out.append(entry)
    finally:
        con.close()
    return out


def _columns(con: Any, path: Path) -> list[dict[str, str]]:
    """Top-level columns with their DuckDB types, as a query would see them (footer only)."""
    rel = con.sql("SELECT * FROM read_parquet($path)", params={"path": str(path)})
    return [{"name": n, "type": str(t)} for n, t in zip(rel.columns, rel.types, strict=True)]
