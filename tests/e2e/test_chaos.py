"""The fault suite's kill -9 part (issue 8): SIGKILL a running line's Duck 8 times in a row at
random points of a run. Every run finishes — success after a retry, or failed with its reason —
none is left `running`, every attempt ends final, and a successful run's attempts show each
Ripple succeeding."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

from tests.e2e.conftest import write_pond
from tests.e2e.harness import deploy, pond, wait_until

CHAIN = """
    import time
    from duckstring import ripple

    @ripple
    def a(pond):
        time.sleep(0.3)
        pond.write_table("a", pond.con.sql("SELECT range AS n FROM range(10)"))

    @ripple(parents=[a])
    def b(pond):
        time.sleep(0.3)
        pond.write_table("b", pond.con.sql("SELECT n * 2 AS n FROM a"))

    @ripple(parents=[b])
    def c(pond):
        time.sleep(0.3)
        pond.write_table("c", pond.con.sql("SELECT sum(n) AS total FROM b"))
    """
KILLS = 8
FINAL_ATTEMPT = ("success", "failed", "killed")


def _duck_pid(root: Path) -> int | None:
    try:
        pid = int((root / "ponds/chain/m1/duck.lock").read_text().strip() or 0)
    except (OSError, ValueError):
        return None
    try:
        return pid if Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z" else None
    except OSError:
        return None


def test_sigkill_of_the_duck_at_random_points_never_leaves_a_run_running(
        start_catchment, tmp_path: Path) -> None:
    c = start_catchment(DUCKSTRING_LIVENESS_S="5")
    rng = random.Random(8)
    with c.client() as client:
        r = deploy(client, write_pond(tmp_path, "chain", "1.0.0", CHAIN, kind="inlet",
                                      extra="immediate_retries = 2"))
        assert r.status_code == 201, r.text
        killed = 0
        for _ in range(KILLS):
            before = len(client.get("/api/runs", params={"pond": "chain"}).json()["runs"])
            client.post("/api/ponds/chain/pulse").raise_for_status()
            wait_until(lambda: (pid := _duck_pid(c.root)) and any(
                r["running"] for r in pond(client, "chain")["ripples"]) and pid, 60,
                what="a Ripple to run")
            time.sleep(rng.uniform(0.0, 1.0))  # somewhere in a, b, c or the publish
            pid = _duck_pid(c.root)
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            wait_until(lambda n=before: pond(client, "chain")["status"] in ("idle", "failed")
                       and len(client.get("/api/runs", params={"pond": "chain"}).json()["runs"])
                       > n, 60, what="the run to finish")
            if pond(client, "chain")["status"] == "failed":
                client.post("/api/ponds/chain/clear").raise_for_status()
        assert killed >= KILLS - 1  # a kill may land just after the run finished
        runs = client.get("/api/runs", params={"pond": "chain", "ripples": "true",
                                               "limit": 100}).json()["runs"]
    assert len(runs) == KILLS
    assert [r for r in runs if r["status"] not in ("success", "failed")] == []
    for run in runs:
        assert all(a["status"] in FINAL_ATTEMPT and a["finished_at"] for a in run["ripples"]), run
        if run["status"] == "failed":
            assert run["error"], run
        else:
            assert {a["ripple"] for a in run["ripples"] if a["status"] == "success"} == \
                {"a", "b", "c"}, run
    assert any(r["status"] == "success" for r in runs)
