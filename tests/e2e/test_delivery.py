"""Jobs are delivered at least once (issue 8.1): a poll that does not come from the line's Duck
process never takes its job, so a run is never left "running" with nothing running."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import httpx

from duckstring import protocol
from duckstring.embedded.access.gate import line_token
from duckstring.layout import Layout
from tests.e2e.conftest import write_pond
from tests.e2e.harness import deploy, settled, wait_until

INLET = """
    from duckstring import ripple

    @ripple
    def numbers(pond):
        pond.write_table("numbers", pond.con.sql("SELECT range AS n FROM range(3)"))
    """


def _duck_token(root: Path) -> str:
    with sqlite3.connect(Layout(root).db) as conn:
        return str(conn.execute("SELECT value FROM meta WHERE key = 'duck_token'").fetchone()[0])


def test_a_stale_poll_in_flight_never_takes_the_dispatched_run(start_catchment, root: Path,
                                                               tmp_path: Path) -> None:
    c = start_catchment()
    with c.client() as client:
        assert deploy(client, write_pond(tmp_path, "numbers", "1.0.0", INLET,
                                         kind="inlet")).status_code == 201
        dead = subprocess.Popen(["true"])
        dead.wait()  # a Duck that died with its long-poll still open
        answers: list[httpx.Response] = []

        def stale_poll() -> None:
            answers.append(httpx.get(
                f"{c.url}{protocol.jobs_path('numbers', 1)}",
                params={"wait": 20, "pid": dead.pid, "instance": "dead"},
                headers={"Authorization": f"Bearer {line_token(_duck_token(root), 'numbers@1')}"},
                timeout=60))

        poll = threading.Thread(target=stale_poll)
        poll.start()
        time.sleep(0.5)  # let it reach the server before the job is queued
        target = client.post("/api/ponds/numbers/pulse").raise_for_status().json()["target"]
        wait_until(lambda: settled(client, "numbers", target), 60, what="the Pulse to settle")
        poll.join(30)
    assert answers and answers[0].status_code == 200
    assert answers[0].json()["jobs"] == [] and answers[0].json()["stale"] is True
