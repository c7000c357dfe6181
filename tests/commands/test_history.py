"""Paced Waves and bounded history, end to end on a served Catchment with real Ducks:
`trigger wave POND --every D` re-taps no sooner than D after its last tap; consecutive passes
of a line share one history row; `runs` shows pond.log lines (every attempt's with --logs).
Retention (at start, hourly, by runs and by days) is in tests/embedded/test_scheduler.py, in
process on a manual clock."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from duckstring.times import parse_instant
from tests.commands.conftest import Cli, assert_nothing_running, serving
from tests.e2e.harness import free_port, wait_until

TICK = '''
import time

from duckstring import ripple


@ripple
def tick(pond):
    time.sleep(0.01)
    pond.log.info("ticked at %s", pond.f)
    pond.write_table("tick", pond.con.sql("SELECT 1 AS n"))
    pond.skip()  # the same table every time: its Sinks pass
'''

ECHO = '''
from duckstring import ripple


@ripple
def echo(pond):
    pond.read_table("tick.tick")
    pond.write_table("echo", pond.con.sql("SELECT n FROM tick"))
'''


def project(base: Path, name: str, code: str, sources: str = "") -> Path:
    root = base / name
    (root / "src").mkdir(parents=True)
    kind = "pond" if sources else "inlet"
    (root / "pond.toml").write_text(
        f'[pond]\nname = "{name}"\nversion = "1.0.0"\ntype = "{kind}"\n{sources}')
    (root / "src/pond.py").write_text(textwrap.dedent(code))
    return root


def runs(url: str, pond: str, limit: int = 10_000) -> list[dict[str, Any]]:
    r = httpx.get(f"{url}/api/runs", params={"pond": pond, "limit": limit}, timeout=30)
    r.raise_for_status()
    return list(r.json()["runs"])


def status(url: str, pond: str) -> dict[str, Any]:
    doc = httpx.get(f"{url}/api/status", timeout=30).raise_for_status().json()
    return next(p for p in doc["ponds"] if p["name"] == pond)


@pytest.fixture
def ticks(cli: Cli) -> Iterator[Cli]:
    cli.ok("catchment", "init", "-n", "dev", "-p", str(free_port()), "--no-start")
    project(cli.base, "tick", TICK)
    project(cli.base, "echo", ECHO, '[sources]\ntick = "1.0.0"\n')
    cli.ok("pond", "deploy", "tick", "-y")
    cli.ok("pond", "deploy", "echo", "-y")
    yield cli
    assert_nothing_running(cli.home / "dev")


def test_a_paced_wave_on_a_10ms_inlet_runs_at_most_once_per_every(ticks: Cli) -> None:
    with serving(ticks) as url:
        r = ticks.ok("trigger", "wave", "tick", "--every", "2s", "--silent")
        assert "Wave (every 2s) set on tick@1" in r.out
        set_at = time.time()
        assert status(url, "tick")["trigger"] == {"type": "wave", "every_s": 2.0}
        time.sleep(10)  # the acceptance window: 10 s of a 2 s pacing
        ticks.ok("trigger", "remove", "tick")
        window = [r for r in runs(url, "tick")
                  if set_at * 1000 - 500 <= parse_instant(r["started_at"]) <= set_at * 1000 + 10_000]
        assert 2 <= len(window) <= 6, [r["started_at"] for r in window]
        listed = ticks.ok("status", "--once").out
        assert "wave every 2s" not in listed  # removed


@pytest.mark.timeout(360)
def test_a_thousand_passes_make_a_handful_of_rows(ticks: Cli) -> None:
    with serving(ticks) as url:
        ticks.ok("trigger", "wave", "echo", "--silent")
        wait_until(lambda: status(url, "echo")["runs_completed"] >= 1000, timeout=280,
                   interval=0.5, what="1,000 runs of echo")
        ticks.ok("trigger", "remove", "echo")
        rows = runs(url, "echo")
        assert len(rows) <= 5, [(r["status"], r["count"]) for r in rows]
        passes = [r for r in rows if r["status"] == "passed"]
        assert sum(r["count"] for r in passes) >= 990
        big = max(passes, key=lambda r: r["count"])
        assert big["first_f"] < big["f"] and big["started_at"] < big["finished_at"]
        shown = ticks.ok("runs", "echo", "-n", "3").out
        assert f"passed ×{big['count']}" in shown and "nothing executed" in shown


BOOM = '''
from duckstring import ripple


@ripple
def boom(pond):
    pond.log.warning("about to divide by zero")
    return 1 / 0
'''


def test_runs_shows_pond_log_lines_always_for_failures_and_with_logs(ticks: Cli) -> None:
    ticks.ok("trigger", "pulse", "tick")
    plain = ticks.ok("runs", "tick").out
    assert "pond.log:" not in plain  # a successful attempt keeps its log to itself …
    logged = ticks.ok("runs", "tick", "--logs").out
    assert "pond.log:" in logged and "ticked at" in logged  # … unless asked
    project(ticks.base, "boom", BOOM)
    ticks.ok("pond", "deploy", "boom", "-y")
    assert ticks("trigger", "pulse", "boom").code == 1
    failed = ticks.ok("runs", "boom").out
    assert "ZeroDivisionError" in failed and "pond.log:" in failed
    assert "about to divide by zero" in failed


def test_a_live_view_of_a_hot_wave_redraws_at_most_ten_times_a_second(ticks: Cli) -> None:
    import signal

    with serving(ticks) as url:
        ticks.ok("trigger", "wave", "tick", "--silent")  # emergent: a hot loop on a 10 ms Inlet
        wait_until(lambda: status(url, "tick")["runs_completed"] >= 20, timeout=60,
                   what="the Wave to run")
        before = status(url, "tick")["runs_completed"]
        view = ticks.popen("status")  # off a terminal: a line per change it saw
        started = time.monotonic()
        time.sleep(4)
        view.send_signal(signal.SIGINT)
        out, err = view.communicate(timeout=30)
        elapsed = time.monotonic() - started
        ran = status(url, "tick")["runs_completed"] - before
        ticks.ok("trigger", "remove", "tick")
    assert view.returncode == 0, err
    seen = [line for line in out.splitlines() if "tick@1" in line]
    assert len(seen) <= elapsed * 10 + 3, (len(seen), elapsed)
    assert ran > len(seen), "the graph changed faster than the view redrew"
