"""The scheduler on a manual clock, in process: `step(at)` is driven by the test, the engine's
clock is a list the test moves, the launcher records; no port, no thread, no Duck process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from duckstring.embedded.app import Catchment, create_app
from duckstring.embedded.scheduler import Scheduler
from duckstring.embedded.settings import Settings
from tests.e2e.harness import deploy
from tests.embedded.test_server import Recorder, feed

T0 = 1_767_225_600_000


@dataclass
class Clocked:
    client: httpx.Client
    catchment: Catchment
    scheduler: Scheduler
    launcher: Recorder
    now: list[int]  # the engine's clock (ms)
    mono: list[float]  # the supervisor's monotonic clock (s)

    def advance(self, s: float) -> None:
        self.now[0] += int(s * 1000)
        self.mono[0] += s
        self.scheduler.step(self.mono[0])

    def status(self, pond: str) -> dict[str, object]:
        ponds = {p["name"]: p for p in self.client.get("/api/status").json()["ponds"]}
        return dict(ponds[pond])


@pytest.fixture(params=[5.0])
def clocked(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Clocked]:
    """A Catchment with feed@1 deployed; `request.param` is its liveness bound (s)."""
    now, mono, launcher = [T0], [1000.0], Recorder()
    c = Catchment.open(Settings(root=tmp_path / "root", catchment_url="http://in-process",
                                liveness_s=request.param, stuck_s=request.param,
                                heartbeat_s=1.0),
                       launcher=launcher, clock=lambda: now[0])
    c.scheduler.stop()  # the test steps its own, on the manual clocks
    c.supervisor.monotonic = lambda: mono[0]
    scheduler = Scheduler(c.coordinator, c.supervisor, idle_s=60.0, check_s=1.0)
    app = create_app(c)
    try:
        with httpx.Client(transport=httpx.WSGITransport(app=app),
                          base_url="http://in-process") as client:
            assert deploy(client, feed(tmp_path)).status_code == 201
            yield Clocked(client, c, scheduler, launcher, now, mono)
    finally:
        c.close(duck_timeout=0.1)


@pytest.mark.parametrize("clocked", [3600.0], indirect=True)  # the silent Duck is not lost
def test_a_tide_taps_when_its_deadline_passes_and_not_before(clocked: Clocked) -> None:
    co = clocked.catchment.coordinator
    assert clocked.client.post("/api/ponds/feed/tide", json={"bound_s": 60}).status_code == 200
    deadline = co.next_deadline()
    assert deadline is not None and deadline > clocked.now[0]
    clocked.advance((deadline - clocked.now[0]) / 1000 - 1)
    assert co.next_deadline() == deadline  # not yet
    clocked.advance(1)
    assert co.next_deadline() != deadline  # the Tick was applied at the deadline
    assert "feed@1" in clocked.launcher.started


def test_a_silent_duck_with_work_is_lost_after_the_liveness_bound(clocked: Clocked) -> None:
    assert clocked.client.post("/api/ponds/feed/tap", json={}).status_code == 200
    for _ in range(14):  # within the bound: a Duck never heard from gets STARTUP_LIVENESS × liveness_s
        clocked.advance(1)
    assert clocked.status("feed")["status"] in ("queued", "running")
    clocked.advance(2)
    feed = clocked.status("feed")
    assert feed["status"] == "failed", feed
    assert feed["error"] == "no contact from the Duck for 15 s"
    run = clocked.client.get("/api/runs", params={"pond": "feed"}).json()["runs"][0]
    assert (run["status"], run["duration_s"]) == ("failed", 16.0)


@pytest.mark.parametrize("clocked", [3600.0], indirect=True)
def test_an_inlet_tapped_outside_its_window_runs_when_the_window_opens(clocked: Clocked) -> None:
    from duckstring.times import iso

    opens = T0 + 600_000
    added = clocked.client.post("/api/ponds/feed/windows", json={
        "name": "nightly", "every_s": 3600, "start": iso(opens), "duration_s": 60})
    assert added.status_code in (200, 201), added.text
    assert clocked.client.post("/api/ponds/feed/tap", json={}).status_code == 200
    clocked.advance(599)
    assert clocked.launcher.started == []  # waiting for its Window
    assert clocked.catchment.coordinator.next_deadline() == opens
    clocked.advance(1)
    assert clocked.launcher.started == ["feed@1"]
