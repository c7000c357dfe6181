"""The sender thread: posts the outbox to the Catchment, in order, in batches of what is ready.

Events are written to the ledger's outbox first (by the worker), then this thread posts them
and deletes them on `{"ok": true}`. While the Catchment is away they stay in the outbox and
are retried with backoff; replay is idempotent, so a batch posted twice changes nothing.
Heartbeats are not worth keeping: only the newest one waits, in memory, for the next batch.

Acknowledged events are remembered in memory (`acked`) and deleted from the ledger lazily, just
before the next batch and when the sender stops: an idle Duck writes nothing once its last
batch is in, and a crash in between only replays a batch the Catchment ignores.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from duckstring.duck.channel import Channel, Verdict
from duckstring.duck.ledger import Ledger

log = logging.getLogger("duckstring.duck")
BATCH = 500
MAX_BACKOFF_S = 2.0


class Sender:
    def __init__(self, channel: Channel, ledger_path: Path) -> None:
        self.channel = channel
        self.ledger_path = ledger_path
        self.last_ok: float | None = None  # time.monotonic() of the last accepted batch
        self.acked = 0  # outbox seq up to which the Catchment has committed everything
        self._wake = threading.Event()
        self._wake.set()  # the first pass posts whatever the last process left in the outbox
        self._stop = threading.Event()
        self._heartbeat: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="duck-sender", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def heartbeat(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._heartbeat = event
        self._wake.set()

    def stop(self, timeout: float = 1.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def flush(self, outbox_size: Callable[[int], int], timeout: float) -> bool:
        """Wait until everything written so far has been accepted (or `timeout` passes)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                hb = self._heartbeat
            if hb is None and outbox_size(self.acked) == 0:
                return True
            if time.monotonic() >= deadline:
                return False
            self._wake.set()
            time.sleep(0.02)

    # -- the thread ----------------------------------------------------------------------------
    def _run(self) -> None:
        ledger = Ledger(self.ledger_path)
        backoff = 0.0
        try:
            while not self._stop.is_set():
                if backoff:
                    self._stop.wait(backoff)
                else:
                    self._wake.wait()  # woken by every event: an idle Duck does not poll its ledger
                self._wake.clear()
                try:
                    drained = self._drain(ledger)
                except Exception:
                    log.exception("sending events failed")
                    drained = False
                backoff = 0.0 if drained else min(max(backoff * 2, 0.05), MAX_BACKOFF_S)
        finally:
            try:
                ledger.acknowledge(self.acked)
            finally:
                ledger.close()

    def _drain(self, ledger: Ledger) -> bool:
        """Post until the outbox is empty (True) or the Catchment stops accepting (False)."""
        while not self._stop.is_set():
            rows = ledger.pending(self.acked, BATCH)
            with self._lock:
                hb = self._heartbeat
            if not rows and hb is None:
                return True
            if rows and self.acked:
                ledger.acknowledge(self.acked)  # deleted lazily: see the module docstring
            events = [e for _, e in rows] + ([hb] if hb is not None else [])
            verdict = self.channel.post(events)
            if verdict is Verdict.REFUSED and len(events) > 1:
                # find the one event the Catchment cannot take; keep everything else flowing
                for seq, event in rows:
                    if self.channel.post([event]) is Verdict.RETRY:
                        return False
                    self.acked = seq
                verdict = Verdict.OK if hb is None else self.channel.post([hb])
                rows = []
            if verdict is Verdict.RETRY:
                return False
            if rows:
                self.acked = rows[-1][0]
            with self._lock:
                if self._heartbeat is hb:
                    self._heartbeat = None
            self.last_ok = time.monotonic()
        return False
