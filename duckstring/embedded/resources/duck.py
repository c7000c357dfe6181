"""The Duck channel (docs/operating.md §2, duckstring/protocol.py): jobs long-poll and event batches.
Only the internal Duck token gets here (auth.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import falcon

from duckstring import protocol
from duckstring.embedded.errors import BadRequest, NotFound
from duckstring.embedded.resources.common import body, seconds_param
from duckstring.engine import line_id

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment

POLL_RETRY_S = 0.1  # when every long-poll slot is taken, come back this soon


class DuckChannel:
    def __init__(self, c: Catchment) -> None:
        self.c = c

    def _line(self, name: str, major: str) -> str:
        line = line_id(name, major)
        with self.c.coordinator.lock:
            if line not in self.c.coordinator.engine.ponds:
                raise NotFound(f"no line {line}")
        return line

    def on_get_jobs(self, req: falcon.Request, resp: falcon.Response, name: str,
                    major: str) -> None:
        line = self._line(name, major)
        wait = seconds_param(req, "wait", 0.0, self.c.settings.job_wait_s)
        jobs, waited = self.c.supervisor.take(line, wait, req.get_param_as_int("pid"))
        resp.media = {"jobs": jobs, "heartbeat_s": self.c.settings.heartbeat_s}
        if not waited and not jobs:
            resp.media["retry_s"] = POLL_RETRY_S

    def on_post_events(self, req: falcon.Request, resp: falcon.Response, name: str,
                       major: str) -> None:
        line = self._line(name, major)
        data = body(req)
        batch = data.get("events")
        if not isinstance(batch, list):
            raise BadRequest("events must be a list")
        for ev in batch:
            problem = protocol.check_event(ev)
            if problem:
                raise BadRequest(problem)
        pid = data.get("pid")
        self.c.supervisor.heard_from(line, pid if isinstance(pid, int) else None)
        self.c.coordinator.ingest(line, batch)
        resp.media = {"ok": True, "accepted": len(batch)}
