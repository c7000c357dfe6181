"""Failures end to end: budgets and history, blocking, clear, redeploy, kill, lost Ducks."""

from __future__ import annotations

import os
from pathlib import Path

from tests.e2e.conftest import write_pond
from tests.e2e.harness import deploy, pond, wait_until

SOURCE = """
    from duckstring import ripple

    @ripple
    def numbers(pond):
        pond.write_table("numbers", pond.con.sql("SELECT range AS n FROM range(5)"))
    """

FLAKY = """
    from duckstring import ripple

    @ripple
    def check(pond):
        pond.read_table("numbers.numbers")
        raise ValueError("prices must not be negative")
    """

FIXED = """
    from duckstring import ripple

    @ripple
    def check(pond):
        pond.read_table("numbers.numbers")
        pond.write_table("checked", pond.con.sql("SELECT n FROM numbers"))
    """

SINK = """
    from duckstring import ripple

    @ripple
    def report(pond):
        pond.read_table("check.checked")
        pond.write_table("report", pond.con.sql("SELECT count(*) AS n FROM checked"))
    """

SLOW = """
    import time
    from duckstring import ripple

    @ripple
    def crawl(pond):
        time.sleep(60)
        pond.write_table("out", pond.con.sql("SELECT 1 AS v"))
    """


def _deploy(client, project: Path) -> None:
    r = deploy(client, project)
    assert r.status_code == 201, r.text


def _runs(client, name: str) -> list[dict]:
    return client.get("/api/runs", params={"pond": name, "ripples": "true"}).json()["runs"]


def test_failure_budgets_block_clear_and_redeploy(start_catchment, tmp_path: Path) -> None:
    c = start_catchment()
    with c.client() as client:
        _deploy(client, write_pond(tmp_path, "numbers", "1.0.0", SOURCE, kind="inlet"))
        _deploy(client, write_pond(tmp_path, "check", "1.0.0", FLAKY, sources={"numbers": "1.0.0"},
                                   extra="immediate_retries = 1"))
        _deploy(client, write_pond(tmp_path, "report", "1.0.0", SINK, sources={"check": "1.0.0"},
                                   kind="outlet"))
        client.post("/api/ponds/report/pulse").raise_for_status()
        wait_until(lambda: pond(client, "check")["status"] == "failed", 60, what="check to fail")

        failed = _runs(client, "check")[0]
        assert failed["status"] == "failed"
        attempts = failed["ripples"]
        assert [(a["ripple"], a["attempt"], a["status"]) for a in attempts] == [
            ("check", 1, "failed"), ("check", 2, "failed")]  # one immediate retry, same run
        assert "ValueError: prices must not be negative" in attempts[-1]["error"]
        assert 'raise ValueError("prices must not be negative")' in attempts[-1]["traceback"]
        assert "prices must not be negative" in failed["error"]
        assert failed["traceback"]

        report = pond(client, "report")
        assert report["status"] == "blocked" and report["blocked_by"] == ["check@1"]

        client.post("/api/ponds/check/clear").raise_for_status()
        assert pond(client, "check")["status"] == "idle"
        assert pond(client, "report")["is_blocked"] is False

        _deploy(client, write_pond(tmp_path, "check", "1.0.1", FIXED, sources={"numbers": "1.0.0"}))
        target = client.post("/api/ponds/report/pulse").json()["target"]
        wait_until(lambda: (p := pond(client, "report"))["status"] == "idle"
                   and p["end_f"] and p["end_f"] >= target, 60, what="the fixed pipeline")
        assert pond(client, "check")["version"] == "1.0.1"
        assert _runs(client, "check")[0]["status"] == "success"
        rows = client.post("/api/query", json={"pond": "report", "table": "report"}).json()["rows"]
        assert rows == [[5]]


def test_deploying_a_fixed_source_brings_the_pulsed_sink_to_its_target(
        start_catchment, tmp_path: Path) -> None:
    """Issue 8 item 2: the Sink keeps its Pulse while its Source is failed; deploying the fix
    is the recovery — the held Pulse reaches the Source and is served, no new trigger."""
    c = start_catchment()
    with c.client() as client:
        _deploy(client, write_pond(tmp_path, "numbers", "1.0.0", SOURCE, kind="inlet"))
        _deploy(client, write_pond(tmp_path, "check", "1.0.0", FLAKY, sources={"numbers": "1.0.0"}))
        _deploy(client, write_pond(tmp_path, "report", "1.0.0", SINK, sources={"check": "1.0.0"},
                                   kind="outlet"))
        target = client.post("/api/ponds/report/pulse").json()["target"]
        wait_until(lambda: pond(client, "check")["status"] == "failed", 60, what="check to fail")
        assert pond(client, "report")["status"] == "blocked"

        _deploy(client, write_pond(tmp_path, "check", "1.0.1", FIXED, sources={"numbers": "1.0.0"}))
        wait_until(lambda: (p := pond(client, "report"))["status"] == "idle"
                   and p["end_f"] and p["end_f"] >= target, 60,
                   what="the held Pulse to be served")
        assert [r["status"] for r in _runs(client, "check")] == ["success", "failed"]
        assert [r["status"] for r in _runs(client, "report")] == ["success"]
        assert pond(client, "numbers")["end_f"] == target  # served at its own freshness
        rows = client.post("/api/query", json={"pond": "report", "table": "report"}).json()["rows"]
        assert rows == [[5]]


def test_kill_terminates_a_long_ripple(start_catchment, tmp_path: Path) -> None:
    c = start_catchment()
    with c.client() as client:
        _deploy(client, write_pond(tmp_path, "slow", "1.0.0", SLOW, kind="inlet"))
        client.post("/api/ponds/slow/pulse").raise_for_status()
        wait_until(lambda: any(r["running"] for r in pond(client, "slow")["ripples"]), 30,
                   what="the Ripple to start")
        client.post("/api/ponds/slow/kill").raise_for_status()
        p = pond(client, "slow")
        assert p["status"] == "killed" and p["is_killed"]
        run = _runs(client, "slow")[0]
        assert run["status"] == "killed"
        assert run["ripples"][0]["status"] == "killed"
        # the Duck's work is terminated: no Duck keeps the 60 s sleep going
        lock = c.root / "ponds/slow/m1/duck.lock"
        wait_until(lambda: not _duck_busy(lock), 15, what="the Duck to stop its work")


def _duck_busy(lock: Path) -> bool:
    """Whether the line's Duck process is still alive."""
    try:
        pid = int(lock.read_text().strip() or 0)
    except (OSError, ValueError):
        return False
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_duck_killed_mid_run_fails_the_run_within_liveness(start_catchment, tmp_path: Path) -> None:
    c = start_catchment(DUCKSTRING_LIVENESS_S="2")
    with c.client() as client:
        _deploy(client, write_pond(tmp_path, "slow", "1.0.0", SLOW, kind="inlet"))
        client.post("/api/ponds/slow/pulse").raise_for_status()
        wait_until(lambda: any(r["running"] for r in pond(client, "slow")["ripples"]), 30,
                   what="the Ripple to start")
        pid = int((c.root / "ponds/slow/m1/duck.lock").read_text())
        os.kill(pid, 9)
        wait_until(lambda: pond(client, "slow")["status"] == "failed", 8,
                   what="the lost run to fail within the liveness timeout")
        run = _runs(client, "slow")[0]
        assert run["status"] == "failed"
        assert run["ripples"][0]["status"] == "failed"
        assert "Duck" in (run["ripples"][0]["error"] or "")
