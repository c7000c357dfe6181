"""Hosting: the packaged WSGI entry under waitress-serve, the single-brain lock, and keys."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from duckstring.embedded.access.gate import line_token
from tests.e2e.conftest import write_pond
from tests.e2e.harness import deploy, free_port, pond, serving, wait_until, waitress_serve

SIMPLE = """
    from duckstring import ripple

    @ripple
    def make(pond):
        pond.write_table("t", pond.con.sql("SELECT 42 AS answer"))
    """


def _waitress(root: Path, env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    return waitress_serve(root, env, port, log, "--threads", "8")


def test_waitress_serve_hosts_a_working_catchment_and_a_second_refuses(
        env: dict[str, str], root: Path, tmp_path: Path) -> None:
    port = free_port()
    first = _waitress(root, env, port, tmp_path / "first.log")
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(serving(url), 30, what="waitress-serve")
        with httpx.Client(base_url=url, timeout=60) as client:
            r = deploy(client, write_pond(tmp_path, "answer", "1.0.0", SIMPLE, kind="inlet"))
            assert r.status_code == 201, r.text
            client.post("/api/ponds/answer/pulse").raise_for_status()
            wait_until(lambda: pond(client, "answer")["end_f"], 60, what="the run")
            rows = client.post("/api/query", json={"pond": "answer", "table": "t"}).json()["rows"]
            assert rows == [[42]]

        second = _waitress(root, env, free_port(), tmp_path / "second.log")
        assert second.wait(30) != 0
        assert "already running" in (tmp_path / "second.log").read_text()
    finally:
        first.terminate()
        first.wait(30)


@pytest.fixture
def keyed(start_catchment):
    return start_catchment(key="s3cret-key")


def test_a_keyed_catchment_refuses_requests_without_the_key(keyed) -> None:
    assert httpx.get(f"{keyed.url}/api/health").status_code == 200
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-key"}):
        r = httpx.get(f"{keyed.url}/api/status", headers=headers)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthorized"
    ok = httpx.get(f"{keyed.url}/api/status", headers={"Authorization": "Bearer s3cret-key"})
    assert ok.status_code == 200
    duck = httpx.get(f"{keyed.url}/api/duck/x/1/jobs",
                     headers={"Authorization": "Bearer s3cret-key"})
    assert duck.status_code == 401  # a user key is not the Duck token


def test_a_keyed_catchment_still_runs_its_ducks(keyed, tmp_path: Path) -> None:
    with keyed.client() as client:
        assert deploy(client, write_pond(tmp_path, "answer", "1.0.0", SIMPLE, kind="inlet")).status_code == 201
        client.post("/api/ponds/answer/pulse").raise_for_status()
        wait_until(lambda: pond(client, "answer")["end_f"], 60, what="the run")


def test_duck_token_stays_out_of_the_command_line(keyed, tmp_path: Path) -> None:
    slow = write_pond(tmp_path, "slow", "1.0.0", """
        import time
        from duckstring import ripple

        @ripple
        def crawl(pond):
            time.sleep(5)
        """, kind="inlet")
    with keyed.client() as client:
        assert deploy(client, slow).status_code == 201
        client.post("/api/ponds/slow/pulse").raise_for_status()
        wait_until(lambda: any(r["running"] for r in pond(client, "slow")["ripples"]), 30,
                   what="the Duck to start")
        pid = int((keyed.root / "ponds/slow/m1/duck.lock").read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        assert "duckstring.duck" in cmdline
        import sqlite3

        token = sqlite3.connect(keyed.root / "duck.db").execute(
            "SELECT value FROM meta WHERE key = 'duck_token'").fetchone()[0]
        assert token not in cmdline and "s3cret-key" not in cmdline
        assert line_token(token, "slow@1") not in cmdline
        client.post("/api/ponds/slow/kill").raise_for_status()
