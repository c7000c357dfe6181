"""Retention: how many old versions a line's tables keep (docs/operating.md §4).

Versions stay readable for `days` and, however old, the newest `versions` of each table stay
too; files only older versions need are vacuumed after each publish that changed something. A
reader asking for a vacuumed version gets a clear "retention removed it", and a Sink that fell
further behind gets a full read (`changes_complete` False).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from duckstring.env_settings import number, read, setting
from duckstring.lake.where import RUNS, Line

DAY_MS = 86_400_000
COMPACT_AT = 32  # run-manifest files before they are compacted into one
log = logging.getLogger("duckstring.lake")


@dataclass(frozen=True)
class Retention:
    """Each declared once: field, variable, default, parser (docs/operating.md §10)."""

    days: float = setting(7.0, "DUCKSTRING_RETENTION_DAYS", number(0.0))
    versions: int = setting(10, "DUCKSTRING_RETENTION_VERSIONS", number(1, whole=True))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Retention:
        return read(cls, env)


# {table uri: {version: commit time ms}} of the versions not yet vacuumed, read from the log
# once per process and then extended by the commits made since (so retention costs no log scan)
_stamps: dict[str, dict[int, int]] = {}
_vacuumed: dict[str, int] = {}  # {table uri: the floor it was last vacuumed to}
_lock = threading.RLock()


def _known(dt: Any, uri: str) -> dict[int, int]:
    newest = dt.version()
    known = _stamps.get(uri)
    if known and max(known) > newest:
        known = None  # the table was replaced: read its log again
    if not known:
        known = {int(h["version"]): int(h["timestamp"]) for h in dt.history()}
    elif newest > max(known):
        known.update({int(h["version"]): int(h["timestamp"])
                      for h in dt.history(newest - max(known))})
    _stamps[uri] = known
    return known


def oldest_kept(dt: Any, keep: Retention, now_ms: int) -> int:
    """The oldest version kept: every version of the last `days` is, and however old, the
    newest `versions`."""
    uri = dt.table_uri
    with _lock:
        known = _known(dt, uri)
        newest_first = sorted(known, reverse=True)
        since = now_ms - keep.days * DAY_MS
        if len(newest_first) >= keep.versions:
            since = min(since, known[newest_first[keep.versions - 1]])
        floor = min((v for v in newest_first if known[v] >= since), default=dt.version())
        for v in [v for v in known if v < floor]:
            del known[v]  # never kept again: retention only moves forward
        return floor


def vacuum(line: Line, tables: list[str], keep: Retention, now_ms: int) -> None:
    """Remove the files no kept version of `tables` (and the run manifests) needs: when the
    oldest kept version moved since the last vacuum in this process (and once per process, for
    files a crashed publish left)."""
    from duckstring.lake import tables as open_tables

    for table in [*tables, RUNS]:
        try:
            with open_tables.held(line, table) as dt:
                if dt is None:
                    continue
                compacted = False
                if table == RUNS and len(dt.file_uris()) > COMPACT_AT:
                    dt.optimize.compact()  # one small file per run: keep reading it cheap
                    dt.update_incremental()
                    compacted = True
                floor = oldest_kept(dt, keep, now_ms)
                if not compacted and _vacuumed.get(dt.table_uri) == floor:
                    continue
                dt.vacuum(retention_hours=0, keep_versions=list(range(floor, dt.version() + 1)),
                          dry_run=False, enforce_retention_duration=False)
                _vacuumed[dt.table_uri] = floor
        except Exception:  # retention is housekeeping: the run is published regardless
            open_tables.forget(line, table)
            log.exception("vacuuming %s failed", line.table(table))
