"""Status and run history (docs/http-api.md)."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import falcon

from duckstring.embedded import status_document
from duckstring.embedded.domain_errors import BadInput, NotFound
from duckstring.embedded.longpoll import RETRY_S
from duckstring.embedded.resources.common import resolve_line, seconds_param
from duckstring.embedded.store import runs
from duckstring.engine import NEVER, line_id
from duckstring.times import iso

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment


FRESH_S = 0.5  # a built document answers every request for it this long (same state version)


class Status:
    """`GET /api/status`. The document is built once per state version and reused for
    `FRESH_S`: watchers woken by one change, and a poll storm at 1,000 Ponds, cost one build
    (under the engine lock) instead of one each; its clock-derived ages lag by at most FRESH_S."""

    def __init__(self, c: Catchment) -> None:
        self.c = c
        self._built = threading.Lock()  # one build at a time; the others wait and reuse it
        self._last: tuple[int, frozenset[str] | None, float, dict[str, Any]] | None = None

    def _document(self, lines: set[str] | None) -> dict[str, Any]:
        scope = None if lines is None else frozenset(lines)
        with self._built:
            last, now = self._last, time.monotonic()
            if (last is not None and last[0] == self.c.coordinator.version and last[1] == scope
                    and now - last[2] < FRESH_S):
                return last[3]
            doc = status_document.build(self.c.coordinator, lines=lines)
            self._last = (doc["version"], scope, now, doc)
            return doc

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        since = req.get_param_as_int("since")
        if since is not None and self.c.coordinator.version <= since:
            wait = seconds_param(req, "wait", 25.0, 60.0)
            with self.c.supervisor.longpolls.hold() as waited:
                if waited:  # a watcher holds a server thread only while a slot is free
                    self.c.coordinator.wait_changed(since, wait)
            version = self.c.coordinator.version
            if not waited and version <= since:
                # every slot is taken and nothing changed: a cheap answer, and a later retry
                resp.media = {"version": version, "unchanged": True, "retry_s": RETRY_S}
                return
        pond = req.get_param("pond")
        lines = status_document.lineage(self.c.coordinator, resolve_line(self.c, pond, req)) if pond else None
        caller = req.context.caller
        resp.media = {**self._document(lines),
                      "catchment": {"id": self.c.id, "name": self.c.name},
                      "caller": {"name": caller.name, "level": str(caller.level),
                                 "keyed": self.c.team.keys.keyed}}


def _when(ms: int | None) -> str | None:
    return None if ms is None or ms == NEVER else iso(ms)


def run_doc(r: dict[str, Any]) -> dict[str, Any]:
    doc = {
        "pond": r["name"], "major": r["major"], "id": r["line"], "run_id": r["id"],
        "version": r["version"], "f": _when(r["f"]), "executed": bool(r["executed"]),
        "count": r["count"], "first_f": _when(r["first_f"] if r["first_f"] is not None else r["f"]),
        "started_at": _when(r["started_at"]), "finished_at": _when(r["finished_at"]),
        "duration_s": None if r["finished_at"] is None
        else (r["finished_at"] - r["started_at"]) / 1000,
        "status": r["status"],
        "changed": None if r["changed"] is None else bool(r["changed"]),
        "error": r["error"], "traceback": r["traceback"],
        "launcher": r.get("launcher"), "node": r.get("node"),
    }
    predicted = r.get("predicted_at")
    if predicted is not None:  # a dry-run's forecast of this run: how close it came
        doc["predicted_finished_at"] = _when(predicted)
        doc["prediction_error_s"] = (None if r["finished_at"] is None
                                     else (r["finished_at"] - predicted) / 1000)
    if "ripples" in r:
        doc["ripples"] = [
            {"ripple": a["ripple"], "attempt": a["attempt"], "status": a["status"],
             "f": _when(a["f"]), "started_at": _when(a["started_at"]),
             "finished_at": _when(a["finished_at"]), "error": a["error"],
             "traceback": a["traceback"], "log": a["log"]}
            for a in r["ripples"]
        ]
    return doc


def _with_table_versions(c: Catchment, rows: list[dict[str, Any]],
                         docs: list[dict[str, Any]]) -> None:
    """Each changed run's table versions, from its line's run manifests (docs/operating.md §4)."""
    from duckstring.lake.runs import manifests
    from duckstring.lake.where import line

    published: dict[str, dict[int, dict[str, int]]] = {}
    for r, doc in zip(rows, docs, strict=True):
        if not doc.get("changed"):
            continue
        if doc["id"] not in published:
            try:
                found = manifests(line(c.layout, doc["pond"], doc["major"]))
            except Exception:  # history still answers when the data is away
                found = []
            published[doc["id"]] = {m.f: m.tables for m in found}
        if r["f"] in published[doc["id"]]:
            doc["tables"] = published[doc["id"]][r["f"]]


class Runs:
    def __init__(self, c: Catchment) -> None:
        self.c = c

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        limit = req.get_param_as_int("limit") or 100
        if not 1 <= limit <= 10_000:
            raise BadInput("limit must be between 1 and 10000")
        lines = None
        pond = req.get_param("pond")
        if pond:
            try:
                line = resolve_line(self.c, pond, req)
            except NotFound:
                lines = self._removed(pond, req.get_param_as_int("major"))
            else:
                lineage = req.get_param_as_bool("lineage", default=False)
                lines = sorted(status_document.lineage(self.c.coordinator, line)) if lineage else [line]
        with self.c.store.transaction() as conn:
            rows = runs.history(conn, lines=lines, status=req.get_param("status"), limit=limit,
                                with_ripples=req.get_param_as_bool("ripples", default=False),
                                run_id=req.get_param_as_int("run"))
        docs = [run_doc(r) for r in rows]
        _with_table_versions(self.c, rows, docs)
        resp.media = {"runs": docs}

    def _removed(self, name: str, major: int | None) -> list[str]:
        """The history of a Pond that is no longer deployed (`pond remove` keeps it)."""
        with self.c.store.transaction() as conn:
            lines = [line for line in runs.lines_named(conn, name)
                     if major is None or line == line_id(name, major)]
        if not lines:
            raise NotFound(f"no Pond named {name!r} is deployed or has run history")
        return lines
