"""The team services of a Catchment (docs/operating.md §5), built where the root is opened:
keys and the gate, secrets, metrics, alert rules and their delivery thread, and the audit
trail. The coordinator calls `observe` inside each step's transaction (alerts decided with
the state that caused them, metrics counted once) and the scheduler calls `watch` on its
periodic check (staleness passes a bound without any event)."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from duckstring import protocol
from duckstring.embedded.access.gate import Gate
from duckstring.embedded.access.keys import KeyRing
from duckstring.embedded.access.secrets import Secrets
from duckstring.embedded.alerts.alerting import Alerting
from duckstring.embedded.alerts.delivery import Deliverer, Policy
from duckstring.embedded.alerts.rules import UNHEALTHY, LineView, views
from duckstring.embedded.alerts.targets import Senders
from duckstring.embedded.metrics import Metrics
from duckstring.embedded.store import alerts as alert_rows
from duckstring.embedded.store import audit
from duckstring.engine import Effect, RunCompleted, RunFailed, RunKilled, split_line

if TYPE_CHECKING:
    from duckstring.embedded.coordinator import Coordinator
    from duckstring.embedded.settings import Settings
    from duckstring.embedded.store import Store
    from duckstring.embedded.supervisor import Supervisor

log = logging.getLogger("duckstring")
_SCRUBBED = ("error", "traceback", "log")  # the fields of a Duck event that carry its text


class Team:
    def __init__(self, settings: Settings, store: Store, duck_token: str,
                 identity: dict[str, str], clock: Callable[[], int]) -> None:
        self.store = store
        self.clock = clock
        self.keys = KeyRing(store, settings.api_key)
        self.gate = Gate(self.keys, duck_token)
        self.secrets = Secrets(store, settings.root, settings.secrets_key)
        self.secrets.verify()
        self.metrics = Metrics(snapshot=self._snapshot, ducks_alive=self._ducks_alive)
        self.deliverer = Deliverer(
            store,
            Senders(smtp_url=settings.smtp_url, timeout_s=settings.alert_timeout_s,
                    resolve=self.secrets.value),
            clock,
            policy=Policy(attempts=settings.alert_attempts,
                          first_retry_s=settings.alert_retry_s),
            on_outcome=self.metrics.alert)
        self.alerting = Alerting(store, identity, redactor=self.secrets.redactor,
                                 wake=self.deliverer.wake)
        self.co: Coordinator | None = None
        self.supervisor: Supervisor | None = None
        self._unhealthy: set[str] = set()  # lines last seen failed, killed or blocked

    def attach(self, co: Coordinator, supervisor: Supervisor) -> None:
        """Hook into the coordinator's steps and read its state for metrics; start delivery."""
        self.co, self.supervisor = co, supervisor
        co.observe = self.observe
        co.scrub = self.scrub
        co.ingested = self.ingested
        co.timed = self.metrics.step
        self.deliverer.start()

    def _snapshot(self) -> Iterable[LineView]:
        if self.co is None:
            return ()
        with self.co.lock:
            return list(views(self.co.engine, self.co.clock()).values())

    def _ducks_alive(self) -> int:
        return 0 if self.supervisor is None else len(self.supervisor.live_lines())

    def close(self) -> None:
        self.deliverer.stop()
        self.keys.flush(self.clock())

    # -- the coordinator's hooks -------------------------------------------------------------
    def observe(self, conn: sqlite3.Connection, now: int, effects: list[Effect],
                changed: set[str]) -> None:
        """Inside a step's transaction (the coordinator holds its lock)."""
        for eff in effects:
            if isinstance(eff, (RunCompleted, RunFailed, RunKilled)):
                status = ("killed" if isinstance(eff, RunKilled) else "failed"
                          if isinstance(eff, RunFailed) else "passed" if eff.passed
                          else "success")
                r = conn.execute("SELECT started_at FROM runs WHERE line = ? AND f = ? "
                                 "ORDER BY id DESC LIMIT 1", (eff.line, eff.f)).fetchone()
                self.metrics.run_finished(eff.line, status,
                                          None if r is None else (now - r[0]) / 1000)
        if self._health_moved(changed):
            self._decide(conn, now)

    def _health_moved(self, changed: set[str]) -> bool:
        """Did a changed line become, or stop being, failed, killed or blocked? Only such a
        step can start or end a root cause; building every line's view on every step would
        cost a large graph dearly (bench/team.py), and staleness is the watch's business."""
        if self.co is None:
            return False
        from duckstring.engine import status as derive

        ponds = self.co.engine.ponds
        sick = {line for line in changed
                if line in ponds and derive.status(ponds[line]) in UNHEALTHY}
        moved = bool(sick) or bool(self._unhealthy & changed)
        self._unhealthy = (self._unhealthy - changed) | sick
        return moved

    def _decide(self, conn: sqlite3.Connection, now: int) -> None:
        if self.co is None or not alert_rows.any_rule(conn):
            return  # no rule: no views to build
        self.alerting.observe(views(self.co.engine, now), now, conn)

    def watch(self) -> None:
        """The scheduler's periodic check: staleness crosses bounds without any event (and
        whatever a step did not decide: the first check after a start)."""
        co = self.co
        if co is None:
            return
        with co.lock, self.store.transaction() as conn:
            self._decide(conn, co.clock())

    def scrub(self, line: str, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A Duck's events with its Pond's secrets masked (the Duck masks them too; this is
        the last place before duck.db)."""
        if not any(ev.get(k) for ev in batch for k in _SCRUBBED):
            return batch
        redact = self.secrets.redactor(split_line(line)[0])
        if not redact:
            return batch
        return [{**ev, **{k: redact(ev[k]) for k in _SCRUBBED if isinstance(ev.get(k), str)}}
                for ev in batch]

    def ingested(self, line: str, batch: list[dict[str, Any]]) -> None:
        """Ripple durations, from the attempts the batch closed."""
        for ev in batch:
            if ev["type"] in (protocol.RIPPLE_SUCCEEDED, protocol.RIPPLE_FAILED):
                rows = self.store.query(
                    "SELECT started_at, finished_at FROM attempts WHERE line = ? AND f = ? "
                    "AND ripple = ? AND attempt = ?", (line, ev["f"], ev["ripple"],
                                                       ev["attempt"]))
                if rows and rows[0][1] is not None:
                    self.metrics.ripple_finished(line, ev["ripple"],
                                                 (rows[0][1] - rows[0][0]) / 1000)

    def secrets_changed(self, ponds: list[str] | None) -> None:
        """Idle Ducks of the Ponds concerned stop, so the next start has the new values (a
        busy Duck keeps its environment until it next starts: its run is not cut short)."""
        if self.co is None or self.supervisor is None:
            return
        idle = {line for line in self.supervisor.live_lines() - self.co.busy_lines()
                if not ponds or split_line(line)[0] in ponds}
        self.supervisor.idle(idle)

    # -- the audit trail -----------------------------------------------------------------------
    def record(self, who: str, verb: str, pond: str | None = None,
               detail: dict[str, Any] | None = None) -> None:
        with self.store.transaction() as conn:
            audit.record(conn, self.clock(), who, verb, pond, detail)

    def prune(self, days: float) -> None:
        """Hourly, with the run history's retention: the audit and alert logs."""
        if days <= 0:
            return
        before = self.clock() - round(days * 86_400_000)
        with self.store.transaction() as conn:
            audit.prune(conn, before)
            alert_rows.prune(conn, before)


def duck_environ(secrets: Secrets) -> Callable[[str], dict[str, str]]:
    """What a line's Duck is launched with: the server's environment and the line's secrets."""
    return lambda line: secrets.duck_environ(os.environ, split_line(line)[0])

