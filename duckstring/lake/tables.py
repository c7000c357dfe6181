"""Open Delta tables, kept for the life of the process (docs/operating.md §4).

Opening a Delta table replays its log (milliseconds, growing with the versions since the last
checkpoint), so each process keeps one object per table at its newest version and brings it up
to date with the commits made since (`update_incremental`, a directory listing) instead of
opening it again. A line has one writer, which commits through the same object, so the object
follows its own commits too. Each refresh first checks the object is still the table at its
path (`_same_table`): a wiped and remade table starts its versions again.

`held` hands out the object exclusively (a per-table re-entrant lock): a reader on another
thread never sees it move between choosing a version and listing that version's files.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from typing import Any

from duckstring.lake.where import Line

_guard = threading.Lock()
_locks: dict[tuple[str, str], threading.RLock] = {}
_open: dict[tuple[str, str], Any] = {}
_depth: dict[tuple[str, str], int] = {}  # how deep the holding thread is (changed only by it)


def _key(line: Line, table: str) -> tuple[str, str]:
    return line.table(table), json.dumps(line.options(), sort_keys=True)


@contextlib.contextmanager
def held(line: Line, table: str) -> Iterator[Any]:
    """The table at its newest version (None when it is not a Delta table yet), exclusively."""
    key = _key(line, table)
    with _guard:
        lock = _locks.setdefault(key, threading.RLock())
    with lock:
        depth = _depth.get(key, 0)
        _depth[key] = depth + 1
        try:  # re-entered by its holder: already fresh
            yield _open.get(key) if depth else _refreshed(line, table, key)
        finally:
            _depth[key] = depth


def _refreshed(line: Line, table: str, key: tuple[str, str]) -> Any:
    from deltalake import DeltaTable

    uri, options = line.table(table), line.options()
    dt = _open.get(key)
    if dt is not None:
        try:
            if not _unmoved(dt, uri):
                dt.update_incremental()
            if _same_table(dt, uri, options):
                return dt
        except Exception:  # removed under us: open it afresh
            pass
        _open.pop(key, None)
    if not DeltaTable.is_deltatable(uri, storage_options=options):
        return None
    dt = DeltaTable(uri, storage_options=options)
    _open[key] = dt
    return dt


def _unmoved(dt: Any, uri: str) -> bool:
    """On local disk, whether no commit followed the kept version: one stat, where delta-rs'
    refresh lists and replays the log (milliseconds, growing with the commits since the last
    checkpoint). A table made again at its path has its version 0 anew, caught below."""
    import os

    return "://" not in uri and not os.path.exists(
        os.path.join(uri, "_delta_log", f"{int(dt.version()) + 1:020d}.json"))


def _same_table(dt: Any, uri: str, options: dict[str, str]) -> bool:
    """Whether the kept object is still the table at its path. One removed and made again
    there (`pond remove --wipe`, then a deploy) restarts its versions at 0, and catching up
    would serve the old table's files under the new numbers: the table's id, written by its
    first commit, tells them apart. A log whose first commit is gone (log retention) cannot
    be checked and is opened afresh."""
    from deltalake import DeltaTable

    try:
        if "://" not in uri:  # local disk: the first commit's metaData line, no log replay
            return bool(_first_id(uri) == dt.metadata().id)
        first = DeltaTable(uri, version=0, storage_options=options)
        return bool(first.metadata().id == dt.metadata().id)
    except Exception:
        return False


def _first_id(uri: str) -> str | None:
    import os

    with open(os.path.join(uri, "_delta_log", f"{0:020d}.json"), encoding="utf-8") as log:
        for line in log:
            if '"metaData"' in line:
                found = json.loads(line).get("metaData", {}).get("id")
                return str(found) if found is not None else None
    return None


def forget(line: Line, table: str) -> None:
    """Drop the kept object (after a failed commit, whose effect on it is unknown)."""
    _open.pop(_key(line, table), None)


def files(line: Line, table: str, version: int) -> list[str]:
    """The file URIs of `table` at `version`."""
    from deltalake import DeltaTable

    with held(line, table) as dt:
        if dt is not None and dt.version() == version:
            return list(dt.file_uris())
    return list(DeltaTable(line.table(table), version=version,
                           storage_options=line.options()).file_uris())


def dataset(line: Line, table: str, version: int) -> Any:
    """`table` at `version` as a pyarrow dataset (independent of the kept object once made)."""
    from deltalake import DeltaTable

    with held(line, table) as dt:
        if dt is not None and dt.version() == version:
            return dt.to_pyarrow_dataset()
    return DeltaTable(line.table(table), version=version,
                      storage_options=line.options()).to_pyarrow_dataset()
