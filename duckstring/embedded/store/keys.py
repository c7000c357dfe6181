"""The `keys` table: user API keys by name, each with its level, the SHA-256 digest of the key
(never the key), a short hint of its start to recognise it by, and when it was made, rotated
and last used (access/keys.py writes `last_used_at` in batches, not per request)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class KeyRow:
    name: str
    level: str
    digest: str
    hint: str
    created_at: int
    rotated_at: int | None
    last_used_at: int | None


def _row(r: sqlite3.Row) -> KeyRow:
    return KeyRow(r["name"], r["level"], r["digest"], r["hint"], r["created_at"],
                  r["rotated_at"], r["last_used_at"])


def all_keys(conn: sqlite3.Connection) -> list[KeyRow]:
    return [_row(r) for r in conn.execute("SELECT * FROM keys ORDER BY name")]


def get(conn: sqlite3.Connection, name: str) -> KeyRow | None:
    r = conn.execute("SELECT * FROM keys WHERE name = ?", (name,)).fetchone()
    return None if r is None else _row(r)


def add(conn: sqlite3.Connection, name: str, level: str, digest: str, hint: str,
        at: int) -> None:
    conn.execute(
        "INSERT INTO keys (name, level, digest, hint, created_at) VALUES (?, ?, ?, ?, ?)",
        (name, level, digest, hint, at),
    )


def rotate(conn: sqlite3.Connection, name: str, digest: str, hint: str, at: int) -> bool:
    cur = conn.execute(
        "UPDATE keys SET digest = ?, hint = ?, rotated_at = ? WHERE name = ?",
        (digest, hint, at, name),
    )
    return cur.rowcount > 0


def remove(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("DELETE FROM keys WHERE name = ?", (name,)).rowcount > 0


def touch(conn: sqlite3.Connection, used: dict[str, int]) -> None:
    """Record when each named key was last used (never moving a time backwards)."""
    conn.executemany(
        "UPDATE keys SET last_used_at = MAX(COALESCE(last_used_at, 0), ?) WHERE name = ?",
        [(at, name) for name, at in used.items()],
    )
