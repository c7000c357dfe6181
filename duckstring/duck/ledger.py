"""The Duck's run ledger, `pond.db` (SQLite, WAL): what a Duck needs to survive its own death.

- `runs`: one row per Pond Run `F` the Catchment dispatched, with its status
  (`running` → `published` | `rejected`, or `failed` | `killed` | `stuck`) and, once it ends,
  the final event, so a re-dispatch of a finished run re-sends that event instead of re-running.
- `attempts`: one row per Ripple attempt; `attempt` counts from 1 per `(f, ripple)` and keeps
  counting across forced re-runs and restarts (events are idempotent on it).
- `checkpoints`: the `end_f` each Ripple reached under a version — resuming a run at `F` skips
  Ripples whose `end_f >= F`.
- `outbox`: events not yet acknowledged by the Catchment, in order.
- `handover`: jobs a Duck carries across its own re-exec (same pid), so none is lost.

The worker thread writes; the sender thread reads and deletes from the outbox through its own
connection. Every write commits at once (autocommit), so a crash loses nothing that was written.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duckstring import protocol
from duckstring.engine.freshness import NEVER

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    f               INTEGER PRIMARY KEY,
    version         TEXT    NOT NULL,
    retries         INTEGER NOT NULL,
    force           INTEGER NOT NULL,
    sources_changed INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    previous_f      INTEGER,
    skipped         INTEGER NOT NULL DEFAULT 0,
    begun_at        INTEGER NOT NULL,
    finished_at     INTEGER,
    result          TEXT
);
CREATE TABLE IF NOT EXISTS attempts (
    f           INTEGER NOT NULL,
    ripple      TEXT    NOT NULL,
    attempt     INTEGER NOT NULL,
    version     TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    error       TEXT,
    traceback   TEXT,
    log         TEXT,
    PRIMARY KEY (f, ripple, attempt)
);
CREATE TABLE IF NOT EXISTS checkpoints (
    ripple  TEXT    PRIMARY KEY,
    version TEXT    NOT NULL,
    end_f   INTEGER NOT NULL,
    at      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS handover (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, pid INTEGER NOT NULL, job TEXT NOT NULL
);
"""

RUNNING = "running"
PUBLISHED = "published"
REJECTED = "rejected"
FAILED = "failed"
KILLED = "killed"
STUCK = "stuck"
ENDED_WITH_EVENT = (PUBLISHED, REJECTED)  # a re-dispatch re-sends the stored event
LOST_ON_EXIT = "the Duck exited during the attempt"


@dataclass(frozen=True)
class RunRow:
    f: int
    version: str
    retries: int
    force: bool
    sources_changed: bool
    status: str
    previous_f: int | None
    skipped: bool
    begun_at: int
    finished_at: int | None
    result: dict[str, Any] | None


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across a process crash
    con.execute("PRAGMA busy_timeout=30000")
    return con


class Ledger:
    """The worker's view of `pond.db`. Not thread-safe: one instance per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.con = connect(path)
        self.con.executescript(_SCHEMA)
        self.con.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
        )

    def close(self) -> None:
        self.con.close()

    # -- start-up ------------------------------------------------------------------------------
    def recover(self, now: int) -> list[dict[str, Any]]:
        """A previous Duck died with attempts in flight: mark them lost and queue a
        `ripple_lost` event for each, so the history shows them failed with the reason. Runs
        stay `running` until re-dispatched (then they resume)."""
        with self.transaction():
            rows = self.con.execute(
                "SELECT f, ripple, attempt FROM attempts WHERE status = 'running'").fetchall()
            for f, ripple, attempt in rows:
                self.lose_attempt(f, ripple, attempt, now, LOST_ON_EXIT)
        return [{"f": f, "ripple": ripple, "attempt": attempt} for f, ripple, attempt in rows]

    def lose_attempt(self, f: int, ripple: str, attempt: int, now: int, reason: str) -> None:
        """An attempt the Duck can no longer finish: `lost` here, reported with the reason."""
        self.finish_attempt(f, ripple, attempt, "lost", now, error=reason)
        self.post({"type": protocol.RIPPLE_LOST, "f": f, "ripple": ripple, "attempt": attempt,
                   "at": now, "error": reason})

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Writes that must land together (an outcome, its checkpoint and its event)."""
        self.con.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    # -- runs ----------------------------------------------------------------------------------
    def run(self, f: int) -> RunRow | None:
        row = self.con.execute(
            "SELECT f, version, retries, force, sources_changed, status, previous_f, skipped, "
            "begun_at, finished_at, result FROM runs WHERE f = ?", (f,)
        ).fetchone()
        if row is None:
            return None
        return RunRow(row[0], row[1], row[2], bool(row[3]), bool(row[4]), row[5], row[6],
                      bool(row[7]), row[8], row[9], json.loads(row[10]) if row[10] else None)

    def begin_run(self, f: int, version: str, retries: int, force: bool,
                  sources_changed: bool, now: int) -> bool:
        """Record a dispatched run; True when it resumes one already under way at `F` (same
        version, not forced), whose Ripples' progress, `skip()` calls and `previous_f` still
        count. `previous_f` is fixed here, so retries and recovery see the same value."""
        old = self.run(f)
        resume = old is not None and old.status == RUNNING and old.version == version and not force
        if resume:
            self.con.execute(
                "UPDATE runs SET retries = ?, sources_changed = max(sources_changed, ?) "
                "WHERE f = ?", (retries, int(sources_changed), f)
            )
        else:
            self.con.execute(
                "INSERT OR REPLACE INTO runs (f, version, retries, force, sources_changed, status,"
                " previous_f, skipped, begun_at) VALUES (?, ?, ?, ?, ?, 'running', ?, 0, ?)",
                (f, version, retries, int(force), int(sources_changed), self.last_published(f),
                 now),
            )
        return resume

    def adopt_published(self, f: int, now: int) -> None:
        """Run `f`, published by this line's Duck somewhere else (duck/remote.py:rebuild): the
        next run's `previous_f` counts from it."""
        self.con.execute(
            "INSERT OR IGNORE INTO runs (f, version, retries, force, sources_changed, status, "
            "previous_f, skipped, begun_at, finished_at) "
            "VALUES (?, '', 0, 0, 0, 'published', NULL, 0, ?, ?)", (f, now, now))

    def mark_skipped(self, upto_f: int) -> None:
        """`pond.skip()` in a Ripple at `upto_f` covers every run it serves (F <= upto_f)."""
        self.con.execute(
            "UPDATE runs SET skipped = 1 WHERE status = 'running' AND f <= ?", (upto_f,)
        )

    def finish_run(self, f: int, status: str, now: int, result: dict[str, Any] | None = None) -> None:
        self.con.execute(
            "UPDATE runs SET status = ?, finished_at = ?, result = ? WHERE f = ?",
            (status, now, json.dumps(result) if result is not None else None, f),
        )

    def last_published(self, f: int) -> int | None:
        """F of the newest successful (published) run before `f`."""
        row = self.con.execute(
            "SELECT max(f) FROM runs WHERE status = 'published' AND f < ?", (f,)
        ).fetchone()
        return row[0]

    def previous_f(self, f: int) -> int | None:
        """`pond.previous_f` for a Ripple at `f`: fixed when run `f` was dispatched."""
        row = self.con.execute("SELECT previous_f FROM runs WHERE f = ?", (f,)).fetchone()
        return row[0] if row is not None else self.last_published(f)

    def sources_changed(self, upto_f: int) -> bool:
        """Whether any run a Ripple at `upto_f` serves saw its Sources change."""
        row = self.con.execute(
            "SELECT max(sources_changed) FROM runs WHERE status = 'running' AND f <= ?", (upto_f,)
        ).fetchone()
        return True if row[0] is None else bool(row[0])

    def kill_running(self, now: int) -> list[int]:
        fs = [r[0] for r in self.con.execute("SELECT f FROM runs WHERE status = 'running'")]
        self.con.execute(
            "UPDATE runs SET status = 'killed', finished_at = ? WHERE status = 'running'", (now,)
        )
        self.con.execute(
            "UPDATE attempts SET status = 'killed', finished_at = ?, error = 'killed' "
            "WHERE status = 'running'", (now,)
        )
        return fs

    # -- attempts ------------------------------------------------------------------------------
    def start_attempt(self, f: int, ripple: str, version: str, now: int) -> int:
        row = self.con.execute(
            "SELECT coalesce(max(attempt), 0) FROM attempts WHERE f = ? AND ripple = ?", (f, ripple)
        ).fetchone()
        attempt = int(row[0]) + 1
        self.con.execute(
            "INSERT INTO attempts (f, ripple, attempt, version, status, started_at) "
            "VALUES (?, ?, ?, ?, 'running', ?)", (f, ripple, attempt, version, now)
        )
        return attempt

    def finish_attempt(self, f: int, ripple: str, attempt: int, status: str, now: int, *,
                       error: str | None = None, traceback: str | None = None,
                       log: str | None = None) -> None:
        self.con.execute(
            "UPDATE attempts SET status = ?, finished_at = ?, error = ?, traceback = ?, log = ? "
            "WHERE f = ? AND ripple = ? AND attempt = ?",
            (status, now, error, traceback, log, f, ripple, attempt),
        )

    def attempts(self, f: int) -> list[dict[str, Any]]:
        cur = self.con.execute(
            "SELECT ripple, attempt, status, error FROM attempts WHERE f = ? "
            "ORDER BY started_at, ripple, attempt", (f,)
        )
        return [dict(zip(("ripple", "attempt", "status", "error"), r, strict=False)) for r in cur]

    # -- checkpoints ---------------------------------------------------------------------------
    def checkpoint(self, ripple: str, version: str, end_f: int, now: int) -> None:
        self.con.execute(
            "INSERT OR REPLACE INTO checkpoints (ripple, version, end_f, at) VALUES (?, ?, ?, ?)",
            (ripple, version, end_f, now),
        )

    def checkpoints(self, version: str) -> dict[str, int]:
        """Per-Ripple `end_f` reached under `version` (another version's progress never counts:
        new code re-runs)."""
        cur = self.con.execute("SELECT ripple, end_f FROM checkpoints WHERE version = ?", (version,))
        return dict(cur.fetchall())

    def reset_checkpoints(self) -> None:
        """A forced run re-runs every Ripple; a crash mid-way must not resume from before it."""
        self.con.execute("UPDATE checkpoints SET end_f = ?", (NEVER,))

    # -- outbox --------------------------------------------------------------------------------
    def post(self, event: dict[str, Any]) -> None:
        self.con.execute("INSERT INTO outbox (body) VALUES (?)", (json.dumps(event),))

    def pending(self, after: int = 0, limit: int = 500) -> list[tuple[int, dict[str, Any]]]:
        cur = self.con.execute(
            "SELECT seq, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)
        )
        return [(seq, json.loads(body)) for seq, body in cur]

    def acknowledge(self, upto: int) -> None:
        """Drop events the Catchment has committed (everything up to `upto`, in order)."""
        self.con.execute("DELETE FROM outbox WHERE seq <= ?", (upto,))

    def outbox_size(self, after: int = 0) -> int:
        return int(self.con.execute("SELECT count(*) FROM outbox WHERE seq > ?", (after,)).fetchone()[0])

    # -- handover across re-exec ---------------------------------------------------------------
    def hand_over(self, pid: int, jobs: list[dict[str, Any]]) -> None:
        with self.transaction():
            self.con.execute("DELETE FROM handover")
            self.con.executemany(
                "INSERT INTO handover (pid, job) VALUES (?, ?)", [(pid, json.dumps(j)) for j in jobs]
            )

    def take_handover(self, pid: int) -> list[dict[str, Any]]:
        """Jobs left by this very process before it re-exec'd; rows of another pid belong to a
        Duck that died, whose runs the Catchment has already failed or re-dispatched."""
        rows = self.con.execute(
            "SELECT pid, job FROM handover ORDER BY seq"
        ).fetchall()
        self.con.execute("DELETE FROM handover")
        return [json.loads(job) for p, job in rows if p == pid]
