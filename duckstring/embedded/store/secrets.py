"""The `secrets` table: one row per secret name and scope — `pond` is a Pond name, or `*` for
every Pond — holding the value as a Fernet token (access/secrets.py), never in plain text."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

EVERY = "*"


@dataclass(frozen=True)
class SecretRow:
    name: str
    pond: str
    token: bytes
    set_at: int


def _row(r: sqlite3.Row) -> SecretRow:
    return SecretRow(r["name"], r["pond"], bytes(r["value"]), r["set_at"])


def put(conn: sqlite3.Connection, name: str, pond: str, token: bytes, at: int) -> None:
    conn.execute(
        "INSERT INTO secrets (name, pond, value, set_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (name, pond) DO UPDATE SET value = excluded.value, set_at = excluded.set_at",
        (name, pond, token, at),
    )


def remove(conn: sqlite3.Connection, name: str, ponds: list[str] | None) -> int:
    """Remove `name` for the given scopes (all of them when `ponds` is None); how many."""
    if ponds is None:
        return conn.execute("DELETE FROM secrets WHERE name = ?", (name,)).rowcount
    marks = ", ".join("?" for _ in ponds)
    return conn.execute(f"DELETE FROM secrets WHERE name = ? AND pond IN ({marks})",
                        (name, *ponds)).rowcount


def all_secrets(conn: sqlite3.Connection) -> list[SecretRow]:
    return [_row(r) for r in conn.execute("SELECT * FROM secrets ORDER BY name, pond")]


def for_pond(conn: sqlite3.Connection, pond: str) -> list[SecretRow]:
    """The rows that apply to `pond`: its own and the every-Pond ones."""
    return [_row(r) for r in conn.execute(
        "SELECT * FROM secrets WHERE pond IN (?, ?) ORDER BY name, pond", (pond, EVERY))]


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM secrets").fetchone()[0])
