"""Load benchmark (issue 8): the Catchment under many Ponds, many Ducks and many watchers, served
by the documented host with Waitress's defaults (`waitress-serve … duckstring.embedded.wsgi:app`:
4 threads, 100 connections).

- Status latency (median, p99) at 100 and 1,000 Ponds with 50 watchers holding
  `GET /api/status?since=V` long-polls. Target at 1,000 Ponds: < 100 ms.
- Health p99 under the 50 watchers. Target < 200 ms.
- Catchment CPU with 100 idle Ducks (and what those Ducks burn), over `--idle-s` seconds.
- The 100-Pond cold Pulse: settle time ÷ its critical path (the longest Source → Sink chain,
  each Pond costed at its own run's duration from the history).
- Idle Duck RSS, from `bench/idle.py`, when that bench exists.

Run: `python bench/load.py` (about ten minutes on 2 cores: deploying 1,000 Ponds dominates) or
`--quick` (100 Ponds only).
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import write_pond  # noqa: E402
from tests.e2e.harness import (  # noqa: E402
    free_port,
    processes_under,
    serving,
    wait_until,
    waitress_serve,
)
from tests.e2e.many_ponds import LAYERS_100, deploy_layers, plan, write_many  # noqa: E402

WATCHERS = 50
SAMPLES = 200
HEALTH_P99_MS = 200.0
STATUS_1000_MS = 100.0


class Host:
    """waitress-serve with its defaults on a fresh root; Ducks stay up when idle."""

    def __init__(self, base: Path) -> None:
        self.root = base / "root"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DUCKSTRING_")}
        env.update(DUCKSTRING_HOME=str(base / "home"), DUCKSTRING_DUCK_IDLE_S="3600",
                   DUCKSTRING_DEMO_SPEED="0")
        self.proc = waitress_serve(self.root, env, self.port, base / "waitress.log")
        wait_until(serving(self.url), 60, what="waitress-serve")
        self.client = httpx.Client(base_url=self.url, timeout=120)

    def close(self) -> None:
        self.client.close()
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        for pid in processes_under(self.root):
            os.kill(pid, signal.SIGKILL)


def ms_stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


class Watchers:
    """`WATCHERS` clients following the status with long-polls, as live views do."""

    def __init__(self, url: str) -> None:
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._watch, args=(url,), daemon=True)
                        for _ in range(WATCHERS)]
        for t in self.threads:
            t.start()

    def _watch(self, url: str) -> None:
        with httpx.Client(base_url=url, timeout=120) as c:
            version = None
            while not self.stop.is_set():
                params = {} if version is None else {"since": version, "wait": 25}
                try:
                    doc = c.get("/api/status", params=params).json()
                except httpx.HTTPError:
                    self.stop.wait(1)
                    continue
                version = doc.get("version")
                self.stop.wait(max(doc.get("retry_s", 0), 0.1))

    def close(self) -> None:
        self.stop.set()


def latencies(url: str, path: str, n: int = SAMPLES) -> list[float]:
    """Seconds per request, each on a new connection (as a health checker makes them), with
    `http.client`: httpx builds an SSL context per client, which would be most of the figure."""
    host, port = url.removeprefix("http://").split(":")
    out = []
    for _ in range(n):
        start = time.perf_counter()
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        conn.close()
        if resp.status != 200:
            raise SystemExit(f"GET {path} answered {resp.status}")
        out.append(time.perf_counter() - start)
        time.sleep(0.02)
    return out


def cpu_s(pids: list[int]) -> float:
    """utime + stime of these processes, in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def critical_path_s(client: httpx.Client, graph: dict[str, set[str]]) -> float:
    """The longest Source → Sink chain, each Pond costed at its run's execution (its first
    attempt's start to its last attempt's end: the work, not the Duck's start-up)."""
    runs = client.get("/api/runs", params={"limit": 10_000, "ripples": "true"}).json()["runs"]
    took: dict[str, float] = {}
    for r in runs:
        spans = [(datetime.fromisoformat(a["started_at"]), datetime.fromisoformat(a["finished_at"]))
                 for a in r.get("ripples") or [] if a["started_at"] and a["finished_at"]]
        if spans:
            took[r["pond"]] = (max(e for _, e in spans) - min(s for s, _ in spans)).total_seconds()
    memo: dict[str, float] = {}

    def longest(name: str) -> float:
        if name not in memo:
            memo[name] = took.get(name, 0.0) + max((longest(s) for s in graph[name]), default=0)
        return memo[name]

    return max(longest(n) for n in graph)


def pulse(host: Host) -> float:
    """Pulse `everything`; seconds until every Pond is idle at the target."""
    start = time.monotonic()
    target = host.client.post("/api/ponds/everything/pulse").json()["target"]

    def settled() -> bool:
        ponds = host.client.get("/api/status").json()["ponds"]
        return all(p["status"] == "idle" and (p["end_f"] or "") >= target for p in ponds)

    wait_until(settled, 900, interval=0.2, what="the 100-Pond Pulse to settle")
    return time.monotonic() - start


def hundred(base: Path, idle_s: float) -> dict[str, Any]:
    projects = write_many(base / "many", layers_of=LAYERS_100)
    graph = {name: set(sources) for name, sources, _ in plan(layers_of=LAYERS_100)}
    feeding = {s for sources in graph.values() for s in sources}
    leaves = {n: "1.0.0" for n in graph if n not in feeding}
    graph["everything"] = set(leaves)
    projects.append(write_pond(base, "everything", "1.0.0",
                               "from duckstring import ripple\n\n\n@ripple\ndef done(pond):\n"
                               "    pass\n", sources=leaves))
    host = Host(base)
    out: dict[str, Any] = {}
    try:
        started = time.monotonic()
        deploy_layers(host.url, projects)
        out["deploy_s"] = time.monotonic() - started
        out["settle_s"] = pulse(host)  # cold: every Duck starts
        out["critical_s"] = critical_path_s(host.client, graph)
        out["warm_s"] = pulse(host)  # warm: the Ducks are up
        ducks = [pid for pid in processes_under(host.root) if pid != host.proc.pid]
        out["ducks"] = len(ducks)
        time.sleep(3)  # let the last events and idle polls settle
        before, before_ducks = cpu_s([host.proc.pid]), cpu_s(ducks)
        time.sleep(idle_s)
        out["idle_cpu"] = (cpu_s([host.proc.pid]) - before) / idle_s
        out["idle_duck_cpu"] = (cpu_s(ducks) - before_ducks) / idle_s
        watchers = Watchers(host.url)
        try:
            time.sleep(2)
            out["status"] = ms_stats(latencies(host.url, "/api/status"))
            out["health"] = ms_stats(latencies(host.url, "/api/health"))
        finally:
            watchers.close()
    finally:
        host.close()
    return out


def write_grid(base: Path, layers: int = 10, width: int = 100) -> list[Path]:
    """`layers` × `width` one-Ripple Ponds, each past the first reading 1–3 of the layer before
    (fixed seed), in deploy order."""
    import random

    rng = random.Random(7)
    projects = []
    for layer in range(layers):
        for i in range(width):
            sources = {f"l{layer - 1}p{j}": "1.0.0"
                       for j in rng.sample(range(width), rng.randint(1, 3))} if layer else None
            projects.append(write_pond(base, f"l{layer}p{i}", "1.0.0",
                                       "from duckstring import ripple\n\n\n@ripple\n"
                                       "def load(pond):\n    pass\n", sources=sources,
                                       kind="pond" if layer else "inlet"))
    return projects


def thousand(base: Path) -> dict[str, Any]:
    projects = write_grid(base / "grid")
    host = Host(base)
    try:
        deploy_layers(host.url, projects)
        watchers = Watchers(host.url)
        try:
            time.sleep(2)
            return {"status": ms_stats(latencies(host.url, "/api/status")),
                    "health": ms_stats(latencies(host.url, "/api/health")),
                    "ponds": len(projects)}
        finally:
            watchers.close()
    finally:
        host.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 Ponds only")
    parser.add_argument("--idle-s", type=float, default=20.0, help="CPU sampling window")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ds-load-") as tmp:
        h = hundred(Path(tmp) / "h", args.idle_s)
        k = None if args.quick else thousand(Path(tmp) / "k")
    rows = [
        ("status at 100 Ponds, 50 watchers (median / p99)",
         f"{h['status'][0]:.0f} / {h['status'][1]:.0f} ms", "—"),
        ("health under 50 watchers, 100 Ponds (median / p99)",
         f"{h['health'][0]:.0f} / {h['health'][1]:.0f} ms", f"p99 < {HEALTH_P99_MS:.0f} ms"),
    ]
    if k is not None:
        rows += [
            (f"status at {k['ponds']:,} Ponds, 50 watchers (median / p99)",
             f"{k['status'][0]:.0f} / {k['status'][1]:.0f} ms", f"< {STATUS_1000_MS:.0f} ms"),
            (f"health under 50 watchers, {k['ponds']:,} Ponds (median / p99)",
             f"{k['health'][0]:.0f} / {k['health'][1]:.0f} ms", f"p99 < {HEALTH_P99_MS:.0f} ms"),
        ]
    rows += [
        (f"Catchment CPU with {h['ducks']} idle Ducks", f"{h['idle_cpu'] * 100:.1f} % of a core",
         "nearly nothing"),
        (f"those {h['ducks']} idle Ducks' CPU", f"{h['idle_duck_cpu'] * 100:.1f} % of a core",
         "nearly nothing"),
        ("100-Pond cold Pulse: settle ÷ critical path",
         f"{h['settle_s']:.1f} s ÷ {h['critical_s']:.2f} s = "
         f"{h['settle_s'] / max(h['critical_s'], 1e-9):.0f}", "settles"),
        ("the same Pulse warm (Ducks up): settle ÷ critical path",
         f"{h['warm_s']:.1f} s ÷ {h['critical_s']:.2f} s = "
         f"{h['warm_s'] / max(h['critical_s'], 1e-9):.0f}", "—"),
        ("deploying the 101 Ponds, 4 at a time", f"{h['deploy_s']:.0f} s", "—"),
    ]
    rows += idle_rows()
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'measured':<28}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:<28}  {target}")


def idle_rows() -> list[tuple[str, str, str]]:
    """Idle Duck RSS and whether idle Ducks stop, from bench/idle.py when it is there."""
    path = REPO / "bench" / "idle.py"
    if not path.exists():
        return []
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_idle", path)
    assert spec is not None and spec.loader is not None
    idle = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(idle)
    f = idle.measure()
    return [
        ("Duck RSS right after its run (before: kept for good until the rest re-exec)",
         f"{f['rss_after_run_median_mb']} MB", "—"),
        (f"Duck RSS at rest, {f['ducks']} demo Ducks (median / max)",
         f"{f['rss_median_mb']} / {f['rss_max_mb']} MB", f"≤ {f['target_mb']:g} MB"),
        ("idle Ducks stop", "yes" if f["idle_ducks_stopped"] else "NO", "yes"),
    ]


if __name__ == "__main__":
    main()
