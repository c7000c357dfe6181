"""The `meta` table: the Catchment's identity (a UUID minted on first start), its name, and
the internal Duck token (docs/operating.md §2: not a user key, so rotating keys never breaks Ducks)."""

from __future__ import annotations

import secrets
import sqlite3
import uuid


def get(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def put(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def ensure_identity(conn: sqlite3.Connection, default_name: str) -> tuple[str, str, str]:
    """`(id, name, duck_token)`, minting what is missing."""
    values = []
    for key, make in (
        ("id", lambda: str(uuid.uuid4())),
        ("name", lambda: default_name),
        ("duck_token", lambda: secrets.token_urlsafe(32)),
    ):
        value = get(conn, key)
        if value is None:
            value = make()
            put(conn, key, value)
        values.append(value)
    return values[0], values[1], values[2]
