"""Load (issue 8.5) under the documented host with Waitress's defaults (4 threads, 100
connections): a 100-Pond cold Pulse settles, and 50 status long-polls never keep health waiting."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import deploy_demo, write_pond
from tests.e2e.harness import (
    free_port,
    pond,
    processes_under,
    serving,
    wait_until,
    waitress_serve,
)

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def wsgi(env: dict[str, str], root: Path, tmp_path: Path) -> Iterator[str]:
    """`waitress-serve … duckstring.embedded.wsgi:app` with Waitress's defaults; its URL."""
    port = free_port()
    env = {**env, "DUCKSTRING_DUCK_IDLE_S": "2"}  # settled Ducks leave: the machine is small
    proc = waitress_serve(root, env, port, tmp_path / "waitress.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(serving(url), 30, what="waitress-serve")
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        leftovers = processes_under(root)
        for pid in leftovers:
            os.kill(pid, signal.SIGKILL)


def test_a_hundred_pond_cold_pulse_settles_under_waitress_defaults(wsgi: str, tmp_path: Path):
    from tests.e2e.many_ponds import LAYERS_100, deploy_layers, plan, write_many

    projects = write_many(tmp_path / "many", layers_of=LAYERS_100)
    feeding = {s for _, sources, _ in plan(layers_of=LAYERS_100) for s in sources}
    leaves = {p.name: "1.0.0" for p in projects if p.name not in feeding}
    everything = write_pond(tmp_path, "everything", "1.0.0", "from duckstring import ripple\n\n\n"
                            "@ripple\ndef done(pond):\n    pass\n", sources=leaves)
    deploy_layers(wsgi, [*projects, everything])
    with httpx.Client(base_url=wsgi, timeout=60) as client:
        target = client.post("/api/ponds/everything/pulse").raise_for_status().json()["target"]
        slowest = 0.0

        def settled() -> bool:
            nonlocal slowest
            start = time.monotonic()
            assert httpx.get(f"{wsgi}/api/health", timeout=30).status_code == 200
            slowest = max(slowest, time.monotonic() - start)
            doc = client.get("/api/status").raise_for_status().json()
            bad = [(p["id"], p["status"], p.get("error")) for p in doc["ponds"]
                   if p["status"] in ("failed", "killed", "blocked")]
            assert not bad, f"Ponds ended badly: {bad}"
            return all(p["status"] == "idle" and (p["end_f"] or "") >= target
                       for p in doc["ponds"])

        wait_until(settled, 200, interval=0.5, what="all 101 Ponds to settle")
    assert slowest < 5, f"health took {slowest:.1f} s during the Pulse"


def test_fifty_status_long_polls_never_keep_health_waiting(wsgi: str, demo: Path):
    stop = threading.Event()
    answered = [0] * 50

    def watch(i: int) -> None:
        with httpx.Client(base_url=wsgi, timeout=60) as watcher:
            version = watcher.get("/api/status").json()["version"]
            while not stop.is_set():
                doc = watcher.get("/api/status", params={"since": version, "wait": 10}).json()
                answered[i] += 1
                version = doc["version"]
                stop.wait(doc.get("retry_s", 0))

    with httpx.Client(base_url=wsgi, timeout=60) as client:
        deploy_demo(client, demo)
        watchers = [threading.Thread(target=watch, args=(i,)) for i in range(50)]
        for t in watchers:
            t.start()
        try:
            wait_until(lambda: all(answered), 30, what="every watcher to be answered once")
            target = client.post("/api/ponds/reports/pulse").raise_for_status().json()["target"]
            times = []

            def done() -> bool:
                start = time.monotonic()
                assert httpx.get(f"{wsgi}/api/health", timeout=30).status_code == 200
                times.append(time.monotonic() - start)
                p = pond(client, "reports")
                assert p["status"] not in ("failed", "killed", "blocked"), p
                return p["status"] == "idle" and (p["end_f"] or "") >= target

            wait_until(done, 120, interval=0.1, what="the Pulse to settle")
        finally:
            stop.set()
            for t in watchers:
                t.join(60)
    assert max(times) < 1.0, f"health took up to {max(times):.2f} s under 50 watchers"
