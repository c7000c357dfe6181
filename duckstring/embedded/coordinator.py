"""The coordinator: the engine behind one lock, and the one way state changes.

Each step takes the lock, applies events to the engine, writes every changed line's state and
the history rows of its effects in one duck.db transaction, commits, and only then dispatches
jobs to Ducks (write-ahead: a crash between commit and dispatch re-dispatches at start rather
than forgets). Each step bumps the state version that status long-polls wait on.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from duckstring import protocol
from duckstring.embedded.forecast import Forecasts
from duckstring.embedded.store import Store, runs, states, versions
from duckstring.embedded.supervisor import Supervisor
from duckstring.engine import (
    BeginRun,
    Effect,
    Engine,
    Pond,
    ResendRun,
    RunCompleted,
    RunFailed,
    RunKilled,
    StopWork,
    codec,
    events,
    line_id,
    split_line,
)

Record = Callable[[sqlite3.Connection, int], None]
T = TypeVar("T")
Observe = Callable[[sqlite3.Connection, int, list[Effect], set[str]], None]
Batch = list[dict[str, Any]]
PRUNE_BATCH = 5000
LOST = "the Duck exited during the attempt"


class Coordinator:
    def __init__(self, engine: Engine, store: Store, supervisor: Supervisor,
                 clock: Callable[[], int]) -> None:
        self.engine = engine
        self.store = store
        self.supervisor = supervisor
        self.clock = clock
        self.lock = threading.RLock()
        self.version = clock()  # grows across restarts, so an old `since` never stalls a poll
        self._changed = threading.Condition(self.lock)
        self.closing = False  # set on shutdown: status long-polls return at once
        self.selected: dict[str, versions.VersionRow] = {}
        self.forecasts = Forecasts()  # dry-runs' predictions, for the next real run
        self.on_step: Callable[[], None] = lambda: None  # wakes the scheduler
        # team hooks (team.py): alerts and metrics inside a step, secrets out of Duck reports
        self.observe: Observe = lambda conn, now, effects, changed: None
        self.scrub: Callable[[str, Batch], Batch] = lambda line, batch: batch
        self.ingested: Callable[[str, Batch], None] = lambda line, batch: None
        self.timed: Callable[[float], None] = lambda seconds: None
        with store.transaction() as conn:
            for row in versions.lines(conn):
                self.selected[line_id(row.name, row.major)] = row

    @classmethod
    def restore(cls, store: Store, supervisor: Supervisor, clock: Callable[[], int]) -> Coordinator:
        """Rebuild the engine from duck.db and re-dispatch the runs that were in flight."""
        with store.transaction() as conn:
            engine = codec.restore(states.all_states(conn))
        co = cls(engine, store, supervisor, clock)
        supervisor.adopt(sorted(engine.ponds))
        with co.lock:
            for p in engine.ponds.values():
                for run in sorted(p.runs.values(), key=lambda run: run.f):
                    co._send_run(p.line, run.f, run.retries_left, force=False, changed=True)
        co.apply(events.Tick())  # whatever became due while we were down
        return co

    # -- the step --------------------------------------------------------------------------
    def apply(self, *evs: events.Event, record: Record | None = None) -> list[Effect]:
        with self.lock:
            started = time.perf_counter()
            now = self.clock()
            jobs: list[tuple[str, dict[str, Any]]] = []
            with self.store.transaction() as conn:
                if record is not None:
                    record(conn, now)
                effects = self.engine.handle(now, *evs)
                changed = self.engine.take_changed()
                for line in sorted(changed):
                    p = self.engine.ponds.get(line)
                    if p is not None:
                        states.put(conn, line, codec.pond_to_dict(p), now)
                    else:  # removed from the graph
                        states.delete(conn, line)
                for eff in effects:
                    job = self._record(conn, eff, now)
                    if job is not None:
                        jobs.append((eff.line, job))
                if changed or effects:  # nothing moved: nothing to alert on or count
                    self.observe(conn, now, effects, changed)
            for line, job in jobs:  # committed: now tell the Ducks
                self.supervisor.send(line, job)
            if changed or effects or record is not None:
                self.version += 1
                self._changed.notify_all()
            self.timed(time.perf_counter() - started)
        self.on_step()
        return effects

    def _record(self, conn: sqlite3.Connection, eff: Effect, now: int) -> dict[str, Any] | None:
        name, major = split_line(eff.line)
        if isinstance(eff, BeginRun):
            sel = self.selected.get(eff.line)
            runs.begin(conn, eff.line, name, major, sel.version if sel else None, eff.f,
                       eff.execute, now, self.forecasts.take(eff.line))
            if eff.execute:
                return self._run_job(eff.line, eff.f, eff.retries, eff.force, eff.sources_changed)
        elif isinstance(eff, ResendRun):
            return self._run_job(eff.line, eff.f, eff.retries, False, True)
        elif isinstance(eff, RunCompleted):
            runs.finish(conn, eff.line, eff.f, "passed" if eff.passed else "success", now,
                        changed=eff.changed, where=self.supervisor.where(eff.line))
        elif isinstance(eff, RunFailed):
            runs.finish(conn, eff.line, eff.f, "failed", now, error=eff.error,
                        where=self.supervisor.where(eff.line))
        elif isinstance(eff, RunKilled):
            runs.kill_running_attempts(conn, eff.line, now)
            runs.finish(conn, eff.line, eff.f, "killed", now, error=eff.reason)
        elif isinstance(eff, StopWork):
            return {"type": protocol.KILL}
        return None

    def _run_job(self, line: str, f: int, retries: int, force: bool,
                 changed: bool) -> dict[str, Any]:
        sel = self.selected.get(line)
        return protocol.begin_run(f, sel.version if sel else "", retries, force, changed,
                                  sel.digest if sel else "")

    def _send_run(self, line: str, f: int, retries: int, force: bool, changed: bool) -> None:
        self.supervisor.send(line, self._run_job(line, f, retries, force, changed))

    # -- Duck reports ----------------------------------------------------------------------
    def ingest(self, line: str, batch: list[dict[str, Any]]) -> None:
        """Apply a Duck's event batch: history rows and engine events in one step."""
        batch = self.scrub(line, batch)
        evs: list[events.Event] = []
        for ev in batch:
            kind = ev["type"]
            if kind == protocol.RIPPLE_STARTED:
                evs.append(events.RippleStarted(line, ev["ripple"], ev["f"]))
            elif kind == protocol.RIPPLE_SUCCEEDED:
                evs.append(events.RippleSucceeded(line, ev["ripple"], ev["f"]))
            elif kind == protocol.RIPPLE_FAILED:
                evs.append(events.RippleFailed(line, ev["ripple"], ev["f"], ev.get("error") or ""))
            elif kind == protocol.RUN_FINISHED:
                evs.append(events.RunFinished(line, ev["f"], bool(ev.get("changed", True))))
            elif kind == protocol.RUN_REJECTED:
                evs.append(events.RunRejected(line, ev["f"], ev.get("error") or "publish refused"))
            elif kind == protocol.STUCK:
                evs.append(events.RunLost(line, ev.get("error") or "the Duck's watchdog gave up"))

        def record(conn: sqlite3.Connection, now: int) -> None:
            for ev in batch:
                kind, at = ev["type"], int(ev.get("at") or now)
                if kind == protocol.RIPPLE_STARTED:
                    runs.attempt_started(conn, line, ev["f"], ev["ripple"], ev["attempt"], at)
                elif kind in (protocol.RIPPLE_SUCCEEDED, protocol.RIPPLE_FAILED):
                    ok = kind == protocol.RIPPLE_SUCCEEDED
                    runs.attempt_finished(
                        conn, line, ev["f"], ev["ripple"], ev["attempt"],
                        "success" if ok else "failed", at, error=ev.get("error"),
                        traceback=ev.get("traceback"), log=ev.get("log"),
                    )
                elif kind == protocol.RIPPLE_LOST:
                    runs.attempt_finished(conn, line, ev["f"], ev["ripple"], ev["attempt"],
                                          "failed", at, error=ev.get("error") or LOST)
                elif kind == protocol.STUCK:
                    runs.fail_running_attempts(conn, line, at, ev.get("error") or "stuck")

        if evs or any(ev["type"] != protocol.HEARTBEAT for ev in batch):
            self.apply(*evs, record=record)
            self.ingested(line, batch)

    def lost(self, line: str, reason: str) -> None:
        """A line's Duck is gone: its running attempts fail with the reason, then the run."""

        def record(conn: sqlite3.Connection, now: int) -> None:
            runs.fail_running_attempts(conn, line, now, reason)

        self.apply(events.RunLost(line, reason), record=record)

    # -- history retention -----------------------------------------------------------------
    def prune_history(self, days: float, max_runs: int) -> int:
        """Delete run history older than `days` or beyond `max_runs` per line (0 = no limit),
        a batch per transaction so no engine step waits long behind it."""
        before = self.clock() - round(days * 86_400_000) if days > 0 else None
        total = 0
        while True:
            with self.store.transaction() as conn:
                n = runs.prune(conn, before=before, keep_per_line=max_runs or None,
                               batch=PRUNE_BATCH)
            total += n
            if n < PRUNE_BATCH:
                return total

    # -- reads -----------------------------------------------------------------------------
    def wait_changed(self, since: int, timeout: float) -> int:
        """Block until the state version passes `since` (or `timeout`); return the version."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.version <= since and not self.closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            return self.version

    def release_waiters(self) -> None:
        """Shutting down: answer every status long-poll now instead of at its timeout."""
        with self._changed:
            self.closing = True
            self._changed.notify_all()

    # -- reads: the views resources need, under the lock, so no resource takes it ----------
    def has_line(self, line: str) -> bool:
        with self.lock:
            return line in self.engine.ponds

    def pond_view(self, line: str, read: Callable[[Pond], T]) -> T:
        """`read` of the line's live state, under the lock (UnknownPond, a 404, if it is gone)."""
        with self.lock:
            return read(self.engine.pond(line))

    def busy_lines(self) -> set[str]:
        with self.lock:
            return {line for line, p in self.engine.ponds.items() if p.busy}

    def standing_lines(self) -> set[str]:
        with self.lock:
            return {line for line, p in self.engine.ponds.items() if p.trigger is not None}

    def next_deadline(self) -> int | None:
        with self.lock:
            return self.engine.next_deadline()
