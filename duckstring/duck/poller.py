"""The poller thread: asks the Catchment for jobs and hands them to the worker, in order.

A Duck with a wake-up FIFO (duckstring/wake.py) waits on it, not on the server: it polls without
waiting when poked (a job was queued), again at once after any jobs (which acknowledges them),
and otherwise every `poll_s` the Catchment names, to stay in touch. So a Duck at rest holds no
connection and no server thread, and costs the Catchment one short request per `poll_s`.

Without a FIFO it long-polls instead. When the Catchment had no long-poll slot free it answers at
once with `retry_s`, and the poller waits that long before asking again instead of spinning. The
long-poll wait is capped (`MAX_WAIT_S`) so a Duck that wants to re-exec or leave can pause the
poller within a few seconds without losing a job that is already on its way.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from duckstring.duck.channel import Channel, Unreachable
from duckstring.wake import Waker

log = logging.getLogger("duckstring.duck")
MAX_WAIT_S = 2.0
FIRST_WAIT_S = 1.0
MAX_BACKOFF_S = 2.0
POLL_S = 10.0  # between polls of a woken Duck, until the Catchment names its own pace


class Poller:
    def __init__(self, channel: Channel, inbox: queue.Queue[Any],
                 waker: Waker | None = None) -> None:
        self.channel = channel
        self.inbox = inbox
        self.waker = waker
        self.heartbeat_s: float | None = None
        self.last_ok: float | None = None  # time.monotonic() of the last answer
        self._pause = threading.Event()
        self._paused = threading.Event()
        self._thread = threading.Thread(target=self._run, name="duck-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def pause(self, timeout: float) -> bool:
        """Stop polling; True once no request is in flight (every received job is queued)."""
        self._pause.set()
        if self.waker is not None:
            self.waker.poke()
        return self._paused.wait(timeout)

    def _run(self) -> None:
        backoff = 0.0
        wait = 0.0 if self.waker is not None else FIRST_WAIT_S
        down_since: float | None = None
        while not self._pause.is_set():
            try:
                jobs, heartbeat_s, retry_s = self.channel.jobs(wait)
            except Unreachable as e:
                if down_since is None:
                    down_since = time.monotonic()
                    log.warning("the Catchment is unreachable (%s); retrying", e)
                backoff = min(max(backoff * 2, 0.05), MAX_BACKOFF_S)
                self._pause.wait(backoff)
                continue
            if down_since is not None:
                log.info("the Catchment answers again after %.1f s", time.monotonic() - down_since)
                down_since = None
            backoff = 0.0
            self.last_ok = time.monotonic()
            if heartbeat_s:
                self.heartbeat_s = heartbeat_s
            if self.waker is None:
                wait = min(self.heartbeat_s or MAX_WAIT_S, MAX_WAIT_S)
            if jobs:
                self.inbox.put(("jobs", jobs))
                continue  # at once: acknowledges them, and takes any that followed
            if retry_s:
                self._pause.wait(retry_s)  # no long-poll slot was free: do not spin
            elif self.waker is not None and not self._pause.is_set():
                self.waker.wait(getattr(self.channel, "poll_s", None) or POLL_S)
        self._paused.set()
