"""The demo pipeline end to end: deploy, Pulse, Wave, query, concurrent majors."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import deploy_demo, write_pond
from tests.e2e.harness import deploy, pond, settled, wait_until

DEMO = ("transactions", "products", "sales", "reports")


def test_pulse_runs_every_pond_once_in_order(start_catchment, demo: Path) -> None:
    c = start_catchment()
    with c.client() as client:
        deploy_demo(client, demo)
        target = client.post("/api/ponds/reports/pulse").raise_for_status().json()["target"]
        wait_until(lambda: settled(client, "reports", target), 60, what="reports to settle")
        runs = client.get("/api/runs", params={"ripples": "true"}).json()["runs"]
        by_pond = {name: [r for r in runs if r["pond"] == name] for name in DEMO}
        assert {name: len(rs) for name, rs in by_pond.items()} == dict.fromkeys(DEMO, 1)
        assert all(r["status"] == "success" for r in runs)
        start = {name: rs[0]["started_at"] for name, rs in by_pond.items()}
        end = {name: rs[0]["finished_at"] for name, rs in by_pond.items()}
        assert start["sales"] >= max(end["transactions"], end["products"])
        assert start["reports"] >= end["sales"]
        assert {a["ripple"] for a in by_pond["sales"][0]["ripples"]} == {
            "daily_sales", "price_tiers", "join_lines"}
        rows = client.post("/api/query", json={"pond": "reports", "table": "monthly_summary"})
        assert rows.status_code == 200, rows.text
        assert len(rows.json()["rows"]) > 0
        assert pond(client, "reports")["end_f"] == target or pond(client, "reports")["end_f"] >= target


def test_wave_paces_to_the_bottleneck_and_remove_drains(start_catchment, demo: Path) -> None:
    c = start_catchment(DUCKSTRING_DEMO_SPEED="0.1")  # join_lines 0.3 s is the bottleneck
    with c.client() as client:
        deploy_demo(client, demo)
        client.post("/api/ponds/reports/wave").raise_for_status()
        wait_until(lambda: pond(client, "reports")["runs_completed"] >= 4, 60,
                   what="four reports under the Wave")
        assert pond(client, "reports")["trigger"] == {"type": "wave"}
        client.post("/api/ponds/reports/untrigger").raise_for_status()
        assert pond(client, "reports")["trigger"] is None

        def drained() -> bool:
            doc = client.get("/api/status").json()
            return all(p["status"] == "idle" for p in doc["ponds"])

        wait_until(drained, 30, what="the graph to drain")
        doc = client.get("/api/status").json()
        counts = {p["name"]: p["runs_completed"] for p in doc["ponds"]}
        # pull never over-produces: a Source completes at most its consumer's runs plus depth
        assert counts["sales"] <= counts["reports"] + 3
        assert counts["transactions"] <= counts["sales"] + 2
        assert counts["products"] <= counts["sales"] + 2
        # and once drained nothing starts again: the next state change never comes
        later = client.get("/api/status", params={"since": doc["version"], "wait": 1.5}).json()
        assert {p["name"]: p["runs_completed"] for p in later["ponds"]} == counts


def test_concurrent_majors_run_side_by_side(start_catchment, tmp_path: Path) -> None:
    v1 = write_pond(tmp_path, "metrics", "1.0.0", """
        from duckstring import ripple

        @ripple
        def totals(pond):
            pond.write_table("totals", pond.con.sql("SELECT 1 AS v"))
        """, kind="inlet")
    v2 = write_pond(tmp_path, "metrics", "2.0.0", """
        from duckstring import ripple

        @ripple
        def totals(pond):
            pond.write_table("totals", pond.con.sql("SELECT 2 AS v, 'two' AS label"))
        """, kind="inlet")
    c = start_catchment()
    with c.client() as client:
        for project in (v1, v2):
            r = deploy(client, project)
            assert r.status_code == 201, r.text
        ponds = client.get("/api/ponds").json()["ponds"]
        assert sorted((p["id"], p["version"]) for p in ponds) == [
            ("metrics@1", "1.0.0"), ("metrics@2", "2.0.0")]
        for major in (1, 2):
            client.post("/api/ponds/metrics/pulse", params={"major": major}).raise_for_status()
        doc = client.get("/api/status").json()
        assert {p["id"] for p in doc["ponds"]} == {"metrics@1", "metrics@2"}

        def both_done() -> bool:
            lines = {p["id"]: p for p in client.get("/api/status").json()["ponds"]}
            return all(p["status"] == "idle" and p["end_f"] for p in lines.values())

        wait_until(both_done, 60, what="both majors to run")
        one = client.post("/api/query", json={"pond": "metrics", "major": 1, "table": "totals"}).json()
        two = client.post("/api/query", json={"pond": "metrics", "major": 2, "table": "totals"}).json()
        assert one["rows"] == [[1]]
        assert two["rows"] == [[2, "two"]]
        assert (c.root / "ponds/metrics/m1/data/totals/_delta_log").is_dir()
        assert (c.root / "ponds/metrics/m2/data/totals/_delta_log").is_dir()
