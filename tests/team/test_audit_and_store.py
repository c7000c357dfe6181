"""The audit trail's repository, and the team-operations migration bringing an existing duck.db
up to date."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from duckstring.embedded.store import Store, audit
from duckstring.embedded.store.migrations import MIGRATIONS

T0 = 1_767_225_600_000



def test_who_did_what_and_when_newest_first_with_filters(store: Store) -> None:
    with store.transaction() as conn:
        audit.record(conn, T0, "ci", "pulse", "sales@1")
        audit.record(conn, T0 + 1, "ops", "deploy", "sales@1", {"version": "1.2.0"})
        audit.record(conn, T0 + 2, "ops", "secret.set", None, {"name": "DB_PASSWORD",
                                                               "ponds": ["sales"]})
        audit.record(conn, T0 + 3, "open", "key.add", None, {"name": "ci", "level": "demand"})
    with store.transaction() as conn:
        everything = audit.entries(conn)
        assert [(e["who"], e["verb"]) for e in everything] == [
            ("open", "key.add"), ("ops", "secret.set"), ("ops", "deploy"), ("ci", "pulse")]
        assert everything[2]["detail"] == {"version": "1.2.0"} and everything[3]["detail"] == {}
        assert [e["verb"] for e in audit.entries(conn, pond="sales@1")] == ["deploy", "pulse"]
        assert [e["verb"] for e in audit.entries(conn, who="ops", limit=1)] == ["secret.set"]
        page = audit.entries(conn, before=everything[1]["id"])
        assert [e["verb"] for e in page] == ["deploy", "pulse"]
        assert audit.prune(conn, T0 + 2) == 2
        assert len(audit.entries(conn)) == 2


def test_a_detail_that_could_hold_a_secret_is_refused(store: Store) -> None:
    for detail in ({"value": "x"}, {"Password": "x"}, {"outer": [{"token": "x"}]}):
        with pytest.raises(ValueError, match="must not carry"), store.transaction() as conn:
            audit.record(conn, T0, "ops", "secret.set", None, detail)
    with store.transaction() as conn:
        assert audit.entries(conn) == []  # nothing half-written


def test_the_team_migration_upgrades_a_database_from_the_schema_before_it(
        tmp_path: Path) -> None:
    team = next(i for i, script in enumerate(MIGRATIONS) if "CREATE TABLE keys" in script)
    path = tmp_path / "duck.db"
    conn = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:team], start=1):
        for statement in script.split(";\n"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute("INSERT INTO meta (key, value) VALUES ('id', 'kept')")
    conn.commit()
    conn.close()

    store = Store(path)
    try:
        assert store.query("PRAGMA user_version")[0][0] == len(MIGRATIONS) > team
        assert store.query("SELECT value FROM meta WHERE key = 'id'")[0][0] == "kept"
        tables = {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"keys", "secrets", "alert_rules", "alert_outbox", "alert_deliveries",
                "audit"} <= tables
    finally:
        store.close()
