"""The `audit` table: who did what, when — every trigger, control verb, deploy, remove, key,
secret and alert change. `who` is a key's name, `open` (a Catchment without keys) or `local`
(the Catchment itself). `detail` is a small JSON object that never holds a secret: fields that
could carry one are refused here, the last place before disk."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from duckstring.embedded.store import newest

# a detail field with one of these names is a bug in the caller, not something to store
_FORBIDDEN = frozenset({"value", "key", "token", "password", "secret", "authorization"})


def record(conn: sqlite3.Connection, at: int, who: str, verb: str, pond: str | None = None,
           detail: dict[str, Any] | None = None) -> int:
    bad = sorted(_FORBIDDEN & _keys(detail))
    if bad:
        raise ValueError(f"audit detail must not carry {', '.join(bad)}")
    cur = conn.execute(
        "INSERT INTO audit (at, who, verb, pond, detail) VALUES (?, ?, ?, ?, ?)",
        (at, who, verb, pond,
         None if not detail else json.dumps(detail, separators=(",", ":"), sort_keys=True)),
    )
    return int(cur.lastrowid or 0)


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {str(k).lower() for k in value} | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, (list, tuple)):
        return {k for v in value for k in _keys(v)}
    return set()


def entries(conn: sqlite3.Connection, *, limit: int = 100, before: int | None = None,
            pond: str | None = None, who: str | None = None,
            verb: str | None = None) -> list[dict[str, Any]]:
    """Newest first; `before` is an entry id (the page after the last one seen)."""
    return [{"id": r["id"], "at": r["at"], "who": r["who"], "verb": r["verb"],
             "pond": r["pond"], "detail": json.loads(r["detail"]) if r["detail"] else {}}
            for r in newest(conn, "audit", {"pond": pond, "who": who, "verb": verb}, limit,
                            before=before)]


def prune(conn: sqlite3.Connection, before_at: int) -> int:
    """Drop entries older than `before_at` (retention); how many went."""
    return conn.execute("DELETE FROM audit WHERE at < ?", (before_at,)).rowcount
