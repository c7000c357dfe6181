"""The Catchment's side of its Ducks (docs/operating.md §1–§3): one job queue per line, the Duck
processes behind them, and how we notice one is gone.

- A Duck is spawned on its line's first job, and adopted instead when one already holds the
  line's lock (it survived a Catchment restart): never two Ducks for one line.
- Secrets reach a Duck through its environment, never its command line (`ps` shows argv).
- Jobs wait in memory until the Duck's long-poll takes them. A Catchment that dies loses its
  queues, but everything they held is re-derived at start from duck.db (in-flight runs are
  re-dispatched), so nothing is forgotten.
- Lost: a spawned Duck that exited, an adopted one whose pid is gone, or any Duck silent past
  the liveness timeout while its line has work. The coordinator turns that into `RunLost`.
"""

from __future__ import annotations

import contextlib
import os
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
from duckstring.embedded.lock import FileLock
from duckstring.engine import split_line
from duckstring.layout import Layout


class Launcher(Protocol):
    def spawn(self, line: str, url: str, token: str) -> subprocess.Popen[bytes]: ...


class ProcessLauncher:
    """Starts `python -m duckstring.duck` for a line, logging to the line's duck.log; its
    environment is `environ(line)` (the server's, with the line's secrets: team.py)."""

    def __init__(self, layout: Layout,
                 environ: Callable[[str], Mapping[str, str]] | None = None) -> None:
        self.layout = layout
        self.environ = environ or (lambda line: os.environ)

    def spawn(self, line: str, url: str, token: str) -> subprocess.Popen[bytes]:
        name, major = split_line(line)
        log_path = self.layout.duck_log(name, major)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**self.environ(line), protocol.URL_ENV: url, protocol.TOKEN_ENV: token}
        env.pop("DUCKSTRING_API_KEY", None)  # a Duck never needs the user key
        with open(log_path, "ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "duckstring.duck", "--root", str(self.layout.root),
                 "--line", line],
                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, close_fds=True,
            )


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
    jobs: deque[dict[str, Any]] = field(default_factory=deque)
    proc: subprocess.Popen[bytes] | None = None
    pid: int | None = None
    last_contact: float = 0.0
    polling: int = 0  # long-polls in progress
    lost: bool = False  # reported lost; quiet until it is heard from or replaced

    def running(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        return self.pid is not None and pid_alive(self.pid)


class Supervisor:
    def __init__(self, layout: Layout, launcher: Launcher, token: str, url: str | None,
                 liveness_s: float, poll_slots: int = 2,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.layout = layout
        self.launcher = launcher
        self.token = token
        self.url = None
        self.liveness_s = liveness_s
        self.poll_slots = poll_slots
        self._pollers = 0
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
            elif not slot.running():
                return  # kill/shutdown for a Duck that is not there: nothing to do
            slot.jobs.append(job)
            self._cond.notify_all()

    def take(self, line: str, wait: float, pid: int | None) -> tuple[list[dict[str, Any]], bool]:
        """A Duck's long-poll: its queued jobs, as soon as there are any or after `wait`; the
        flag says whether it could wait (each waiting poll holds a server thread, so only
        `poll_slots` wait at once and the rest come back soon)."""
        with self._cond:
            slot = self._slot(line)
            self._heard(slot, pid)
            waited = self._pollers < self.poll_slots
            if waited:
                self._pollers += 1
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
                    self._pollers -= 1
            self._heard(slot, pid)
            jobs = list(slot.jobs)
            slot.jobs.clear()
            if self.stopping and not any(j["type"] == protocol.SHUTDOWN for j in jobs):
                jobs.append({"type": protocol.SHUTDOWN})
            return jobs, waited

    def heard_from(self, line: str, pid: int | None) -> None:
        with self._cond:
            self._heard(self._slot(line), pid)

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
            slot = self._slots[line] = Slot(line, last_contact=self.monotonic())
        return slot

    def _heard(self, slot: Slot, pid: int | None) -> None:
        slot.last_contact = self.monotonic()
        slot.lost = False
        if pid and slot.pid != pid:
            if slot.proc is not None and slot.proc.pid != pid:
                slot.proc = None  # a Duck we did not start answers for the line
            slot.pid = pid

    # -- processes -------------------------------------------------------------------------
    def adopt(self, lines: list[str]) -> None:
        """Take charge of Ducks that outlived the last Catchment, so they are watched, asked
        to stop when idle, and stopped with us even if they never dial back."""
        with self._cond:
            for line in lines:
                name, major = split_line(line)
                lock = FileLock(self.layout.duck_lock(name, major))
                if lock.is_held():
                    slot = self._slot(line)
                    slot.proc, slot.pid = None, lock.holder()

    def _ensure(self, slot: Slot) -> None:
        if self.stopping or slot.running():
            return
        name, major = split_line(slot.line)
        lock = FileLock(self.layout.duck_lock(name, major))
        if lock.is_held():  # a Duck outlived the last Catchment: adopt it
            slot.proc, slot.pid = None, lock.holder()
            slot.last_contact = self.monotonic()
            slot.lost = False
            return
        if not self.url:
            return  # spawned by set_url once we know where Ducks should dial
        slot.proc = self.launcher.spawn(slot.line, self.url, self.token)
        slot.pid = slot.proc.pid
        slot.last_contact = self.monotonic()
        slot.lost = False

    def check(self, busy: set[str]) -> list[tuple[str, str]]:
        """Lines with work whose Duck is gone or silent, each with the reason."""
        lost = []
        now = self.monotonic()
        with self._cond:
            for line in sorted(busy):
                slot = self._slot(line)
                if slot.lost:
                    continue
                reason = None
                if slot.proc is not None and slot.proc.poll() is not None:
                    reason = f"the Duck exited with code {slot.proc.returncode}"
                    slot.proc = None
                elif slot.proc is None and slot.pid is not None and not pid_alive(slot.pid):
                    reason = "the Duck process is gone"
                elif slot.polling == 0 and now - slot.last_contact > self.liveness_s:
                    reason = f"no contact from the Duck for {self.liveness_s:g} s"
                    self._terminate(slot)
                if reason is not None:
                    slot.lost = True
                    slot.jobs.clear()
                    slot.pid = None
                    lost.append((line, reason))
            for slot in self._slots.values():  # reap Ducks that left on their own
                if slot.proc is not None and slot.line not in busy and slot.proc.poll() is not None:
                    slot.proc = None
                    slot.pid = None
        return lost

    def idle(self, lines: set[str]) -> None:
        """Ask these lines' Ducks to stop (no standing trigger, no work for a while)."""
        for line in lines:
            self.send(line, {"type": protocol.SHUTDOWN})

    def live_lines(self) -> set[str]:
        with self._cond:
            return {s.line for s in self._slots.values() if s.running()}

    def last_contact(self, line: str) -> float | None:
        with self._cond:
            slot = self._slots.get(line)
            return None if slot is None else slot.last_contact

    def _terminate(self, slot: Slot, sig: int = signal.SIGKILL) -> None:
        pid = slot.proc.pid if slot.proc is not None else slot.pid
        if pid:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        if slot.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                slot.proc.wait(timeout=5)

    def retire(self, line: str, timeout: float = 10.0) -> bool:
        """Stop the Duck of a line that left the graph (`pond remove`) and forget its queue:
        SIGTERM, then SIGKILL after `timeout`. True once no Duck holds the line."""
        with self._cond:
            slot = self._slots.pop(line, None)
        name, major = split_line(line)
        lock = FileLock(self.layout.duck_lock(name, major))
        if slot is None:
            slot = Slot(line)
        if not slot.running() and lock.is_held():  # a Duck we never heard from holds the line
            slot.proc, slot.pid = None, lock.holder()
        if slot.running():
            self._terminate(slot, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while slot.running() and time.monotonic() < deadline:
                time.sleep(0.05)
            if slot.running():
                self._terminate(slot)
        deadline = time.monotonic() + timeout
        while lock.is_held() and time.monotonic() < deadline:
            time.sleep(0.05)
        return not lock.is_held()

    def stop_all(self, timeout: float = 10.0) -> None:
        """Shut every Duck down: ask, wait, then insist."""
        with self._cond:
            self.stopping = True
            for slot in self._slots.values():
                slot.jobs.append({"type": protocol.SHUTDOWN})
            self._cond.notify_all()
            slots = list(self._slots.values())
        deadline = time.monotonic() + timeout
        for slot in slots:
            while slot.running() and time.monotonic() < deadline:
                time.sleep(0.05)
            if slot.running():
                self._terminate(slot, signal.SIGTERM)
                if slot.running():
                    self._terminate(slot)
