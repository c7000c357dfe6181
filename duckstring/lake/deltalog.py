"""Delta commits the Duck writes itself on local disk: DuckDB writes the Parquet files and the
commit is one JSON file in `_delta_log/` (the Delta protocol's own format), made visible with
one hard link, which fails if another commit took the version (delta-rs' local store does the
same). delta-rs writes everything on object stores and any table whose protocol asks for more
than this module writes.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from typing import Any

import duckdb

from duckstring.duck.registry import literal, quote

# Legacy writer versions up to 4 (append-only, invariants, check constraints, change data feed,
# generated columns): our tables use none but the change feed, whose files we write.
_WRITER = 4
CHANGE_DIR = "_change_data"
# Delta's own default (delta-rs' is 100): reading a table, or refreshing a kept one, replays
# the commits since the last checkpoint, at 40 commits already 2 ms a refresh
CHECKPOINT_INTERVAL = 10


class Unsupported(Exception):
    """The table needs delta-rs to write it."""


def writable(dt: Any) -> bool:
    p = dt.protocol()
    config = dt.metadata().configuration
    return (p.min_writer_version <= _WRITER and not p.writer_features and not p.reader_features
            and config.get("delta.appendOnly") != "true" and not dt.metadata().partition_columns)


def write_files(con: duckdb.DuckDBPyConnection, select: str, folder: str, uri: str,
                columns: dict[str, str], file_bytes: int) -> list[tuple[str, int, str]]:
    """COPY `select` into Parquet files under `folder` (DuckDB's parallel writer, files in the
    rows' order so a key's neighbours share a file); answer (path relative to `uri`, size,
    Delta statistics as JSON) per file."""
    os.makedirs(folder, exist_ok=True)
    written = con.execute(
        f"COPY ({select}) TO {literal(folder)} (FORMAT parquet, FILE_SIZE_BYTES {file_bytes}, "
        f"RETURN_STATS, OVERWRITE_OR_IGNORE)").fetchall()
    return [(os.path.relpath(str(r[0]), uri).replace(os.sep, "/"), int(r[2]),
             json.dumps(file_stats(columns, int(r[1]), r[4] or {}))) for r in written if r[1]]


def write_change_file(con: duckdb.DuckDBPyConnection, select: str, uri: str) -> tuple[str, int]:
    name = f"{CHANGE_DIR}/cdc-{uuid.uuid4().hex}.parquet"
    os.makedirs(os.path.join(uri, CHANGE_DIR), exist_ok=True)
    path = os.path.join(uri, name)
    # row groups small enough that a reader's threads share even a small change set
    con.execute(f"COPY ({select}) TO {literal(path)} (FORMAT parquet, ROW_GROUP_SIZE 32768)")
    return name, os.path.getsize(path)


def append_row(dt: Any, uri: str, rows: Any, metadata: dict[str, str]) -> int:
    """Append a small pyarrow Table as one file (the run manifests' row per run): a few
    hundred microseconds where delta-rs' writer takes milliseconds."""
    import pyarrow.parquet as pq

    name = f"part-{uuid.uuid4().hex}.parquet"
    pq.write_table(rows, os.path.join(uri, name))
    stats = json.dumps({"numRecords": rows.num_rows})
    return commit(dt, uri, [(name, os.path.getsize(os.path.join(uri, name)), stats)], [], None,
                  metadata, "WRITE")


def commit(dt: Any, uri: str, added: list[tuple[str, int, str]], removed: list[tuple[str, int]],
           change_file: tuple[str, int] | None, metadata: dict[str, str], operation: str) -> int:
    """Commit the next version of `dt` (its kept object, brought up to it); answer the version."""
    version = int(dt.version()) + 1
    now = int(time.time() * 1000)
    actions: list[dict[str, Any]] = [{"commitInfo": {
        "timestamp": now, "operation": operation, "operationParameters": {},
        "readVersion": version - 1, "isBlindAppend": not removed,
        "clientVersion": "duckstring", **metadata}}]
    actions += [{"remove": {"path": p, "deletionTimestamp": now, "dataChange": True,
                            "extendedFileMetadata": True, "partitionValues": {}, "size": size}}
                for p, size in removed]
    actions += [{"add": {"path": p, "partitionValues": {}, "size": size,
                         "modificationTime": now, "dataChange": True, "stats": stats}}
                for p, size, stats in added]
    if change_file is not None:
        actions.append({"cdc": {"path": change_file[0], "partitionValues": {},
                                "size": change_file[1], "dataChange": False}})
    log = os.path.join(uri, "_delta_log")
    text = "\n".join(json.dumps(a, separators=(",", ":")) for a in actions) + "\n"
    final = os.path.join(log, f"{version:020d}.json")
    tmp = os.path.join(log, f"_commit_{uuid.uuid4().hex}.json.tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(text)
    try:
        os.link(tmp, final)  # fails if the version is taken
    except FileExistsError:
        raise
    except OSError:  # a filesystem without hard links: create it exclusively instead
        with open(final, "x", encoding="utf-8") as out:
            out.write(text)
    finally:
        os.unlink(tmp)
    dt.update_incremental()
    if version % CHECKPOINT_INTERVAL == 0:
        dt.create_checkpoint()
    return int(dt.version())


_INTEGER = re.compile(r"^(TINYINT|SMALLINT|INTEGER|BIGINT)$")


def file_stats(columns: dict[str, str], rows: int, duck: dict[str, dict[str, str]]) -> dict[str, Any]:
    """A file's Delta statistics from DuckDB's `RETURN_STATS`: the row count, null counts, and
    exact minimum/maximum of integer, floating, date and string columns (what readers and
    merges prune files by; other types are left out rather than risk a wrong bound)."""
    nulls: dict[str, int] = {}
    low: dict[str, Any] = {}
    high: dict[str, Any] = {}
    for col, typ in columns.items():
        st = duck.get(quote(col))
        if st is None or "null_count" not in st:
            continue
        nulls[col] = int(st["null_count"])
        if "min" not in st or "max" not in st or st.get("min_is_exact") != "true" \
                or st.get("max_is_exact") != "true":
            continue
        if _INTEGER.match(typ):
            low[col], high[col] = int(st["min"]), int(st["max"])
        elif typ in ("DOUBLE", "FLOAT") and st.get("has_nan") == "false":
            lo, hi = float(st["min"]), float(st["max"])
            if abs(lo) != float("inf") and abs(hi) != float("inf"):
                low[col], high[col] = lo, hi
        elif typ in ("DATE", "VARCHAR"):
            low[col], high[col] = st["min"], st["max"]
    return {"numRecords": rows, "minValues": low, "maxValues": high, "nullCount": nulls}
