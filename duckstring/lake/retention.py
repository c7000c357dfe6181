"""Retention: how many old versions a line's tables keep (docs/operating.md §4).

Versions stay readable for `days` and, however old, the newest `versions` of each table stay
too; files only older versions need are vacuumed after each publish that changed something. A
reader asking for a vacuumed version gets a clear "retention removed it", and a Sink that fell
further behind gets a full read (`changes_complete` False).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from duckstring.lake.where import RUNS, Line

DAY_MS = 86_400_000
COMPACT_AT = 32  # run-manifest files before they are compacted into one
log = logging.getLogger("duckstring.lake")


@dataclass(frozen=True)
class Retention:
    days: float = 7.0
    versions: int = 10

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Retention:
        env = dict(os.environ if env is None else env)
        return cls(days=max(0.0, float(env.get("DUCKSTRING_RETENTION_DAYS", "7"))),
                   versions=max(1, int(env.get("DUCKSTRING_RETENTION_VERSIONS", "10"))))


def kept(dt: Any, keep: Retention, now_ms: int) -> list[int]:
    """The versions kept: those of the last `days`, and at least the newest `versions`."""
    history = dt.history()  # newest first
    since = now_ms - keep.days * DAY_MS
    if len(history) >= keep.versions:
        since = min(since, int(history[keep.versions - 1]["timestamp"]))
    return [int(h["version"]) for h in history if int(h["timestamp"]) >= since] or [dt.version()]


def vacuum(line: Line, tables: list[str], keep: Retention, now_ms: int) -> None:
    """Remove the files no kept version of `tables` (and the run manifests) needs."""
    from deltalake import DeltaTable

    for table in [*tables, RUNS]:
        try:
            dt = DeltaTable(line.table(table), storage_options=line.options())
            if table == RUNS and len(dt.file_uris()) > COMPACT_AT:
                dt.optimize.compact()  # one small file per run: keep reading it cheap
                dt = DeltaTable(line.table(table), storage_options=line.options())
            dt.vacuum(retention_hours=0, keep_versions=kept(dt, keep, now_ms), dry_run=False,
                      enforce_retention_duration=False)
        except Exception:  # retention is housekeeping: the run is published regardless
            log.exception("vacuuming %s failed", line.table(table))
