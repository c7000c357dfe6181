"""Ducks on a real Ray cluster end to end (issue 12; docs/scale.md): a head and a second node
with the custom resource `second` on 127.0.0.1, tables on a real S3 server (moto), and a real
Catchment process whose launcher is `ray`. Every Duck runs in a Ray actor; none is a child of
the Catchment. In order, on one cluster: the demo pipeline and a Pond placed on the second node
by its resources; kill -9 of the Catchment mid-Pulse; the second node's raylet SIGKILLed
mid-run (last: the node stays dead)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from duckstring.embedded.access.gate import line_token
from tests.e2e.conftest import write_pond
from tests.e2e.harness import FAST_ENV, CatchmentProc, deploy, processes_under, settled, wait_until
from tests.lake.conftest import S3_ENV
from tests.ray.cluster import Cluster

pytestmark = pytest.mark.timeout(240)
SECRET = "ray-must-never-see-this-3f9c"

FAR = f'''
import os
import time
from duckstring import ripple


@ripple
def load(pond):
    assert os.environ["FAR_SECRET"] == {SECRET!r}, "the secret did not reach the Duck"
    time.sleep(float(os.environ.get("FAR_SLEEP_S", "0")))
    pond.write_table("numbers", pond.con.sql("SELECT range AS n FROM range(3)"))
'''

SLOW = '''
import time
from duckstring import ripple


@ripple
def first(pond):
    pond.write_table("a", pond.con.sql("SELECT 1 AS n"))


@ripple(parents=[first])
def second(pond):
    time.sleep(6)
    pond.write_table("b", pond.con.sql("SELECT n + 1 AS n FROM a"))
'''


class Ray:
    """The module's Catchment on the cluster, restartable on the same root and port."""

    def __init__(self, base: Path, cluster: Cluster, env: dict[str, str]) -> None:
        self.base = base
        self.cluster = cluster
        self.proc = CatchmentProc(base / "root", env)

    @property
    def client(self) -> httpx.Client:
        return self.proc.client()

    def token(self) -> str:
        conn = sqlite3.connect(self.proc.root / "duck.db")
        try:
            return str(conn.execute("SELECT value FROM meta WHERE key = 'duck_token'").fetchone()[0])
        finally:
            conn.close()

    def pond(self, name: str) -> dict[str, Any]:
        with self.client as c:
            return next(p for p in c.get("/api/status").json()["ponds"] if p["name"] == name)

    def pulse(self, name: str) -> str:
        with self.client as c:
            return str(c.post(f"/api/ponds/{name}/pulse").raise_for_status().json()["target"])

    def settle(self, name: str, target: str, timeout: float = 120) -> dict[str, Any]:
        with self.client as c:
            return wait_until(lambda: settled(c, name, target), timeout=timeout,
                              what=f"{name} settled")

    def runs(self, name: str) -> list[dict[str, Any]]:
        with self.client as c:
            return list(c.get("/api/runs", params={"pond": name, "ripples": "true"}).json()["runs"])

    def duck_pids(self) -> dict[str, list[int]]:
        """Remote-mode Duck processes on this machine, by line."""
        out: dict[str, list[int]] = {}
        for pid in processes_under(self.cluster.dir / "work"):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if b"duckstring.duck" in argv and b"--line" in argv:
                out.setdefault(argv[argv.index(b"--line") + 1].decode(), []).append(pid)
        return out


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def ray_catchment(cluster: Cluster, s3_server: str,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ray]:
    base = tmp_path_factory.mktemp("ray")
    bucket = f"ray{os.getpid()}"
    httpx.put(f"{s3_server}/{bucket}").raise_for_status()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUCKSTRING_", "RAY_"))}
    env.update(FAST_ENV)
    env.update(S3_ENV, AWS_ENDPOINT_URL=s3_server, DUCKSTRING_HOME=str(base / "home"),
               DUCKSTRING_LAUNCHER="ray", DUCKSTRING_RAY_ADDRESS=cluster.address,
               DUCKSTRING_DATA_URL=f"s3://{bucket}/lake", DUCKSTRING_DUCK_IDLE_S="120")
    r = Ray(base, cluster, env)
    r.proc.start(timeout=60)
    try:
        yield r
    finally:
        r.proc.stop()
        wait_until(lambda: not r.duck_pids(), timeout=30, what="every Ray Duck gone")


def test_the_demo_and_a_pond_placed_by_resource_run_on_ray(ray_catchment: Ray) -> None:
    from duckstring.demo import write_demo

    r = ray_catchment
    write_demo(r.base / "demo")
    with r.client as c:
        for name in ("transactions", "products", "sales", "reports"):
            assert deploy(c, r.base / "demo" / name).status_code == 201
        c.put("/api/secrets/FAR_SECRET", json={"value": SECRET, "ponds": ["far"]}
              ).raise_for_status()
        assert deploy(c, write_pond(r.base, "far", "1.0.0", FAR, kind="inlet")).status_code == 201
        placed = c.post("/api/ponds/far/duck", json={"resources": {"second": 1}})
        assert placed.status_code == 200, placed.text
    r.settle("reports", r.pulse("reports"))
    r.settle("far", r.pulse("far"))

    nodes = {p["id"]: p["duck"] for p in (r.pond(n) for n in
                                          ("transactions", "products", "sales", "reports", "far"))}
    assert all(d is not None and d["launcher"] == "ray" for d in nodes.values()), nodes
    far_node = nodes["far@1"]["node"]
    second = r.cluster.nodes[0]["id"]
    assert isinstance(second, str) and far_node.endswith(f"({second[:8]})"), (far_node, second)
    assert r.runs("far")[0]["launcher"] == "ray" and r.runs("far")[0]["node"] == far_node
    assert r.runs("far")[0]["status"] == "success"
    with r.client as c:  # `duck check` runs where far's Duck would run
        check = c.post("/api/ponds/far/duck/check", json={}).json()
    assert check["launcher"] == "ray" and check.get("packages", {}).get("duckstring"), check

    # every Duck runs under Ray: none is the Catchment's child, one per line
    assert r.proc.proc is not None
    assert not [p for p in children(r.proc.proc.pid)
                if b"duckstring.duck" in Path(f"/proc/{p}/cmdline").read_bytes()]
    ducks = r.duck_pids()
    assert sorted(ducks) == sorted(nodes) and all(len(p) == 1 for p in ducks.values()), ducks

    # the secret and the Duck token are in no Ray log and no command line
    hidden = [SECRET.encode(), r.token().encode(),
              *(line_token(r.token(), line).encode() for line in ducks)]
    for path in r.cluster.logs():
        data = path.read_bytes()
        assert not [h for h in hidden if h in data], path
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            assert not [h for h in hidden if h in argv], entry


def test_a_catchment_killed_mid_pulse_adopts_its_ray_ducks(ray_catchment: Ray) -> None:
    r = ray_catchment
    with r.client as c:
        assert deploy(c, write_pond(r.base, "slow", "1.0.0", SLOW, kind="inlet")).status_code == 201
    target = r.pulse("slow")
    wait_until(lambda: any(rp["name"] == "second" and rp["running"]
                           for rp in r.pond("slow")["ripples"]), timeout=60,
               what="slow's second Ripple running")
    before = r.duck_pids()
    r.proc.kill9()
    time.sleep(0.5)
    r.proc.start(timeout=60)
    r.settle("slow", target, timeout=60)
    after = r.duck_pids()
    assert after["slow@1"] == before["slow@1"], "a second Duck was started for slow@1"
    assert all(len(p) == 1 for p in after.values()), after
    run = r.runs("slow")[0]
    assert run["status"] == "success"
    attempts = sorted((a["ripple"], a["attempt"]) for a in run["ripples"])
    assert attempts == [("first", 1), ("second", 1)], "a finished Ripple ran again"


def test_removing_a_pond_stops_its_ray_duck(ray_catchment: Ray) -> None:
    r = ray_catchment
    pid = r.duck_pids()["slow@1"][0]
    with r.client as c:
        out = c.delete("/api/ponds/slow", params={"major": 1}).raise_for_status().json()
    assert out["duck_stopped"] is True
    wait_until(lambda: "slow@1" not in r.duck_pids(), timeout=20, what="slow's Duck gone")
    assert not Path(f"/proc/{pid}").exists()


def test_a_dead_node_fails_its_run_within_the_liveness_bound_and_the_retry_runs_on_the_head(
        ray_catchment: Ray) -> None:
    r = ray_catchment
    with r.client as c:
        c.post("/api/ponds/far/budget", json={"immediate_retries": 0, "source_retries": 0}
               ).raise_for_status()
    far_node = r.pond("far")["duck"]["node"]
    # a new version whose run is long enough to be caught mid-run
    with r.client as c:
        slow_far = FAR.replace('os.environ.get("FAR_SLEEP_S", "0")', '"8"')
        assert deploy(c, write_pond(r.base / "v2", "far", "1.0.1", slow_far, kind="inlet")
                      ).status_code == 201
    r.pulse("far")
    wait_until(lambda: any(rp["running"] for rp in r.pond("far")["ripples"]), timeout=60,
               what="far running on the second node")
    killed = time.monotonic()
    r.cluster.kill_worker(0)
    failed = wait_until(lambda: (p := r.pond("far"))["is_failed"] and p, timeout=30,
                        what="far's run failed")
    took = time.monotonic() - killed
    assert took < float(FAST_ENV["DUCKSTRING_LIVENESS_S"]), f"seen after {took:.1f} s"
    assert "Ray actor died" in (failed["error"] or ""), failed["error"]

    # the operator lets it run anywhere; the retry runs on the head node
    with r.client as c:
        c.post("/api/ponds/far/duck", json={"resources": None}).raise_for_status()
        c.post("/api/ponds/far/wake").raise_for_status()
    wait_until(lambda: r.runs("far")[0]["status"] == "success", timeout=90, what="far retried")
    assert r.runs("far")[0]["node"] not in (None, far_node)
