"""The poller thread: long-polls the Catchment for jobs and hands them to the worker, in order.

When the Catchment had no long-poll slot free it answers at once with `retry_s`, and the poller
waits that long before asking again instead of spinning.

The long-poll wait is capped (`MAX_WAIT_S`) so a Duck that wants to re-exec or leave can pause
the poller within a few seconds without losing a job that is already on its way.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from duckstring.duck.channel import Channel, Unreachable

log = logging.getLogger("duckstring.duck")
MAX_WAIT_S = 2.0
FIRST_WAIT_S = 1.0
MAX_BACKOFF_S = 2.0


class Poller:
    def __init__(self, channel: Channel, inbox: queue.Queue[Any]) -> None:
        self.channel = channel
        self.inbox = inbox
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
        return self._paused.wait(timeout)

    def _run(self) -> None:
        backoff = 0.0
        wait = FIRST_WAIT_S
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
            wait = min(self.heartbeat_s or MAX_WAIT_S, MAX_WAIT_S)
            if jobs:
                self.inbox.put(("jobs", jobs))
            elif retry_s:
                self._pause.wait(retry_s)  # no long-poll slot was free: do not spin
        self._paused.set()
