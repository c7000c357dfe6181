"""Numbered schema migrations for duck.db; `PRAGMA user_version` counts those applied.
Append new ones; never edit one that has shipped."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path


def _parquet_to_delta(conn: sqlite3.Connection, root: Path) -> None:
    from duckstring.lake.upgrade import parquet_to_delta  # deltalake only when migrating

    parquet_to_delta(conn, root)


# A script, or a step on the root's files: `step(conn, root)` inside the migration's transaction.
MIGRATIONS: list[str | Callable[[sqlite3.Connection, Path], None]] = [
    # 1: identity, versions and selection, engine state, run history
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE versions (
        name        TEXT NOT NULL,
        version     TEXT NOT NULL,
        major       INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        manifest    TEXT NOT NULL,
        ripples     TEXT NOT NULL,
        sources     TEXT NOT NULL,
        path        TEXT NOT NULL,
        deployed_at INTEGER NOT NULL,
        PRIMARY KEY (name, version)
    );
    CREATE TABLE lines (
        name        TEXT NOT NULL,
        major       INTEGER NOT NULL,
        version     TEXT NOT NULL,
        selected_at INTEGER NOT NULL,
        PRIMARY KEY (name, major)
    );
    CREATE TABLE line_state (
        line       TEXT PRIMARY KEY,
        state      TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE runs (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        line        TEXT NOT NULL,
        name        TEXT NOT NULL,
        major       INTEGER NOT NULL,
        version     TEXT,
        f           INTEGER NOT NULL,
        executed    INTEGER NOT NULL,
        status      TEXT NOT NULL,
        started_at  INTEGER NOT NULL,
        finished_at INTEGER,
        changed     INTEGER,
        error       TEXT,
        traceback   TEXT
    );
    CREATE INDEX runs_by_line ON runs (line, f, id);
    CREATE INDEX runs_by_status ON runs (status, id);
    CREATE TABLE attempts (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id      INTEGER REFERENCES runs (id),
        line        TEXT NOT NULL,
        f           INTEGER NOT NULL,
        ripple      TEXT NOT NULL,
        attempt     INTEGER NOT NULL,
        status      TEXT NOT NULL,
        started_at  INTEGER,
        finished_at INTEGER,
        error       TEXT,
        traceback   TEXT,
        log         TEXT,
        UNIQUE (line, f, ripple, attempt)
    );
    CREATE INDEX attempts_by_run ON attempts (run_id)
    """,
    # 2: each deployed artifact's content digest (a replaced version is new code)
    """
    ALTER TABLE versions ADD COLUMN digest TEXT NOT NULL DEFAULT ''
    """,
    # 3: consecutive passes of a line collapse into one row (its count and first F; started_at
    # is the first pass, finished_at the last), and history is read per line, newest first
    """
    ALTER TABLE runs ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE runs ADD COLUMN first_f INTEGER;
    CREATE INDEX runs_by_line_id ON runs (line, id)
    """,
    # 4: team operations (issue 13) — keys by level (hashed), secrets (Fernet tokens), alert
    # rules with their root-cause memory, the alert outbox and its delivery log, the audit trail
    """
    CREATE TABLE keys (
        name         TEXT PRIMARY KEY,
        level        TEXT NOT NULL,
        digest       TEXT NOT NULL UNIQUE,
        hint         TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        rotated_at   INTEGER,
        last_used_at INTEGER
    );
    CREATE TABLE secrets (
        name   TEXT NOT NULL,
        pond   TEXT NOT NULL,
        value  BLOB NOT NULL,
        set_at INTEGER NOT NULL,
        PRIMARY KEY (name, pond)
    );
    CREATE TABLE alert_rules (
        name        TEXT PRIMARY KEY,
        events      TEXT NOT NULL,
        ponds       TEXT NOT NULL,
        stale_ms    INTEGER,
        renotify_ms INTEGER,
        target      TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        memory      TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE alert_outbox (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        rule        TEXT NOT NULL,
        target      TEXT NOT NULL,
        kind        TEXT NOT NULL,
        pond        TEXT,
        payload     TEXT NOT NULL,
        status      TEXT NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        created_at  INTEGER NOT NULL,
        next_at     INTEGER NOT NULL,
        finished_at INTEGER
    );
    CREATE INDEX alert_outbox_due ON alert_outbox (status, next_at);
    CREATE TABLE alert_deliveries (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        outbox_id   INTEGER NOT NULL REFERENCES alert_outbox (id) ON DELETE CASCADE,
        attempt     INTEGER NOT NULL,
        at          INTEGER NOT NULL,
        ok          INTEGER NOT NULL,
        detail      TEXT,
        duration_ms INTEGER
    );
    CREATE INDEX alert_deliveries_by_outbox ON alert_deliveries (outbox_id, attempt);
    CREATE TABLE audit (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        at     INTEGER NOT NULL,
        who    TEXT NOT NULL,
        verb   TEXT NOT NULL,
        pond   TEXT,
        detail TEXT
    );
    CREATE INDEX audit_by_at ON audit (at)
    """,
    # 5: a dry-run's prediction of when a run would finish, kept on the next real run of its
    # target (docs/concepts.md §14), so history says how close it was
    """
    ALTER TABLE runs ADD COLUMN predicted_at INTEGER
    """,
    # 6: published tables become Delta tables: each data/{table}.parquet is version 0 (issue 11)
    _parquet_to_delta,
    # 7: where each Pond's Ducks run (issue 12): a launcher overriding the Catchment's, and the
    # resources its Duck asks the launcher for; absent = the Catchment's launcher, no resources
    """
    CREATE TABLE placements (
        pond      TEXT PRIMARY KEY,
        launcher  TEXT,
        cpus      REAL,
        memory_mb INTEGER,
        resources TEXT NOT NULL DEFAULT '{}',
        set_at    INTEGER NOT NULL
    )
    """,
    # 8: where the Duck that ran a run ran (launcher, node), recorded when the run ends
    """
    ALTER TABLE runs ADD COLUMN launcher TEXT;
    ALTER TABLE runs ADD COLUMN node TEXT
    """,
]
