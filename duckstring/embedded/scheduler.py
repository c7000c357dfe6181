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
    """`step(at)` is one pass at monotonic time `at` (the thread calls it with
    `time.monotonic()`; tests call it with a manual clock as the coordinator's)."""

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
        self._next_check = self._next_prune = 0.0
        coordinator.on_step = self._wake.set

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.wait_s(time.monotonic()))
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.step(time.monotonic())
            except Exception:  # keep the clock running; the error is in the server log
                import logging

                logging.getLogger("duckstring").exception("scheduler step failed")
                time.sleep(self.check_s)

    def wait_s(self, at: float) -> float:
        """How long the thread may sleep at monotonic `at` before the next pass is due."""
        wait = max(0.0, self._next_check - at)
        deadline = self.co.next_deadline()
        if deadline is not None:
            wait = min(wait, max(0.0, (deadline - self.co.clock()) / 1000))
        return wait

    def step(self, at: float) -> None:
        """Tick when the engine's deadline has passed; check the Ducks and the watchers every
        `check_s`; prune history hourly."""
        deadline = self.co.next_deadline()
        if deadline is not None and self.co.clock() >= deadline:
            self.co.apply(events.Tick())
        if at >= self._next_check:
            self._next_check = at + self.check_s
            self._check_ducks(at)
            self.watch()
        if self.prune is not None and at >= self._next_prune:
            self._next_prune = at + PRUNE_EVERY_S
            self.prune()

    def _check_ducks(self, now: float) -> None:
        busy = self.co.busy_lines()
        for line, reason in self.ducks.check(busy):
            self.co.lost(line, reason)
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
