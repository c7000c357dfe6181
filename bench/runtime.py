"""Runtime benchmark: the real Catchment, real Ducks and the demo Ponds, against the physical
limits (issue: bench/runtime.py).

- Pulse: a warm Pulse of `reports` at normal demo speed settles in (critical path 8 s:
  products 2 s → daily_sales 2 s → join_lines 3 s → monthly_summary 1 s) × ratio. Target ≤ 1.10.
- Wave: the cadence of `reports` under a Wave vs. the 3 s bottleneck (join_lines). Target
  within 5 %.
- Overhead: with sleeps off, a warm Pulse's settle time per Pond Run on its critical path
  (transactions/products → sales → reports: 3 runs in sequence). Target < 50 ms.
- Deploy: the four demo Ponds, one after another. Target < 2 s.
- Export: publishing a 2M-row table (Duck, a Delta version) vs. DuckDB's own `COPY … TO parquet`
  (bench/lake.py has the rest of the data plane).

Run: `python bench/runtime.py` (about a minute and a half) or `--quick` (no Wave).
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from duckstring.demo import write_demo  # noqa: E402
from duckstring.packaging import pack_project  # noqa: E402

DEMO = ("transactions", "products", "sales", "reports")
CRITICAL_PATH_S = 8.0
BOTTLENECK_S = 3.0
CHAIN = 3  # Pond Runs in sequence on a Pulse of reports


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Catchment:
    def __init__(self, root: Path, speed: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DUCKSTRING_")}
        env.update(DUCKSTRING_DEMO_SPEED=speed, DUCKSTRING_HEARTBEAT_S="1")
        self.log = open(root.parent / f"{root.name}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "duckstring.embedded", "--root", str(root), "--port",
             str(self.port)], env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        self.client = httpx.Client(base_url=self.url, timeout=120)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.client.get("/api/health").status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise SystemExit("the Catchment did not start")

    def close(self) -> None:
        self.client.close()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)
        self.log.close()

    def deploy_demo(self, demo: Path) -> float:
        start = time.perf_counter()
        for name in DEMO:
            project = demo / name
            r = self.client.post("/api/deploy", files={
                "manifest": ("pond.toml", (project / "pond.toml").read_bytes(), "text/plain"),
                "archive": ("p.zip", pack_project(project), "application/zip"),
            })
            r.raise_for_status()
        return time.perf_counter() - start

    def reports(self) -> dict:
        doc = self.client.get("/api/status").json()
        return next(p for p in doc["ponds"] if p["name"] == "reports")

    def pulse(self) -> float:
        """Seconds from the Pulse request until reports is idle at the Pulse's freshness,
        watched through the status long-poll so the moment of settling is not missed."""
        start = time.perf_counter()
        target = self.client.post("/api/ponds/reports/pulse").json()["target"]
        version = 0
        while True:
            doc = self.client.get("/api/status", params={"since": version, "wait": 30}).json()
            version = doc["version"]
            p = next(p for p in doc["ponds"] if p["name"] == "reports")
            if p["status"] in ("failed", "blocked", "killed"):
                raise SystemExit(f"reports ended {p['status']}: {p['error']}")
            if p["status"] == "idle" and p["end_f"] and p["end_f"] >= target:
                return time.perf_counter() - start

    def wave_cadence(self, completions: int) -> float:
        self.client.post("/api/ponds/reports/wave").raise_for_status()
        seen: list[float] = []
        count = self.reports()["runs_completed"]
        version = 0
        while len(seen) < completions:
            doc = self.client.get("/api/status", params={"since": version, "wait": 30}).json()
            version = doc["version"]
            p = next(p for p in doc["ponds"] if p["name"] == "reports")
            if p["runs_completed"] > count:
                count = p["runs_completed"]
                seen.append(time.perf_counter())
        self.client.post("/api/ponds/reports/untrigger").raise_for_status()
        steady = seen[len(seen) // 3:]  # skip the start-up, where buffers fill
        return statistics.median(b - a for a, b in itertools.pairwise(steady))


def export_vs_copy(rows: int, work: Path) -> tuple[float, float]:
    import duckdb

    from duckstring.lake.publish import publish
    from duckstring.lake.where import Line

    con = duckdb.connect(str(work / "registry.duckdb"))
    # a Duck imports pyarrow and delta-rs once per process (0.2 s here), not per publish
    con.execute("CREATE TABLE facts AS SELECT 1 AS id")
    publish(con.cursor(), Line(str(work / "warm-up")), f=1, run="bench@0")
    con.execute("DROP TABLE facts")
    con.execute(f"CREATE TABLE facts AS SELECT range AS id, range % 97 AS k, random() AS v, "
                f"'item-' || (range % 1000) AS label FROM range({rows})")
    start = time.perf_counter()
    con.execute(f"COPY facts TO '{work / 'copy.parquet'}' (FORMAT parquet)")
    copy_s = time.perf_counter() - start
    start = time.perf_counter()
    publish(con.cursor(), Line(str(work / "data")), f=1, run="bench@1")
    publish_s = time.perf_counter() - start
    con.close()
    return publish_s, copy_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the Wave (saves ~30 s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="duckstring-bench-") as tmp:
        work = Path(tmp)
        demo = work / "demo"
        write_demo(demo)

        c = Catchment(work / "normal", "1")
        try:
            deploy_s = c.deploy_demo(demo)
            cold = c.pulse()
            warm = c.pulse()
            cadence = None if args.quick else c.wave_cadence(9)
        finally:
            c.close()

        c = Catchment(work / "fast", "0")
        try:
            c.deploy_demo(demo)
            c.pulse()  # spawn the Ducks
            settles = [c.pulse() for _ in range(10)]
        finally:
            c.close()
        publish_s, copy_s = export_vs_copy(2_000_000, work)

    per_run = statistics.median(settles) / CHAIN
    rows = [
        ("deploy of the four demo Ponds", f"{deploy_s:.2f} s", "< 2 s", deploy_s < 2),
        ("cold Pulse settle (Ducks start)", f"{cold:.2f} s", "—", True),
        ("warm Pulse settle / 8 s critical path", f"{warm:.2f} s → {warm / CRITICAL_PATH_S:.3f}",
         "≤ 1.10", warm / CRITICAL_PATH_S <= 1.10),
    ]
    if cadence is not None:
        rows.append(("Wave cadence / 3 s bottleneck",
                     f"{cadence:.2f} s → {cadence / BOTTLENECK_S:.3f}", "within 5 %",
                     abs(cadence / BOTTLENECK_S - 1) <= 0.05))
    rows += [
        ("orchestration overhead per Pond Run (sleeps off)",
         f"{per_run * 1000:.1f} ms (Pulse {statistics.median(settles) * 1000:.0f} ms / {CHAIN})",
         "< 50 ms", per_run < 0.050),
        ("export 2M rows: publish (a Delta version) vs DuckDB COPY",
         f"{publish_s:.2f} s vs {copy_s:.2f} s → {publish_s / copy_s:.2f}", "≤ 2", publish_s / copy_s <= 2),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, target, ok in rows:
        print(f"{name.ljust(width)}  {value:<40} target {target:<10} {'ok' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
