"""Alert tables: `alert_rules` (each rule with its root-cause memory, alerts/rules.py),
`alert_outbox` (one row per alert to deliver: `pending` until `sent`, `failed` once out of
tries or refused for good, `cancelled` when its rule is removed) and `alert_deliveries` (every
attempt, with what happened). The outbox is written in the same transaction as the memory that
decided it, so an alert is neither lost nor doubled across a restart."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from duckstring.embedded.alerts.rules import Memory, Rule
from duckstring.embedded.store import newest

PENDING, SENT, FAILED, CANCELLED = "pending", "sent", "failed", "cancelled"


# -- rules ---------------------------------------------------------------------------------
def _rule(r: sqlite3.Row) -> Rule:
    return Rule(r["name"], frozenset(json.loads(r["events"])), r["target"],
                tuple(json.loads(r["ponds"])), r["stale_ms"], r["renotify_ms"])


def add_rule(conn: sqlite3.Connection, rule: Rule, at: int) -> None:
    conn.execute(
        "INSERT INTO alert_rules (name, events, ponds, stale_ms, renotify_ms, target, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (rule.name, json.dumps(sorted(rule.on)), json.dumps(list(rule.ponds)), rule.stale_ms,
         rule.renotify_ms, rule.target, at),
    )


def get_rule(conn: sqlite3.Connection, name: str) -> Rule | None:
    r = conn.execute("SELECT * FROM alert_rules WHERE name = ?", (name,)).fetchone()
    return None if r is None else _rule(r)


def rules(conn: sqlite3.Connection) -> list[tuple[Rule, int, Memory]]:
    """Every rule with when it was made and its memory."""
    return [(_rule(r), r["created_at"], json.loads(r["memory"]))
            for r in conn.execute("SELECT * FROM alert_rules ORDER BY name")]


def any_rule(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM alert_rules LIMIT 1").fetchone() is not None


def remember(conn: sqlite3.Connection, name: str, memory: Memory) -> None:
    conn.execute("UPDATE alert_rules SET memory = ? WHERE name = ?",
                 (json.dumps(memory, separators=(",", ":"), sort_keys=True), name))


def remove_rule(conn: sqlite3.Connection, name: str, at: int) -> bool:
    """Remove a rule; its pending deliveries are cancelled (their log stays)."""
    if conn.execute("DELETE FROM alert_rules WHERE name = ?", (name,)).rowcount == 0:
        return False
    conn.execute("UPDATE alert_outbox SET status = ?, finished_at = ? "
                 "WHERE rule = ? AND status = ?", (CANCELLED, at, name, PENDING))
    return True


# -- outbox --------------------------------------------------------------------------------
def enqueue(conn: sqlite3.Connection, rule: str, target: str, kind: str, pond: str | None,
            payload: dict[str, Any], at: int) -> int:
    cur = conn.execute(
        "INSERT INTO alert_outbox (rule, target, kind, pond, payload, status, created_at, "
        "next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (rule, target, kind, pond, json.dumps(payload, separators=(",", ":")), PENDING, at, at),
    )
    return int(cur.lastrowid or 0)


def due(conn: sqlite3.Connection, now: int, busy: set[str]) -> list[dict[str, Any]]:
    """The oldest due alert of each target not `busy` (one at a time per target), oldest
    first: a target with a long backlog never holds up the others."""
    rows = conn.execute(
        "SELECT * FROM alert_outbox WHERE id IN (SELECT MIN(id) FROM alert_outbox "
        "WHERE status = ? AND next_at <= ? GROUP BY target) ORDER BY next_at, id",
        (PENDING, now)).fetchall()
    return [dict(r) | {"payload": json.loads(r["payload"])} for r in rows
            if r["target"] not in busy]


def next_due(conn: sqlite3.Connection) -> int | None:
    r = conn.execute("SELECT MIN(next_at) FROM alert_outbox WHERE status = ?",
                     (PENDING,)).fetchone()
    return None if r[0] is None else int(r[0])


def attempted(conn: sqlite3.Connection, outbox_id: int, at: int, ok: bool, detail: str,
              duration_ms: int, *, retry_at: int | None) -> None:
    """Log one attempt and move the row on: sent, retried at `retry_at`, or failed (None)."""
    row = conn.execute("SELECT attempts, status FROM alert_outbox WHERE id = ?",
                       (outbox_id,)).fetchone()
    if row is None:
        return
    attempt = int(row["attempts"]) + 1
    conn.execute(
        "INSERT INTO alert_deliveries (outbox_id, attempt, at, ok, detail, duration_ms) "
        "VALUES (?, ?, ?, ?, ?, ?)", (outbox_id, attempt, at, int(ok), detail, duration_ms))
    if row["status"] != PENDING:  # cancelled while in flight: keep it so
        conn.execute("UPDATE alert_outbox SET attempts = ? WHERE id = ?", (attempt, outbox_id))
    elif ok or retry_at is None:
        conn.execute("UPDATE alert_outbox SET attempts = ?, status = ?, finished_at = ? "
                     "WHERE id = ?", (attempt, SENT if ok else FAILED, at, outbox_id))
    else:
        conn.execute("UPDATE alert_outbox SET attempts = ?, next_at = ? WHERE id = ?",
                     (attempt, retry_at, outbox_id))


def log(conn: sqlite3.Connection, *, limit: int = 100, rule: str | None = None,
        status: str | None = None) -> list[dict[str, Any]]:
    """Newest first: each alert with its delivery attempts."""
    rows = [dict(r) | {"payload": json.loads(r["payload"])}
            for r in newest(conn, "alert_outbox", {"rule": rule, "status": status}, limit)]
    if rows:
        ids = [r["id"] for r in rows]
        tries: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        for a in conn.execute(
            f"SELECT * FROM alert_deliveries WHERE outbox_id IN ({', '.join('?' for _ in ids)}) "
            "ORDER BY attempt", ids):
            tries[a["outbox_id"]].append({"attempt": a["attempt"], "at": a["at"],
                                          "ok": bool(a["ok"]), "detail": a["detail"],
                                          "duration_ms": a["duration_ms"]})
        for r in rows:
            r["deliveries"] = tries[r["id"]]
    return rows


def prune(conn: sqlite3.Connection, before_at: int) -> int:
    """Drop finished alerts (and their attempts) older than `before_at`."""
    return conn.execute("DELETE FROM alert_outbox WHERE status != ? AND created_at < ?",
                        (PENDING, before_at)).rowcount
