"""No process is precious (runtime.md §3): kill the Catchment or stop it mid-pipeline, restart,
and the pipeline carries on without recomputing finished work."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from tests.e2e.conftest import deploy_demo, write_pond
from tests.e2e.harness import deploy, pond, settled, wait_until


def _attempts(client) -> list[dict]:
    runs = client.get("/api/runs", params={"ripples": "true", "limit": 1000}).json()["runs"]
    return [dict(a, pond=r["pond"]) for r in runs for a in r["ripples"]]


def test_catchment_killed_mid_pulse_resumes_without_rerunning(start_catchment, demo: Path, root: Path) -> None:
    c = start_catchment(DUCKSTRING_DEMO_SPEED="0.5")
    with c.client() as client:
        deploy_demo(client, demo)
        target = client.post("/api/ponds/reports/pulse").json()["target"]
        wait_until(lambda: any(a["pond"] == "sales" and a["status"] == "success"
                               for a in _attempts(client)), 60,
                   what="a sales Ripple to finish")
    c.kill9()
    c2 = start_catchment(port=c.port)  # the registered address: surviving Ducks dial back here
    with c2.client() as client:
        wait_until(lambda: settled(client, "reports", target), 60, what="the Pulse to complete")
        attempts = _attempts(client)
        ran = Counter((a["pond"], a["ripple"]) for a in attempts)
        assert all(n == 1 for n in ran.values()), ran  # nothing that finished ran again
        assert all(a["status"] == "success" for a in attempts)
        assert set(ran) == {("transactions", "append_transactions"), ("products", "catalogue"),
                            ("sales", "daily_sales"), ("sales", "price_tiers"),
                            ("sales", "join_lines"), ("reports", "monthly_summary")}
        rows = client.post("/api/query", json={"pond": "reports", "table": "monthly_summary"})
        assert rows.json()["rows"]


SLOWISH = """
    import time
    from duckstring import ripple

    @ripple
    def first(pond):
        time.sleep(1.5)
        pond.write_table("first", pond.con.sql("SELECT 1 AS v"))

    @ripple(parents=[first])
    def second(pond):
        pond.write_table("second", pond.con.sql("SELECT v + 1 AS v FROM first"))
    """


def test_history_is_complete_after_the_duck_finished_while_the_catchment_was_down(
        start_catchment, tmp_path: Path) -> None:
    c = start_catchment()
    with c.client() as client:
        r = deploy(client, write_pond(tmp_path, "steady", "1.0.0", SLOWISH, kind="inlet"))
        assert r.status_code == 201, r.text
        target = client.post("/api/ponds/steady/pulse").json()["target"]
        wait_until(lambda: any(r["running"] for r in pond(client, "steady")["ripples"]), 30,
                   what="the first Ripple to start")
    c.kill9()  # the Duck lives on, finishes the run and keeps its reports
    lock = c.root / "ponds/steady/m1/duck.lock"
    wait_until(lambda: (c.root / "ponds/steady/m1/data/second/_delta_log").is_dir(), 30,
               what="the Duck to publish while the Catchment is down")
    duck_pid = int(lock.read_text())
    c2 = start_catchment()  # on another port: the Duck finds it through {root}/catchment.url
    with c2.client() as client:
        wait_until(lambda: settled(client, "steady", target), 30, what="the replayed run")
        run = client.get("/api/runs", params={"pond": "steady", "ripples": "true"}).json()["runs"]
        assert len(run) == 1 and run[0]["status"] == "success"
        assert [(a["ripple"], a["attempt"], a["status"]) for a in run[0]["ripples"]] == [
            ("first", 1, "success"), ("second", 1, "success")]
        assert all(a["finished_at"] for a in run[0]["ripples"])
        assert int(lock.read_text()) == duck_pid  # the surviving Duck was adopted, not doubled


def test_root_is_relocatable(start_catchment, demo: Path, tmp_path: Path) -> None:
    c = start_catchment()
    with c.client() as client:
        deploy_demo(client, demo)
        target = client.post("/api/ponds/reports/pulse").json()["target"]
        wait_until(lambda: settled(client, "reports", target), 60, what="reports")
        before = client.get("/api/status").json()
        rows = client.post("/api/query", json={"pond": "reports", "table": "monthly_summary"}).json()
    c.stop()
    moved = tmp_path / "elsewhere" / "copy"
    shutil.copytree(c.root, moved)
    c2 = start_catchment(root_dir=moved)
    with c2.client() as client:
        after = client.get("/api/status").json()
        keys = ("id", "version", "status", "end_f", "runs_completed")
        assert [{k: p[k] for k in keys} for p in after["ponds"]] == \
            [{k: p[k] for k in keys} for p in before["ponds"]]
        again = client.post("/api/query", json={"pond": "reports", "table": "monthly_summary"})
        assert again.json() == rows
        assert len(client.get("/api/runs").json()["runs"]) == 4
