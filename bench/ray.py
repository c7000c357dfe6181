"""Ducks on Ray (issue 12; docs/scale.md): 20 independent Ponds of one 2 s Ripple each, Pulsed
together, on the local launcher and on a Ray cluster on 127.0.0.1 with one and with two worker
nodes (the Ponds ask for the custom resource `worker`, which only the worker nodes have), tables
on a moto S3 server in every case.

Printed per setup: the settle time (first Pulse to the last Pond fresh) ÷ the 2 s critical path;
Duck start-up latency (a run's start to its Ripple's start: the Duck's launch, import, bootstrap,
code download and first poll, median and max); and a run's duration beyond its 2 s Ripple
(median). The per-Pond overhead of Ray is the Ray median run duration minus the local one;
target < 0.5 s. Cold start (each Duck's first run) and warm (a second Pulse of running Ducks)
are both shown.

Run: `python bench/ray.py` (a few minutes on 2 cores), `--json` for the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import write_pond  # noqa: E402
from tests.e2e.harness import FAST_ENV, CatchmentProc, deploy, wait_until  # noqa: E402
from tests.lake.conftest import S3_ENV, moto_server  # noqa: E402
from tests.ray.cluster import Cluster  # noqa: E402

PONDS = 20
RIPPLE_S = 2.0
TARGET_OVERHEAD_S = 0.5
CODE = f'''
import time
from duckstring import ripple


@ripple
def work(pond):
    time.sleep({RIPPLE_S})
    pond.write_table("done", pond.con.sql("SELECT 1 AS n"))
'''


def _ms(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _pulse_all(client: httpx.Client, names: list[str]) -> dict[str, Any]:
    started = time.monotonic()
    targets = {n: client.post(f"/api/ponds/{n}/pulse").raise_for_status().json()["target"]
               for n in names}

    def fresh() -> bool:
        ponds = {p["name"]: p for p in client.get("/api/status").json()["ponds"]}
        bad = [n for n in names if ponds[n]["status"] in ("failed", "killed")]
        if bad:
            raise RuntimeError(f"{bad[0]} failed: {ponds[bad[0]].get('error')}")
        return all(ponds[n]["status"] == "idle" and (ponds[n]["end_f"] or "") >= targets[n]
                   for n in names)

    wait_until(fresh, timeout=600, interval=0.1, what="every Pond fresh")
    settle = time.monotonic() - started
    startup, beyond = [], []
    for n in names:
        run = client.get("/api/runs", params={"pond": n, "ripples": "true", "limit": 1}
                         ).json()["runs"][0]
        attempt = run["ripples"][0]
        startup.append(_ms(attempt["started_at"]) - _ms(run["started_at"]))
        beyond.append(run["duration_s"] - RIPPLE_S)
    return {"settle_s": round(settle, 2), "settle_over_critical": round(settle / RIPPLE_S, 2),
            "startup_median_s": round(statistics.median(startup), 2),
            "startup_max_s": round(max(startup), 2),
            "run_beyond_ripple_median_s": round(statistics.median(beyond), 2)}


def measure(workers: int, s3: str, base: Path) -> dict[str, Any]:
    """One setup: `workers` = 0 is the local launcher."""
    bucket = f"bench{workers}{os.getpid()}"
    httpx.put(f"{s3}/{bucket}").raise_for_status()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUCKSTRING_", "RAY_"))}
    env.update(FAST_ENV)
    env.update(S3_ENV, AWS_ENDPOINT_URL=s3, DUCKSTRING_DATA_URL=f"s3://{bucket}/lake",
               DUCKSTRING_DUCK_IDLE_S="300", DUCKSTRING_LIVENESS_S="60")
    cluster = None
    if workers:
        cluster = Cluster(env={**S3_ENV, "AWS_ENDPOINT_URL": s3})
        cluster.start_head()
        for _ in range(workers):
            cluster.add_worker({"worker": 1000})
        env.update(DUCKSTRING_LAUNCHER="ray", DUCKSTRING_RAY_ADDRESS=cluster.address)
    catchment = CatchmentProc(base / f"root{workers}", env)
    try:
        catchment.start(timeout=60)
        names = [f"p{i:02d}" for i in range(PONDS)]
        with catchment.client(timeout=60) as c:
            for n in names:
                assert deploy(c, write_pond(base / f"src{workers}", n, "1.0.0", CODE,
                                            kind="inlet")).status_code == 201
                if workers:
                    c.post(f"/api/ponds/{n}/duck", json={"resources": {"worker": 1}}
                           ).raise_for_status()
            cold = _pulse_all(c, names)
            warm = _pulse_all(c, names)
        return {"setup": "local" if not workers else f"ray, {workers} worker node(s)",
                "cold": cold, "warm": warm}
    finally:
        catchment.stop(timeout=60)
        if cluster is not None:
            cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    with moto_server() as s3, tempfile.TemporaryDirectory(prefix="ds-bench-ray") as tmp:
        for workers in (0, 1, 2):
            results.append(measure(workers, s3, Path(tmp)))
    local = results[0]
    for r in results[1:]:
        r["ray_overhead_per_pond_s"] = {
            phase: round(r[phase]["run_beyond_ripple_median_s"]
                         - local[phase]["run_beyond_ripple_median_s"], 2)
            for phase in ("cold", "warm")}
        r["within_target"] = r["ray_overhead_per_pond_s"]["warm"] < TARGET_OVERHEAD_S
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{PONDS} independent Ponds of {RIPPLE_S:g} s, Pulsed together (settle ÷ critical "
          "path; Duck start-up median/max; run beyond its Ripple, median)")
    for r in results:
        for phase in ("cold", "warm"):
            f = r[phase]
            extra = ""
            if "ray_overhead_per_pond_s" in r:
                extra = f"; Ray overhead per Pond {r['ray_overhead_per_pond_s'][phase]:+.2f} s"
            print(f"  {r['setup']:<26} {phase}: settle {f['settle_s']:.1f} s = "
                  f"{f['settle_over_critical']:.1f}× ; start-up {f['startup_median_s']:.2f}/"
                  f"{f['startup_max_s']:.2f} s; beyond {f['run_beyond_ripple_median_s']:.2f} s"
                  f"{extra}")
    for r in results[1:]:
        print(f"  {r['setup']}: warm per-Pond overhead "
              f"{r['ray_overhead_per_pond_s']['warm']:+.2f} s "
              f"({'within' if r['within_target'] else 'OVER'} the {TARGET_OVERHEAD_S} s target)")


if __name__ == "__main__":
    main()
