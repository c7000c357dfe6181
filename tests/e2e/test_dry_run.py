"""Issue 14 item 2: dry-runs on a live Catchment — the prediction of a Pulse on the demo against
the real Pulse that follows, and the live state untouched by it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.e2e.conftest import deploy_demo
from tests.e2e.harness import settled, wait_until


def _live_state(root: Path, client: Any) -> tuple[list[tuple[str, str, int]], list[Any]]:
    """The persisted engine state (every line's row) and the status document's Ponds (less
    their staleness, which grows with the clock)."""
    with sqlite3.connect(f"file:{root / 'duck.db'}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT line, state, updated_at FROM line_state ORDER BY line")
        persisted = [tuple(r) for r in rows]
    ponds = client.get("/api/status").json()["ponds"]
    return persisted, [{k: v for k, v in p.items() if k != "staleness_s"} for p in ponds]


def _reports_runs(client: Any) -> list[dict[str, Any]]:
    return client.get("/api/runs", params={"pond": "reports"}).json()["runs"]


def test_a_dry_run_pulse_predicts_the_real_one(start_catchment, demo: Path, root: Path) -> None:
    # DEMO_SPEED 0.5: the demo's Ripples sleep 0.5–1.5 s, so durations dominate overheads
    c = start_catchment(DUCKSTRING_DEMO_SPEED="0.5")
    with c.client() as client:
        deploy_demo(client, demo)
        for _ in range(2):  # history: the first run of each Duck includes its launch
            first = client.post("/api/ponds/reports/pulse").raise_for_status().json()["target"]
            wait_until(lambda t=first: settled(client, "reports", t), 90, what="a warm-up Pulse")

        before = _live_state(root, client)
        r = client.post("/api/ponds/reports/pulse", params={"dry_run": "true"})
        assert r.status_code == 200, r.text
        plan = r.json()
        assert _live_state(root, client) == before  # byte-identical: nothing was touched
        assert len(_reports_runs(client)) == 2

        assert plan["dry_run"] and plan["pond"] == "reports@1" and plan["status"] == "idle"
        assert set(plan["run"][:2]) == {"transactions@1", "products@1"}
        assert plan["run"][2:] == ["sales@1", "reports@1"] and plan["pass"] == []
        assert plan["default_durations"] == []  # every Ripple ran in the warm-up
        predicted = plan["settles_in_s"]
        assert predicted > 0

        real = client.post("/api/ponds/reports/pulse").raise_for_status().json()["target"]
        wait_until(lambda: settled(client, "reports", real), 90, what="the real Pulse")
        runs = client.get("/api/runs").json()["runs"]
        after_real = [x for x in runs if x["f"] >= real]
        assert sorted({x["id"] for x in after_real}) == sorted(plan["run"])

        run = _reports_runs(client)[0]
        from duckstring.times import parse_instant

        took = (parse_instant(run["finished_at"]) - parse_instant(real)) / 1000
        assert abs(took - predicted) <= 0.2 * took, (took, predicted, plan)
        # the prediction is kept on the run it predicted, and says how close it came
        assert run["predicted_finished_at"] is not None
        assert abs(run["prediction_error_s"]) <= 0.2 * took


def test_dry_run_refusals_change_nothing(start_catchment, demo: Path, root: Path) -> None:
    c = start_catchment()
    with c.client() as client:
        deploy_demo(client, demo)
        before = _live_state(root, client)
        bad = client.post("/api/ponds/reports/kill", params={"dry_run": "true"})
        assert bad.status_code == 400 and "no dry-run" in bad.json()["error"]["message"]
        # a Tap with nothing ever run predicts the whole lineage, from default durations
        plan = client.post("/api/ponds/reports/tap", params={"dry_run": "true"}).json()
        assert plan["run"][-1] == "reports@1" and len(plan["run"]) == 4
        assert "reports@1.monthly_summary" in plan["default_durations"]
        assert plan["settles_in_s"] > 0
        assert _live_state(root, client) == before
