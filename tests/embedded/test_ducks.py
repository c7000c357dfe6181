"""The Catchment's job queues (duckstring/embedded/supervisor.py): delivery at least once, polls bound
to the line's Duck process, and the stuck detector. Real child processes stand in for Ducks
(the Supervisor only watches their pids); the clock of the stuck bound is an argument."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from duckstring import protocol
from duckstring.embedded.longpoll import LongPolls
from duckstring.embedded.supervisor import ProcessHandle, Supervisor
from duckstring.layout import Layout
from duckstring.wake import Waker, fifo_path
from tests.e2e.harness import wait_until

pytestmark = pytest.mark.timeout(30)
LINE = "sales@1"


class Sleepers:
    """Spawns a sleeping process per "Duck"."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def spawn(self, line: str, url: str, token: str) -> ProcessHandle:
        proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
        self.procs.append(proc)
        return ProcessHandle(proc)

    def adopt(self, line: str) -> None:
        return None


@pytest.fixture
def sleepers() -> Iterator[Sleepers]:
    s = Sleepers()
    yield s
    for proc in s.procs:
        proc.kill()
        proc.wait()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def supervisor(tmp_path: Path, sleepers: Sleepers, **kw: object) -> Supervisor:
    return Supervisor(Layout(tmp_path / "root"), sleepers, "tok", "http://127.0.0.1:1",
                      liveness_s=60, longpolls=LongPolls(4), **kw)  # type: ignore[arg-type]


def begin(f: int = 1) -> dict[str, object]:
    return protocol.begin_run(f, "1.0.0", 1, False, True)


def kinds(jobs: list[dict[str, object]]) -> list[object]:
    return [j["type"] for j in jobs]


def test_a_job_stays_queued_until_the_duck_acknowledges_it(tmp_path: Path, sleepers: Sleepers):
    sup = supervisor(tmp_path, sleepers)
    sup.send(LINE, begin())
    pid = sleepers.procs[0].pid
    first = sup.take(LINE, 0, pid, "a")
    assert kinds(first.jobs) == ["begin_run"]
    # the answer never reached the Duck (it gave up on the request): the next poll gets it again
    again = sup.take(LINE, 0, pid, "a")
    assert again.jobs == first.jobs
    seq = first.jobs[0]["seq"]
    assert sup.take(LINE, 0, pid, "a", ack=seq, queue=sup.queue_id).jobs == []
    # an acknowledgement in another Catchment's numbering drops nothing
    sup.send(LINE, {"type": protocol.KILL})
    assert kinds(sup.take(LINE, 0, pid, "a", ack=10**9, queue="other").jobs) == ["kill"]


def test_a_dead_ducks_poll_in_flight_never_takes_the_resent_job(tmp_path: Path, sleepers: Sleepers):
    """The lost dispatch of issue 8.1: the re-sent begin_run went to a long-poll of the Duck that
    was just killed, and that poll made the supervisor drop its handle on the new child."""
    sup = supervisor(tmp_path, sleepers)
    sup.send(LINE, begin())
    old = sleepers.procs[0]
    got = sup.take(LINE, 0, old.pid, "a")
    ack = {"ack": got.jobs[-1]["seq"], "queue": sup.queue_id}
    with ThreadPoolExecutor(1) as pool:
        stale = pool.submit(sup.take, LINE, 10, old.pid, "a", **ack)  # type: ignore[arg-type]
        wait_until(lambda: sup.longpolls.held == 1, 10, what="the long-poll to wait")
        old.kill()
        old.wait()
        assert sup.check({LINE}) == [(LINE, "the Duck exited with code -9")]
        sup.send(LINE, begin())  # the retry
        new = sleepers.procs[1]
        late = stale.result(10)
    assert late.stale and late.jobs == []
    assert sup.take(LINE, 0, old.pid, "a", **ack).stale  # type: ignore[arg-type]
    got = sup.take(LINE, 0, new.pid, "b")
    assert not got.stale and kinds(got.jobs) == ["begin_run"]
    assert sup.check({LINE}) == []  # still watching the new child
    assert sup.live_lines() == {LINE}


def test_a_replaced_instance_of_the_same_process_is_stale(tmp_path: Path, sleepers: Sleepers):
    sup = supervisor(tmp_path, sleepers)
    sup.send(LINE, begin())
    pid = sleepers.procs[0].pid
    assert not sup.take(LINE, 0, pid, "before-exec").stale
    assert not sup.take(LINE, 0, pid, "after-exec").stale
    assert sup.take(LINE, 0, pid, "before-exec").stale


def test_a_process_that_is_not_the_lines_duck_takes_nothing(tmp_path: Path, sleepers: Sleepers):
    sup = supervisor(tmp_path, sleepers)
    sup.send(LINE, begin())
    stranger = subprocess.Popen(["true"])
    stranger.wait()
    assert sup.take(LINE, 0, stranger.pid, "x").stale
    assert kinds(sup.take(LINE, 0, sleepers.procs[0].pid, "a").jobs) == ["begin_run"]


def test_a_run_with_nothing_running_and_nothing_queued_is_stuck(tmp_path: Path, sleepers: Sleepers):
    clock = Clock()
    sup = supervisor(tmp_path, sleepers, stuck_s=30.0, monotonic=clock)
    sup.send(LINE, begin())
    pid = sleepers.procs[0].pid
    seq = sup.take(LINE, 0, pid, "a").jobs[0]["seq"]
    clock.now += 29
    sup.heard_from(LINE, pid, "a")  # a heartbeat: the Duck has work
    clock.now += 29
    assert sup.check({LINE}) == []
    sup.take(LINE, 0, pid, "a", ack=seq, queue=sup.queue_id)  # polls, but reports no work
    clock.now += 2
    assert sup.check({LINE}) == [
        (LINE, "stuck: the run had nothing running and nothing queued for 30 s")]
    assert sup.live_lines() == {LINE}  # the Duck stays, to serve the retry
    clock.now += 10
    assert sup.check({LINE}) == []  # counted afresh


def test_a_queued_job_is_never_stuck_and_pokes_the_ducks_fifo(tmp_path: Path, sleepers: Sleepers):
    clock = Clock()
    sup = supervisor(tmp_path, sleepers, stuck_s=30.0, monotonic=clock)
    waker = Waker(fifo_path(sup.layout.root, "sales", 1))
    try:
        woke: list[bool] = []
        t = threading.Thread(target=lambda: woke.append(waker.wait(10)))
        t.start()
        sup.send(LINE, begin())
        t.join(10)
        assert woke == [True]
        clock.now += 31
        sup.take(LINE, 0, sleepers.procs[0].pid, "a")  # answered, not acknowledged
        assert sup.check({LINE}) == []
    finally:
        waker.close()


def test_a_duck_still_starting_gets_longer_to_make_contact(tmp_path: Path, sleepers: Sleepers):
    clock = Clock()
    sup = supervisor(tmp_path, sleepers, monotonic=clock)
    sup.send(LINE, begin())
    clock.now += 61
    assert sup.check({LINE}) == []  # 100 Ducks importing at once on two cores are slow
    clock.now += 120
    assert sup.check({LINE}) == [(LINE, "no contact from the Duck for 180 s")]
    sup.send(LINE, begin())
    sup.take(LINE, 0, sleepers.procs[1].pid, "b")  # made contact: the usual bound from now
    clock.now += 61
    assert sup.check({LINE}) == [(LINE, "no contact from the Duck for 60 s")]


class Stubborn(Sleepers):
    """Ducks that ignore both the shutdown job and SIGTERM (`exec` keeps the ignore)."""

    def spawn(self, line: str, url: str, token: str) -> ProcessHandle:
        proc = subprocess.Popen(["sh", "-c", "trap '' TERM; exec sleep 60"],
                                start_new_session=True)
        self.procs.append(proc)
        return ProcessHandle(proc)


def _ignores_term(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status").read_text()
    ignored = int(next(x for x in status.splitlines() if x.startswith("SigIgn:")).split()[1], 16)
    return bool(ignored & (1 << 14))  # SIGTERM is signal 15


def test_stubborn_ducks_are_stopped_against_one_deadline_not_one_each(tmp_path: Path) -> None:
    ducks = Stubborn()
    try:
        sup = supervisor(tmp_path, ducks)
        for n in range(4):
            sup.send(f"line{n}@1", begin())
        wait_until(lambda: len(ducks.procs) == 4 and all(_ignores_term(p.pid) for p in ducks.procs),
                   10, what="four Ducks that ignore SIGTERM")
        started = time.monotonic()
        sup.stop_all(timeout=0.2, grace=1.0)
        took = time.monotonic() - started
        assert all(p.poll() is not None for p in ducks.procs)
        # 0.2 s asking, then SIGTERM and 1 s of grace for all of them at once, then SIGKILL:
        # one Duck after the other, four of them, took at least 4 × 1 s
        assert took < 3.0, took
    finally:
        for proc in ducks.procs:
            proc.kill()
            proc.wait()
