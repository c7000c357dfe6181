"""The delivery thread: drains the alert outbox outside any engine step.

- Each pending alert whose time has come is sent on a small pool (`Policy.concurrency`
  threads), at most one at a time per target, so a dead or slow target holds one thread and
  delays only its own alerts; every send has a timeout (targets.Senders).
- Every attempt is logged. A failure that trying again can fix is retried with exponential
  backoff (`first_retry_s`, doubling, at most `max_retry_s`) up to `attempts` tries; one that
  cannot (a 404, an SMTP 5xx) fails at once.
- Pending alerts are rows in duck.db: after a restart they are sent then. Delivery is at least
  once — an alert sent just before a crash, not yet logged, goes again — and each carries its
  outbox `id` so a receiver can drop the repeat.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from duckstring.embedded.alerts.targets import DeliveryError, Senders, parse_target
from duckstring.embedded.store import Store
from duckstring.embedded.store import alerts as rows

log = logging.getLogger("duckstring.alerts")
IDLE_S = 30.0  # look again at least this often (a clock jump, a row added behind our back)


@dataclass(frozen=True)
class Policy:
    attempts: int = 8
    first_retry_s: float = 5.0
    max_retry_s: float = 600.0
    concurrency: int = 4

    def retry_at(self, done: int, now: int) -> int | None:
        """When to try again after `done` failed attempts; None when out of tries."""
        if done >= self.attempts:
            return None
        delay_s = min(self.max_retry_s, self.first_retry_s * 2.0 ** (done - 1))
        return now + round(delay_s * 1000)


Outcome = Callable[[str, str], None]  # (target kind, "sent" | "retry" | "failed")


class Deliverer:
    def __init__(self, store: Store, senders: Senders, clock: Callable[[], int], *,
                 policy: Policy | None = None,
                 on_outcome: Outcome = lambda kind, result: None) -> None:
        self.store = store
        self.senders = senders
        self.clock = clock
        self.policy = policy or Policy()
        self.on_outcome = on_outcome
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._inflight: dict[int, str] = {}  # outbox id → target
        self._pool = ThreadPoolExecutor(self.policy.concurrency,
                                        thread_name_prefix="duckstring-alert")
        self._thread = threading.Thread(target=self._loop, name="duckstring-alerts",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking work. A send in flight ends by its own timeout; its row stays pending
        and goes again at the next start."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def in_flight(self) -> int:
        with self._lock:
            return len(self._inflight)

    def _loop(self) -> None:
        while not self._stop.is_set():
            wait = IDLE_S
            try:
                wait = self._dispatch()
            except Exception:  # keep delivering; the error is in the server log
                log.exception("alert delivery failed")
            self._wake.wait(wait)
            self._wake.clear()

    def _dispatch(self) -> float:
        """Start what is due; how long until something may be."""
        now = self.clock()
        with self._lock:
            busy = set(self._inflight.values())
            free = self.policy.concurrency - len(self._inflight)
        with self.store.transaction() as conn:
            ready = rows.due(conn, now, busy)[:max(0, free)]
            nxt = rows.next_due(conn)
        for row in ready:
            with self._lock:
                self._inflight[row["id"]] = row["target"]
            future = self._pool.submit(self._send, row)
            future.add_done_callback(functools.partial(self._done, row))
        if nxt is None:
            return IDLE_S
        return min(IDLE_S, max(0.0, (nxt - now) / 1000))

    def _send(self, row: dict[str, Any]) -> tuple[bool, str, bool, int]:
        started = time.monotonic()
        payload = {**row["payload"], "id": row["id"]}
        try:
            detail = self.senders.send(parse_target(row["target"]), payload)
            ok, permanent = True, False
        except DeliveryError as e:
            detail, ok, permanent = e.detail, False, e.permanent
        except Exception as e:  # a bad target row must not stop the thread
            detail, ok, permanent = f"{type(e).__name__}: {e}", False, True
        return ok, detail, permanent, round((time.monotonic() - started) * 1000)

    def _done(self, row: dict[str, Any], future: Future[tuple[bool, str, bool, int]]) -> None:
        try:
            if self._stop.is_set() or future.cancelled():
                return  # stays pending: sent again at the next start
            ok, detail, permanent, took = future.result()
            now = self.clock()
            done = int(row["attempts"]) + 1
            retry_at = None if ok or permanent else self.policy.retry_at(done, now)
            with self.store.transaction() as conn:
                rows.attempted(conn, row["id"], now, ok, detail, took, retry_at=retry_at)
            kind = row["target"].partition(":")[0]
            self.on_outcome(kind, "sent" if ok else "retry" if retry_at else "failed")
        except Exception:
            log.exception("recording an alert delivery failed")
        finally:
            with self._lock:
                self._inflight.pop(row["id"], None)
            self._wake.set()
