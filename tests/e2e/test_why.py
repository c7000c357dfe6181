"""Issue 14 item 1: `why` on a live Catchment — each kind of reason, asserted by its structured
fields (kind, rule, the Pond it names, times from the live state and the run history)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.e2e.conftest import write_pond
from tests.e2e.harness import deploy, pond, settled, wait_until

INLET = """
    from duckstring import ripple

    @ripple
    def numbers(pond):
        pond.write_table("numbers", pond.con.sql("SELECT range AS n FROM range(3)"))
    """

BROKEN = """
    from duckstring import ripple

    @ripple
    def numbers(pond):
        raise ValueError("the feed is down")
    """

# Runs until the test drops a file next to the project (so the test decides when it ends).
GATED = """
    import pathlib, time
    from duckstring import ripple

    @ripple
    def crawl(pond):
        gate = pathlib.Path({gate!r})
        deadline = time.monotonic() + 60
        while not gate.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        pond.write_table("numbers", pond.con.sql("SELECT 1 AS n"))
    """

SINK = """
    from duckstring import ripple

    @ripple
    def total(pond):
        pond.read_table("{src}.numbers")
        pond.write_table("total", pond.con.sql("SELECT count(*) AS n FROM numbers"))
    """


def _deploy(client: Any, project: Path) -> None:
    r = deploy(client, project)
    assert r.status_code == 201, r.text


def _pair(client: Any, tmp: Path, src: str, code: str) -> None:
    """An Inlet `src` and a Pond `<src>_sink` reading it."""
    _deploy(client, write_pond(tmp, src, "1.0.0", code, kind="inlet"))
    _deploy(client, write_pond(tmp, f"{src}_sink", "1.0.0", SINK.format(src=src),
                               sources={src: "1.0.0"}))


def _why(client: Any, name: str) -> dict[str, Any]:
    r = client.get(f"/api/ponds/{name}/why")
    assert r.status_code == 200, r.text
    return dict(r.json())


def _kinds(doc: dict[str, Any]) -> list[str]:
    return [r["kind"] for r in doc["reasons"]]


def test_why_blocked_names_the_failed_source_its_error_and_the_fix(
        start_catchment, tmp_path: Path) -> None:
    c = start_catchment()
    with c.client() as client:
        _pair(client, tmp_path, "feed", BROKEN)
        client.post("/api/ponds/feed_sink/pulse").raise_for_status()
        wait_until(lambda: pond(client, "feed_sink")["status"] == "blocked", 60,
                   what="feed_sink to be blocked")
        doc = _why(client, "feed_sink")
        assert doc["pond"] == "feed_sink@1" and doc["status"] == "blocked"
        blocked = doc["reasons"][0]
        assert (blocked["kind"], blocked["rule"], blocked["pond"]) == ("blocked", "§9", "feed@1")
        assert "ValueError" in blocked["error"] and "the feed is down" in blocked["error"]
        assert blocked["failed_at"] is not None and blocked["failed_at"] <= doc["now"]
        assert blocked["fix"] == "duckstring control clear feed"
        assert "`duckstring control clear feed` or deploy a fix" in blocked["text"]
        held = doc["reasons"][1]
        assert (held["kind"], held["rule"]) == ("holds", "§3, §9") and held["at"] is not None

        own = _why(client, "feed")
        assert own["status"] == "failed"
        assert own["reasons"][0]["kind"] == "failed" and own["reasons"][0]["failed_at"]

        # a Source that is not deployed: the fix is to deploy it
        _deploy(client, write_pond(tmp_path, "orphan", "1.0.0", SINK.format(src="ghost"),
                                   sources={"ghost": "1.0.0"}))
        doc = _why(client, "orphan")
        assert doc["status"] == "blocked"
        missing = doc["reasons"][0]
        assert (missing["kind"], missing["pond"], missing["rule"]) == ("blocked", "ghost@1", "§9")
        assert missing["fix"] == "duckstring pond deploy PATH/TO/ghost"
        assert "ghost@1 is not deployed" in missing["text"]


def test_why_queued_behind_a_running_source_then_will_pass(start_catchment,
                                                           tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    c = start_catchment()
    with c.client() as client:
        _pair(client, tmp_path, "slow", GATED.format(gate=str(gate)))
        target = client.post("/api/ponds/slow_sink/pulse").raise_for_status().json()["target"]
        wait_until(lambda: any(r["running"] for r in pond(client, "slow")["ripples"]), 60,
                   what="slow's Ripple to start")
        time.sleep(0.2)  # let some time pass: elapsed grows from the run's start
        doc = _why(client, "slow_sink")
        assert doc["status"] == "queued"
        assert _kinds(doc) == ["holds", "waits"]
        assert doc["reasons"][0]["at"] == target  # the Pulse's push target
        waits = doc["reasons"][1]
        assert (waits["rule"], waits["pond"], waits["ripples"]) == ("P4", "slow@1", ["crawl"])
        assert waits["since"] <= doc["now"] and waits["elapsed_s"] >= 0.2
        assert "waits for Source slow@1, running since" in waits["text"]
        assert "(crawl, " in waits["text"] and "so far)" in waits["text"]
        running = _why(client, "slow")["reasons"][0]
        assert (running["kind"], running["rule"], running["ripples"]) == ("running", "P5", ["crawl"])
        assert running["text"].startswith("Ripples crawl running since ")
        assert running["text"].endswith(" so far)") and running["elapsed_s"] >= 0.2

        gate.touch()
        wait_until(lambda: settled(client, "slow_sink", target), 60, what="slow_sink to settle")
        doc = _why(client, "slow_sink")
        assert doc["status"] == "idle"
        assert [(r["kind"], r["rule"]) for r in doc["reasons"]] == [("idle", "§3"),
                                                                    ("pass", "§6")]
        assert "no Source changed since its last run" in doc["reasons"][1]["text"]


def test_why_waits_for_a_window_and_idle_after_its_wave_is_removed(
        start_catchment, tmp_path: Path) -> None:
    c = start_catchment()
    with c.client() as client:
        _deploy(client, write_pond(tmp_path, "nightly", "1.0.0", INLET, kind="inlet"))
        now = int(time.time() * 1000)
        opens = (now // 3_600_000 + 2) * 3_600_000  # an hour boundary well ahead
        start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(opens / 1000))
        r = client.post("/api/ponds/nightly/windows", json={
            "name": "nightly", "start": start, "every_s": 86400, "duration_s": 600})
        assert r.status_code == 201, r.text
        client.post("/api/ponds/nightly/tap").raise_for_status()
        doc = wait_until(lambda: (d := _why(client, "nightly"))["status"] == "queued" and d, 30,
                         what="nightly to be queued")
        window = doc["reasons"][-1]
        assert (window["kind"], window["rule"]) == ("window", "§8")
        assert window["at"] == start.replace("Z", ".000Z")
        assert "waits for Window nightly to open at" in window["text"]

        _deploy(client, write_pond(tmp_path, "waved", "1.0.0", INLET, kind="inlet"))
        client.post("/api/ponds/waved/wave", json={"every_s": 3600}).raise_for_status()
        wait_until(lambda: pond(client, "waved")["runs_completed"] >= 1
                   and pond(client, "waved")["status"] == "idle", 60, what="waved's first run")
        assert _kinds(_why(client, "waved")) == ["standing"]
        before = _why(client, "waved")["now"]
        client.post("/api/ponds/waved/untrigger").raise_for_status()
        doc = _why(client, "waved")
        assert doc["status"] == "idle"
        idle = doc["reasons"][0]
        assert (idle["kind"], idle["rule"]) == ("idle", "§3, §7")
        assert before <= idle["at"] <= doc["now"]  # when the Wave was removed
        assert "its Wave was removed at" in idle["text"]

        assert client.get("/api/ponds/nowhere/why").status_code == 404
