"""Hourly retention (with the run history's `DUCKSTRING_HISTORY_DAYS`) prunes the audit trail
and finished alerts; pending alerts and recent entries stay."""

from __future__ import annotations

import falcon

from duckstring.embedded.store import alerts, audit

DAY = 86_400_000


def test_retention_prunes_old_audit_entries_and_finished_alerts(app: falcon.App) -> None:
    team = app.catchment.team
    now = team.clock()
    with team.store.transaction() as conn:
        audit.record(conn, now - 40 * DAY, "ops", "pulse", "sales@1")
        audit.record(conn, now - DAY, "ops", "kill", "sales@1")
        old = alerts.enqueue(conn, "r", "webhook:http://127.0.0.1:9/", "failed", None, {}, now - 40 * DAY)
        alerts.attempted(conn, old, now - 40 * DAY, True, "HTTP 200", 1, retry_at=None)
        alerts.enqueue(conn, "r", "webhook:http://127.0.0.1:9/", "failed", None, {}, now - 40 * DAY)
    team.prune(31)
    with team.store.transaction() as conn:
        assert [e["verb"] for e in audit.entries(conn)] == ["kill"]
        assert [e["status"] for e in alerts.log(conn)] == ["pending"]  # still to deliver
    team.prune(0)  # 0 = keep everything
    with team.store.transaction() as conn:
        assert len(audit.entries(conn)) == 1
