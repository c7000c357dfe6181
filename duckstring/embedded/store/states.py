"""The `line_state` table: each line's engine state as JSON (engine/codec.py), written in the
same transaction as the history rows of the step that changed it."""

from __future__ import annotations

import json
import sqlite3
from typing import Any


def put(conn: sqlite3.Connection, line: str, state: dict[str, Any], at: int) -> None:
    conn.execute(
        "INSERT INTO line_state (line, state, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (line) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        (line, json.dumps(state, separators=(",", ":")), at),
    )


def delete(conn: sqlite3.Connection, line: str) -> None:
    conn.execute("DELETE FROM line_state WHERE line = ?", (line,))


def all_states(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [json.loads(r[0]) for r in conn.execute("SELECT state FROM line_state ORDER BY line")]
