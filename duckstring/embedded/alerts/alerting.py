"""The alert rules of a Catchment and what they decide: rules are added, listed, removed and
tested here; `observe` runs every rule over the lines' views (rules.evaluate) and puts what
they decide into the outbox, in one transaction with the rules' memory. Delivery is another
thread's business (delivery.py): nothing here waits on a network."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from duckstring.embedded.alerts import rules as decide
from duckstring.embedded.alerts.rules import TEST, Alert, LineView, Rule
from duckstring.embedded.alerts.targets import display, parse_target
from duckstring.embedded.domain_errors import BadInput, Conflict, NotFound
from duckstring.embedded.store import Store
from duckstring.embedded.store import alerts as rows
from duckstring.redact import NOTHING, Redactor
from duckstring.times import iso

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Alerting:
    def __init__(self, store: Store, catchment: Mapping[str, str], *,
                 redactor: Callable[[], Redactor] = lambda: NOTHING,
                 wake: Callable[[], None] = lambda: None) -> None:
        self.store = store
        self.catchment = dict(catchment)  # id and name, in every alert
        self.redactor = redactor  # the secrets in play: no alert carries one
        self.wake = wake  # tells the delivery thread there is work

    @contextmanager
    def _conn(self, conn: sqlite3.Connection | None) -> Iterator[sqlite3.Connection]:
        if conn is not None:
            yield conn
        else:
            with self.store.transaction() as own:
                yield own

    # -- rules -----------------------------------------------------------------------------
    def add(self, name: str, target: str, at: int, **options: Any) -> dict[str, Any]:
        """Add a rule (`options`: on, ponds, stale_ms, renotify_ms — rules.make_rule)."""
        if not _NAME.match(name or ""):
            raise BadInput(f"alert name {name!r} must be 1-64 letters, digits, '.', '_' or "
                             "'-', starting with a letter or digit")
        try:
            rule = decide.make_rule(name, str(parse_target(target)), **options)
        except ValueError as e:
            raise BadInput(str(e)) from None
        with self.store.transaction() as conn:
            if rows.get_rule(conn, name) is not None:
                raise Conflict(f"an alert named {name!r} exists; remove it first (duckstring "
                               "alert rm)")
            rows.add_rule(conn, rule, at)
        return self._doc(rule, at)

    def remove(self, name: str, at: int) -> None:
        with self.store.transaction() as conn:
            if not rows.remove_rule(conn, name, at):
                raise NotFound(f"no alert named {name!r} (duckstring alert list)")

    def listing(self) -> list[dict[str, Any]]:
        with self.store.transaction() as conn:
            return [self._doc(rule, created) for rule, created, _ in rows.rules(conn)]

    @staticmethod
    def _doc(rule: Rule, created_at: int) -> dict[str, Any]:
        return {"name": rule.name, "on": [k for k in decide.KINDS if k in rule.on],
                "ponds": list(rule.ponds), "stale_s": _s(rule.stale_ms),
                "renotify_s": _s(rule.renotify_ms), "to": display(parse_target(rule.target)),
                "created_at": created_at}

    def test(self, name: str, at: int) -> int:
        """Queue a test alert for the rule's target; the outbox id to follow in the log."""
        with self.store.transaction() as conn:
            rule = rows.get_rule(conn, name)
            if rule is None:
                raise NotFound(f"no alert named {name!r} (duckstring alert list)")
            [outbox_id] = self._enqueue(conn, rule, [Alert(name, TEST, "", at)], NOTHING)
        self.wake()
        return outbox_id

    # -- deciding --------------------------------------------------------------------------
    def observe(self, lines: Mapping[str, LineView], now: int,
                conn: sqlite3.Connection | None = None) -> list[Alert]:
        """Run every rule over `lines`; queue and return the alerts they send. Pass `conn` to
        join a transaction already open (the coordinator's step)."""
        sent: list[Alert] = []
        with self._conn(conn) as c:
            every = rows.rules(c)
            if not every:
                return sent
            redactor: Redactor | None = None
            for rule, _, memory in every:
                alerts, memory2 = decide.evaluate(rule, memory, lines, now)
                if memory2 != memory:
                    rows.remember(c, rule.name, memory2)
                if alerts:
                    redactor = redactor or self.redactor()
                    self._enqueue(c, rule, alerts, redactor)
                    sent += alerts
        if sent:
            self.wake()
        return sent

    def _enqueue(self, conn: sqlite3.Connection, rule: Rule, alerts: list[Alert],
                 redactor: Redactor) -> list[int]:
        return [rows.enqueue(conn, rule.name, rule.target, a.kind, a.pond or None,
                             redactor.deep(decide.document(a, self.catchment, iso(a.at))), a.at)
                for a in alerts]

    # -- the log ---------------------------------------------------------------------------
    def log(self, *, limit: int = 100, rule: str | None = None,
            status: str | None = None) -> list[dict[str, Any]]:
        """Each alert with its deliveries, newest first (targets shown as `display`s)."""
        with self.store.transaction() as conn:
            entries = rows.log(conn, limit=limit, rule=rule, status=status)
        for e in entries:
            e["target"] = display(parse_target(e["target"]))
        return entries


def _s(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000
