"""Queries cannot exhaust the server (issue 8 item 6): under the documented host with
Waitress's defaults (4 threads), running queries are bounded — the excess is told to come back
(503 + Retry-After) while health and status keep answering — and a query that needs more
memory than its limit fails clearly while the server stays small."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from tests.e2e.conftest import write_pond
from tests.e2e.harness import deploy, free_port, serving, wait_until, waitress_serve

INLET = """
    from duckstring import ripple

    @ripple
    def make(pond):
        pond.write_table("t", pond.con.sql("SELECT 1 AS v"))
    """
ENDLESS = "SELECT count(*) FROM range(1000000000000) a, range(1000000) b"


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_queries_are_bounded_and_the_server_keeps_answering(env, root: Path,
                                                            tmp_path: Path) -> None:
    port = free_port()
    server = waitress_serve(root, {**env, "DUCKSTRING_QUERY_TIMEOUT_S": "20",
                                   "DUCKSTRING_QUERY_MEMORY_MB": "64"},
                            port, tmp_path / "waitress.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(serving(url), 30, what="waitress-serve")
        with httpx.Client(base_url=url, timeout=60) as client:
            project = write_pond(tmp_path, "data", "1.0.0", INLET, kind="inlet")
            assert deploy(client, project).status_code == 201

            # a query that needs more memory than its limit: a clear 400, the server stays small
            r = client.post("/api/query", json={
                "pond": "data", "sql": "SELECT string_agg(range::VARCHAR, ',') FROM range(50000000)"})
            assert r.status_code == 400, r.text[:300]
            assert "more than 64 MB" in r.json()["error"]["message"]
            assert "DUCKSTRING_QUERY_MEMORY_MB" in r.json()["error"]["message"]
            assert _peak_rss_mb(server.pid) < 400

            # two endless queries take both slots (the default bound) ...
            answers: list[httpx.Response] = []

            def endless() -> None:
                with httpx.Client(base_url=url, timeout=120) as own:
                    while True:  # as a client honouring Retry-After would: our probes race it
                        r = own.post("/api/query", json={"pond": "data", "sql": ENDLESS})
                        if r.status_code != 503:
                            answers.append(r)
                            return
                        time.sleep(float(r.headers["Retry-After"]) / 10)

            runners = [threading.Thread(target=endless) for _ in range(2)]
            for t in runners:
                t.start()

            def refused() -> httpx.Response | None:
                r = client.post("/api/query", json={"pond": "data", "sql": "SELECT 1"})
                assert not answers, [(a.status_code, a.text[:300]) for a in answers]
                return r if r.status_code == 503 else None

            busy = wait_until(refused, 30, interval=0.2, what="both query slots to be taken")
            # ... the third is answered at once with a retry hint ...
            assert busy.headers["Retry-After"] == "1"
            assert busy.json()["error"]["code"] == "busy"
            assert "DUCKSTRING_QUERY_CONCURRENCY" in busy.json()["error"]["message"]
            # ... and health and status still answer fast while they run
            for _ in range(10):
                started = time.monotonic()
                assert client.get("/api/health").status_code == 200
                assert client.get("/api/status").status_code == 200
                assert time.monotonic() - started < 2.0  # blocked, it would wait 20 s
            assert refused() is not None, "the slow queries ended before the checks were done"

            for t in runners:
                t.join(120)
            assert [a.status_code for a in answers] == [400, 400]
            assert all("longer than 20 s" in a.json()["error"]["message"] for a in answers)
            ok = client.post("/api/query", json={"pond": "data", "sql": "SELECT 42 AS answer"})
            assert ok.status_code == 200 and ok.json()["rows"] == [[42]]
    finally:
        server.terminate()
        server.wait(30)
