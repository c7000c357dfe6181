"""The scheduler thread (docs/operating.md §1): the engine's clock. It sends `Tick` when the engine's
next deadline passes (Tides, paced Waves, Window openings, Inlets waiting on time), checks Duck
liveness (and the alert rules' staleness bounds) about once a second, stops Ducks that have sat idle with no standing trigger, and
applies the history retention at start and then hourly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from duckstring.embedded.coordinator import Coordinator
from duckstring.embedded.supervisor import Supervisor
from duckstring.engine import events

PRUNE_EVERY_S = 3600.0


class Scheduler:
    def __init__(self, coordinator: Coordinator, supervisor: Supervisor, *, idle_s: float,
                 check_s: float = 1.0, prune: Callable[[], object] | None = None,
                 watch: Callable[[], object] = lambda: None) -> None:
        self.co = coordinator
        self.prune = prune
        self.watch = watch
        self.ducks = supervisor
        self.idle_s = idle_s
        self.check_s = check_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="duckstring-scheduler",
                                        daemon=True)
        self._last_busy: dict[str, float] = {}
        self._idled: set[str] = set()
        coordinator.on_step = self._wake.set

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        next_check = next_prune = 0.0
        while not self._stop.is_set():
            deadline = self.co.next_deadline()
            wait = max(0.0, next_check - time.monotonic())
            if deadline is not None:
                wait = min(wait, max(0.0, (deadline - self.co.clock()) / 1000))
            self._wake.wait(wait)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                deadline = self.co.next_deadline()
                if deadline is not None and self.co.clock() >= deadline:
                    self.co.apply(events.Tick())
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + self.check_s
                    self._check_ducks()
                    self.watch()
                if self.prune is not None and time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + PRUNE_EVERY_S
                    self.prune()
            except Exception:  # keep the clock running; the error is in the server log
                import logging

                logging.getLogger("duckstring").exception("scheduler step failed")
                time.sleep(self.check_s)

    def _check_ducks(self) -> None:
        busy = self.co.busy_lines()
        for line, reason in self.ducks.check(busy):
            self.co.lost(line, reason)
        now = time.monotonic()
        for line in busy:
            self._last_busy[line] = now
            self._idled.discard(line)
        standing = self.co.standing_lines()
        idle = {
            line for line in self.ducks.live_lines() - busy - standing - self._idled
            if now - self._last_busy.setdefault(line, now) >= self.idle_s
        }
        if idle:
            self._idled |= idle
            self.ducks.idle(idle)
