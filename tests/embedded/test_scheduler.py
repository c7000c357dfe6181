"""The scheduler on a manual clock, in process: `step(at)` is driven by the test, the engine's
clock is a list the test moves, the launcher records; no port, no thread, no Duck process (where
a Duck must answer, the test speaks for it over the line's real Duck routes)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from duckstring import protocol
from duckstring.embedded.access.gate import line_token
from duckstring.embedded.app import Catchment, create_app
from duckstring.embedded.scheduler import Scheduler
from duckstring.embedded.settings import Settings
from tests.e2e.harness import deploy
from tests.embedded.test_server import Recorder, feed

T0 = 1_767_225_600_000
QUIET = {"liveness_s": 3600.0, "stuck_s": 3600.0}  # a silent Duck is never lost


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

    # -- the Duck of feed@1, spoken for over its own routes (pid 0: the Recorder's stand-in)
    def _duck(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {line_token(self.catchment.duck_token, LINE)}"}

    def jobs(self) -> list[str]:
        """Poll as the Duck, acknowledging what came: the types of the jobs queued for it."""
        got = self.client.get(protocol.jobs_path("feed", 1), headers=self._duck(), params={
            "wait": 0, "pid": 0, "instance": "stand-in", "ack": self._acked,
            "queue": self.catchment.supervisor.queue_id}).raise_for_status().json()["jobs"]
        if got:
            self._acked = got[-1]["seq"]
            self._begun += [j["f"] for j in got if j["type"] == protocol.BEGIN_RUN]
        return [j["type"] for j in got]

    def run(self) -> None:
        """Take the begin_run queued for the Duck and run it."""
        assert protocol.BEGIN_RUN in self.jobs()
        self.finish()

    def finish(self) -> None:
        """Report the run the Duck took, as a Duck does: the Ripple, then the run."""
        f, at = self._begun.pop(), self.now[0]
        events = [
            {"type": protocol.RIPPLE_STARTED, "f": f, "ripple": "load", "attempt": 1, "at": at},
            {"type": protocol.RIPPLE_SUCCEEDED, "f": f, "ripple": "load", "attempt": 1,
             "at": at, "log": ""},
            {"type": protocol.RUN_FINISHED, "f": f, "at": at, "changed": True,
             "tables": {"numbers": {"rows": 1, "columns": 1}}}]
        self.client.post(protocol.events_path("feed", 1), headers=self._duck(), json={
            "pid": 0, "instance": "stand-in", "events": events}).raise_for_status()
        assert self.status("feed")["status"] == "idle"

    def history(self) -> list[dict[str, object]]:
        return list(self.client.get("/api/runs", params={"pond": "feed"}).json()["runs"])

    _acked: int = 0
    _begun: list[int] = field(default_factory=list)


LINE = "feed@1"


@pytest.fixture(params=[{}])
def clocked(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Clocked]:
    """A Catchment with feed@1 deployed; `request.param`: settings (liveness bound 5 s)."""
    now, mono, launcher = [T0], [1000.0], Recorder()
    liveness = {"liveness_s": 5.0, "stuck_s": 5.0, **request.param}
    c = Catchment.open(Settings(root=tmp_path / "root", catchment_url="http://in-process",
                                heartbeat_s=1.0, **liveness),
                       launcher=launcher, clock=lambda: now[0])
    c.scheduler.stop()  # the test steps its own, on the manual clocks
    c.supervisor.monotonic = lambda: mono[0]
    scheduler = Scheduler(c.coordinator, c.supervisor, idle_s=c.settings.duck_idle_s,
                          check_s=1.0, prune=c.scheduler.prune)
    app = create_app(c)
    try:
        with httpx.Client(transport=httpx.WSGITransport(app=app),
                          base_url="http://in-process") as client:
            assert deploy(client, feed(tmp_path)).status_code == 201
            yield Clocked(client, c, scheduler, launcher, now, mono)
    finally:
        c.close(duck_timeout=0.1)


@pytest.mark.parametrize("clocked", [QUIET], indirect=True)
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


@pytest.mark.parametrize("clocked", [QUIET], indirect=True)
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


@pytest.mark.parametrize("clocked", [QUIET], indirect=True)
def test_a_duck_idle_for_idle_s_is_stopped_and_the_next_tap_starts_another(
        clocked: Clocked) -> None:
    assert clocked.client.post("/api/ponds/feed/tap", json={}).status_code == 200
    clocked.run()
    clocked.advance(1)  # the first check that sees it idle: its idle time counts from here
    for _ in range(59):
        clocked.advance(1)
        assert clocked.jobs() == []
    clocked.advance(1)
    assert clocked.jobs() == [protocol.SHUTDOWN]
    clocked.launcher.exit_all()  # the Duck does as asked
    clocked.advance(1)
    assert clocked.jobs() == []  # asked once
    assert clocked.client.post("/api/ponds/feed/tap", json={}).status_code == 200
    assert clocked.launcher.started == [LINE, LINE]  # a fresh Duck for the new work


@pytest.mark.parametrize("clocked", [QUIET], indirect=True)
def test_a_duck_with_work_or_a_standing_trigger_is_not_stopped(clocked: Clocked) -> None:
    assert clocked.client.post("/api/ponds/feed/tap", json={}).status_code == 200
    assert clocked.jobs() == [protocol.BEGIN_RUN]
    for _ in range(3):  # a run longer than idle_s: busy, however long it takes
        clocked.advance(60)
        assert clocked.jobs() == []
    clocked.finish()
    tide = clocked.client.post("/api/ponds/feed/tide", json={"bound_s": 86_400})
    assert tide.status_code == 200  # standing, and the data is fresh: no work, yet it stays
    for _ in range(3):
        clocked.advance(60)
        assert clocked.jobs() == []
    assert clocked.client.post("/api/ponds/feed/untrigger", json={}).status_code == 200
    for _ in range(61):
        clocked.advance(1)
    assert clocked.jobs() == [protocol.SHUTDOWN]


@pytest.mark.parametrize("clocked", [{**QUIET, "history_max_runs": 2}], indirect=True)
def test_history_beyond_max_runs_is_pruned_at_start_and_then_hourly(clocked: Clocked) -> None:
    for _ in range(4):
        clocked.advance(1)  # the first pass prunes (nothing yet), the next hour's is far off
        assert clocked.client.post("/api/ponds/feed/tap", json={}).status_code == 200
        clocked.run()
    assert len(clocked.history()) == 4
    clocked.advance(3600)
    kept = clocked.history()
    assert len(kept) == 2
    assert [r["f"] for r in kept] == sorted((r["f"] for r in kept), reverse=True)


@pytest.mark.parametrize("clocked", [{**QUIET, "history_days": 1.0}], indirect=True)
def test_history_and_audit_older_than_history_days_are_pruned(clocked: Clocked) -> None:
    clocked.advance(1)  # the pass at start: nothing to prune yet
    budget = clocked.client.post("/api/ponds/feed/budget", json={"immediate_retries": 1})
    assert budget.status_code == 200  # an audited change
    for _ in range(2):
        assert clocked.client.post("/api/ponds/feed/tap", json={}).status_code == 200
        clocked.run()
        clocked.advance(1)
    assert len(clocked.history()) == 2
    assert clocked.client.get("/api/audit").json()["entries"]
    clocked.advance(86_400)  # a day on both clocks: the rows are older than history_days
    assert len(clocked.history()) == 1  # a line's newest row always stays
    assert clocked.client.get("/api/audit").json()["entries"] == []


@pytest.mark.parametrize("clocked", [QUIET], indirect=True)
def test_a_catchment_started_with_a_tighter_retention_prunes_at_once(
        clocked: Clocked, tmp_path: Path) -> None:
    from tests.e2e.harness import wait_until

    for _ in range(4):
        clocked.advance(1)  # a tap at a later now: a new run
        assert clocked.client.post("/api/ponds/feed/tap", json={}).status_code == 200
        clocked.run()
    assert len(clocked.history()) == 4
    clocked.catchment.close(duck_timeout=0.1)
    # history_days=0: the rows' manual-clock times are not aged by the wall clock's
    again = create_app(Catchment.open(Settings(root=tmp_path / "root", history_max_runs=2,
                                               history_days=0, catchment_url="http://in-process"),
                                      launcher=Recorder()))  # its own scheduler thread
    try:
        with httpx.Client(transport=httpx.WSGITransport(app=again),
                          base_url="http://in-process") as client:
            wait_until(lambda: len(client.get("/api/runs", params={"pond": "feed"}).json()[
                "runs"]) == 2, timeout=10, what="the history pruned at start")
    finally:
        again.catchment.close(duck_timeout=0.1)
