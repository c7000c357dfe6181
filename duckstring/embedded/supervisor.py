"""The Catchment's side of its Ducks (docs/operating.md §1–§3): one job queue per line, the Duck
processes behind them, and how we notice one is gone.

- A Duck is spawned on its line's first job, and adopted instead when one already holds the
  line's lock (it survived a Catchment restart): never two Ducks for one line.
- Secrets reach a Duck through its environment, never its command line (`ps` shows argv).
- Jobs wait in memory until the Duck acknowledges them (at least once): a poll answers every job
  still outstanding, each with a sequence number, and the next poll's `ack` drops those it got.
  A job handed to a poll that never reached the Duck (it died, or gave up on the request) is
  simply answered again. A Catchment that dies loses its queues, but everything they held is
  re-derived at start from duck.db (in-flight runs are re-dispatched), so nothing is forgotten.
- A poll is bound to one Duck process: the line's process (the one we spawned, or the holder of
  the line's lock) and its instance id, minted at launch. A poll from anything else (a dead
  Duck's request still in flight, an instance that re-exec'd) is stale: it takes nothing, counts
  as no contact, and never changes which process we watch.
- Queuing a job pokes the line's wake-up FIFO (duckstring/wake.py), so Ducks wait without
  holding a connection or a server thread.
- Lost: a spawned Duck that exited, an adopted one whose pid is gone, or any Duck silent past
  the liveness timeout while its line has work; and stuck: a line holding a run with nothing
  queued whose Duck reported no work for the stuck bound (it lost the job). The coordinator
  turns either into `RunLost`, the fault path.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from duckstring import protocol
from duckstring.embedded.access.gate import line_token
from duckstring.embedded.longpoll import LongPolls
from duckstring.embedded.root_lock import FileLock
from duckstring.engine import split_line
from duckstring.layout import Layout
from duckstring.wake import fifo_path, poke

log = logging.getLogger("duckstring")
RETIRED_KEEP = 8  # instance ids remembered per line as no longer current
STARTUP_LIVENESS = 3


class DuckHandle(Protocol):
    """One Duck as its launcher started (or found) it: a local process, or one somewhere else."""

    @property
    def pid(self) -> int | None:
        """The Duck process's pid as the Duck reports it (on its own machine), if known."""

    def alive(self) -> bool: ...

    def gone(self) -> str:
        """Why it is not alive (the fault's reason)."""

    def stop(self, sig: int) -> None:
        """SIGTERM: ask it to leave; SIGKILL: end it (a remote one: its actor)."""

    def wait(self, timeout: float) -> None:
        """Wait up to `timeout` for it to be gone (after `stop`)."""

    def where(self) -> dict[str, str | None]:
        """`{"launcher": …, "node": …}` for status and history."""


class Launcher(Protocol):
    """Starts Ducks, and finds the ones it started that outlived the last Catchment. A local
    Duck that holds its line's lock on this root is found by the Supervisor itself."""

    def spawn(self, line: str, url: str, token: str) -> DuckHandle: ...

    def adopt(self, line: str) -> DuckHandle | None: ...


NODE = os.uname().nodename


class ProcessHandle:
    """A Duck process we started (a `Popen`)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    @property
    def pid(self) -> int | None:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def gone(self) -> str:
        return f"the Duck exited with code {self.proc.returncode}"

    def stop(self, sig: int) -> None:
        if self.proc.pid:
            with contextlib.suppress(OSError):
                os.kill(self.proc.pid, sig)

    def wait(self, timeout: float) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=timeout)

    def where(self) -> dict[str, str | None]:
        return {"launcher": "local", "node": NODE}


class PidHandle:
    """A local Duck we did not start: the holder of its line's lock."""

    def __init__(self, pid: int) -> None:
        self._pid = pid

    @property
    def pid(self) -> int | None:
        return self._pid

    def alive(self) -> bool:
        return pid_alive(self._pid)

    def gone(self) -> str:
        return "the Duck process is gone"

    def stop(self, sig: int) -> None:
        with contextlib.suppress(OSError):
            os.kill(self._pid, sig)

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)

    def where(self) -> dict[str, str | None]:
        return {"launcher": "local", "node": NODE}


class ProcessLauncher:
    """Starts `python -m duckstring.duck` for a line, logging to the line's duck.log; its
    environment is `environ(line)` (the server's, with the line's secrets: team.py)."""

    def __init__(self, layout: Layout,
                 environ: Callable[[str], Mapping[str, str]] | None = None) -> None:
        self.layout = layout
        self.environ = environ or (lambda line: os.environ)

    def spawn(self, line: str, url: str, token: str) -> ProcessHandle:
        name, major = split_line(line)
        log_path = self.layout.duck_log(name, major)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**self.environ(line), protocol.URL_ENV: url, protocol.TOKEN_ENV: token}
        env.pop("DUCKSTRING_API_KEY", None)  # a Duck never needs the user key
        with open(log_path, "ab") as log:
            return ProcessHandle(subprocess.Popen(
                [sys.executable, "-m", "duckstring.duck", "--root", str(self.layout.root),
                 "--line", line],
                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, close_fds=True,
            ))

    def adopt(self, line: str) -> DuckHandle | None:
        return None  # a local Duck that outlived us holds its line's lock: the Supervisor's


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Slot:
    line: str
    jobs: deque[tuple[int, dict[str, Any]]] = field(default_factory=deque)  # (seq, job), unacked
    handle: DuckHandle | None = None  # the line's Duck, started or adopted
    instance: str | None = None  # the current Duck process's instance id, once it polled
    retired: deque[str] = field(default_factory=lambda: deque(maxlen=RETIRED_KEEP))
    last_contact: float = 0.0
    last_report: float = 0.0  # the Duck's last event (heartbeats come only while it has work)
    polling: int = 0  # long-polls in progress
    heard: bool = False  # the current process has reached us (else it is still starting)
    lost: bool = False  # reported lost; quiet until it is heard from or replaced
    failed: str | None = None  # why its launcher could not start a Duck, until reported
    last_where: dict[str, str | None] | None = None  # where its last Duck ran

    def running(self) -> bool:
        return self.handle is not None and self.handle.alive()


@dataclass(frozen=True)
class Poll:
    """What a Duck's poll answers: the jobs, whether it could wait, and whether it was stale."""

    jobs: list[dict[str, Any]]
    waited: bool
    stale: bool = False


def _wait_gone(slots: list[Slot], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while any(slot.running() for slot in slots) and time.monotonic() < deadline:
        time.sleep(0.05)


class Supervisor:
    def __init__(self, layout: Layout, launcher: Launcher, token: str, url: str | None,
                 liveness_s: float, longpolls: LongPolls | None = None, stuck_s: float = 30.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.layout = layout
        self.launcher = launcher
        self.token = token
        self.url: str | None = None
        self.liveness_s = liveness_s
        self.stuck_s = stuck_s
        self.longpolls = longpolls or LongPolls(2)
        self.queue_id = secrets.token_hex(4)  # names this Catchment's job numbering
        self._seq = itertools.count(1)
        self.monotonic = monotonic
        self.stopping = False
        self._cond = threading.Condition()
        self._slots: dict[str, Slot] = {}
        if url:
            self.set_url(url)

    # -- queues ----------------------------------------------------------------------------
    def send(self, line: str, job: dict[str, Any]) -> None:
        with self._cond:
            slot = self._slot(line)
            if job["type"] == protocol.BEGIN_RUN:
                self._ensure(slot)
                slot.last_report = self.monotonic()  # the stuck bound counts from here
            elif not slot.running():
                return  # kill/shutdown for a Duck that is not there: nothing to do
            self._queue(slot, job)

    def _queue(self, slot: Slot, job: dict[str, Any]) -> None:
        slot.jobs.append((next(self._seq), job))
        self._cond.notify_all()
        name, major = split_line(slot.line)
        poke(fifo_path(self.layout.root, name, major))

    def take(self, line: str, wait: float, pid: int | None, instance: str | None = None,
             ack: int = 0, queue: str | None = None) -> Poll:
        """A Duck's poll: drop the jobs it acknowledges (`ack`, numbered in our `queue`), then
        answer every job still outstanding, as soon as there is one or after `wait`. Only a
        poll that gets a long-poll slot waits; a stale poll takes nothing."""
        with self._cond:
            slot = self._slot(line)
            if not self._bind(slot, pid, instance):
                return Poll([], False, stale=True)
            if queue == self.queue_id:
                while slot.jobs and slot.jobs[0][0] <= ack:
                    slot.jobs.popleft()
            waited = False
            if wait > 0 and not slot.jobs and not self.stopping:
                with self.longpolls.hold() as waited:
                    if waited:
                        self._wait_for_jobs(slot, wait)
                if not self._bind(slot, pid, instance):  # replaced while it waited
                    return Poll([], waited, stale=True)
            jobs = [{**job, "seq": seq} for seq, job in slot.jobs]
            if self.stopping and not any(j["type"] == protocol.SHUTDOWN for j in jobs):
                jobs.append({"type": protocol.SHUTDOWN})
            return Poll(jobs, waited)

    def _wait_for_jobs(self, slot: Slot, wait: float) -> None:
        slot.polling += 1
        try:
            deadline = self.monotonic() + wait
            while not slot.jobs and not self.stopping:
                left = deadline - self.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
        finally:
            slot.polling -= 1

    def heard_from(self, line: str, pid: int | None, instance: str | None = None) -> None:
        """The line's Duck posted events: contact, and a report of work (or its end)."""
        with self._cond:
            slot = self._slot(line)
            if self._bind(slot, pid, instance):
                slot.last_report = self.monotonic()

    def set_url(self, url: str) -> None:
        """Learn the dial-back address; spawn any Duck that waited for it."""
        with self._cond:
            if self.url:
                return
            self.url = url
            # Ducks that outlive us read it here when their own address stops answering
            self.layout.catchment_url.parent.mkdir(parents=True, exist_ok=True)
            self.layout.catchment_url.write_text(url)
            for slot in self._slots.values():
                if slot.jobs:
                    self._ensure(slot)

    def _slot(self, line: str) -> Slot:
        slot = self._slots.get(line)
        if slot is None:
            now = self.monotonic()
            slot = self._slots[line] = Slot(line, last_contact=now, last_report=now)
        return slot

    def _bind(self, slot: Slot, pid: int | None, instance: str | None) -> bool:
        """Whether a request from (pid, instance) comes from the line's Duck process (and then
        it counts as contact). The process is the one we spawned, else whoever holds the
        line's lock; a new instance of it (a re-exec) replaces the old one for good."""
        if instance is not None and instance in slot.retired:
            return False
        if pid is not None and not (slot.running() and pid == self._pid(slot)):
            holder = self._lock_holder(slot.line)
            if holder is None or holder.pid != pid:
                return False  # a dead Duck's request, or a process that is not the line's Duck
            slot.handle = holder  # a Duck we did not start holds the line; ours will leave
        if instance is not None and instance != slot.instance:
            if slot.instance is not None:
                slot.retired.append(slot.instance)
            slot.instance = instance
        slot.last_contact = self.monotonic()
        slot.lost = False
        slot.heard = True
        return True

    @staticmethod
    def _pid(slot: Slot) -> int | None:
        return slot.handle.pid if slot.handle is not None else None

    def _lock_holder(self, line: str) -> PidHandle | None:
        """The local Duck holding the line's lock on this root, if one does."""
        name, major = split_line(line)
        lock = FileLock(self.layout.duck_lock(name, major))
        pid = lock.holder() if lock.is_held() else None
        return PidHandle(pid) if pid else None

    def _find(self, line: str) -> DuckHandle | None:
        """A Duck already serving the line: a local lock holder, or one its launcher finds."""
        return self._lock_holder(line) or self.launcher.adopt(line)

    def where(self, line: str) -> dict[str, str | None] | None:
        """Where the line's Duck runs (launcher, node), else where its last one ran. Takes no
        lock: the coordinator asks inside its store transaction, while a Duck being spawned
        under our lock reads its Pond's placement from the store (the reverse order)."""
        slot = self._slots.get(line)
        if slot is None:
            return None
        handle = slot.handle
        if handle is not None:
            found = handle.where()
            if found["node"] or slot.last_where is None:
                slot.last_where = found
        return slot.last_where

    def running_where(self, line: str) -> dict[str, str | None] | None:
        """Where the line's Duck runs, while one does."""
        with self._cond:
            slot = self._slots.get(line)
            running = slot is not None and slot.running()
        return self.where(line) if running else None

    # -- processes -------------------------------------------------------------------------
    def adopt(self, lines: list[str]) -> None:
        """Take charge of Ducks that outlived the last Catchment, so they are watched, asked
        to stop when idle, and stopped with us even if they never dial back."""
        with self._cond:
            for line in lines:
                handle = self._find(line)
                if handle is not None:
                    self._slot(line).handle = handle

    def _ensure(self, slot: Slot) -> None:
        if self.stopping or slot.running():
            return
        found = self._find(slot.line)
        if found is not None:  # a Duck outlived the last Catchment: adopt it
            slot.handle = found
            slot.last_contact = self.monotonic()
            slot.lost = False
            return
        if not self.url:
            return  # spawned by set_url once we know where Ducks should dial
        try:
            slot.handle = self.launcher.spawn(slot.line, self.url, line_token(self.token, slot.line))
        except Exception as e:  # the launcher's cluster is unreachable, …: the fault path
            log.warning("could not start the Duck of %s: %s", slot.line, e)
            slot.failed = f"the Duck could not be started: {e}"
            return
        slot.heard = False
        slot.last_contact = self.monotonic()
        slot.lost = False

    def check(self, busy: set[str]) -> list[tuple[str, str]]:
        """Lines with work whose Duck is gone, silent, or stuck, each with the reason."""
        lost = []
        now = self.monotonic()
        with self._cond:
            for line in sorted(busy):
                slot = self._slot(line)
                if slot.lost:
                    continue
                reason = None
                if slot.failed is not None:
                    reason, slot.failed = slot.failed, None
                elif slot.handle is not None and not slot.handle.alive():
                    reason = slot.handle.gone()
                elif slot.polling == 0 and now - slot.last_contact > self._silence(slot):
                    reason = f"no contact from the Duck for {self._silence(slot):g} s"
                    self._terminate(slot)
                elif not slot.jobs and now - slot.last_report > self.stuck_s:
                    # the Duck is there but not running the run we hold (it lost the job):
                    # fail it through the fault path; the Duck stays and serves the retry
                    slot.last_report = now
                    lost.append((line, f"stuck: the run had nothing running and nothing "
                                       f"queued for {self.stuck_s:g} s"))
                    continue
                if reason is not None:
                    slot.lost = True
                    slot.jobs.clear()
                    self._forget(slot)
                    lost.append((line, reason))
            for slot in self._slots.values():  # reap Ducks that left on their own
                if slot.handle is not None and slot.line not in busy and not slot.handle.alive():
                    self._forget(slot)
        return lost

    def _silence(self, slot: Slot) -> float:
        """How long the line's Duck may be silent: a Duck still starting (100 of them starting
        at once on two cores take a while to import) gets STARTUP_LIVENESS times as long."""
        return self.liveness_s * (1 if slot.heard else STARTUP_LIVENESS)

    @staticmethod
    def _forget(slot: Slot) -> None:
        """The line's Duck process is gone: nothing it sent from now on is current."""
        if slot.handle is not None:
            found = slot.handle.where()
            if found["node"]:
                slot.last_where = found
        slot.handle = None
        if slot.instance is not None:
            slot.retired.append(slot.instance)
            slot.instance = None

    def idle(self, lines: set[str]) -> None:
        """Ask these lines' Ducks to stop (no standing trigger, no work for a while)."""
        for line in lines:
            self.send(line, {"type": protocol.SHUTDOWN})

    def live_lines(self) -> set[str]:
        with self._cond:
            return {s.line for s in self._slots.values() if s.running()}

    @staticmethod
    def _terminate(slot: Slot, sig: int = signal.SIGKILL) -> None:
        if slot.handle is not None:
            slot.handle.stop(sig)
            slot.handle.wait(5)

    def retire(self, line: str, timeout: float = 10.0) -> bool:
        """Stop the Duck of a line that left the graph (`pond remove`) and forget its queue:
        SIGTERM, then SIGKILL after `timeout`. True once no Duck holds the line."""
        with self._cond:
            slot = self._slots.pop(line, None)
        if slot is None:
            slot = Slot(line)
        if not slot.running():  # a Duck we never heard from may hold the line
            slot.handle = self._find(line)
        if slot.running():
            self._terminate(slot, signal.SIGTERM)
            _wait_gone([slot], timeout)
            if slot.running():
                self._terminate(slot)
        deadline = time.monotonic() + timeout
        while self._find(line) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        return self._find(line) is None

    def stop_all(self, timeout: float = 10.0, grace: float = 5.0) -> None:
        """Shut every Duck down: ask and wait `timeout`, then SIGTERM the ones still there and
        wait `grace`, then SIGKILL. Each step waits for all Ducks at once, so shutdown takes at
        most `timeout + grace` (and a moment) however many Ducks refuse to leave."""
        with self._cond:
            self.stopping = True
            for slot in self._slots.values():
                self._queue(slot, {"type": protocol.SHUTDOWN})
            slots = list(self._slots.values())
        _wait_gone(slots, timeout)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            stubborn = [slot for slot in slots if slot.running() and slot.handle is not None]
            for slot in stubborn:
                assert slot.handle is not None
                slot.handle.stop(sig)
            _wait_gone(stubborn, grace)
