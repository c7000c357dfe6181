"""The Duck channel (docs/operating.md §2, duckstring/protocol.py): jobs long-poll, event batches
and a version's artifact take only the line's own Duck token (access/gate.py); the bootstrap of a
Duck on another machine takes only its one-time credential, in the body (embedded/bootstrap.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import falcon

from duckstring import protocol
from duckstring.embedded.domain_errors import BadInput, NotFound
from duckstring.embedded.longpoll import RETRY_S
from duckstring.embedded.resources.common import body, seconds_param
from duckstring.engine import line_id

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment



def _instance(value: object) -> str | None:
    return value[:64] if isinstance(value, str) and value else None


class DuckChannel:
    def __init__(self, c: Catchment) -> None:
        self.c = c

    def _line(self, name: str, major: str) -> str:
        line = line_id(name, major)
        if not self.c.coordinator.has_line(line):
            raise NotFound(f"no line {line}")
        return line

    def on_get_jobs(self, req: falcon.Request, resp: falcon.Response, name: str,
                    major: str) -> None:
        line = self._line(name, major)
        settings = self.c.settings
        wait = seconds_param(req, "wait", 0.0, settings.job_wait_s)
        poll = self.c.supervisor.take(
            line, wait, req.get_param_as_int("pid"), _instance(req.get_param("instance")),
            ack=req.get_param_as_int("ack") or 0, queue=req.get_param("queue"))
        resp.media = {
            "jobs": poll.jobs, "queue": self.c.supervisor.queue_id,
            "heartbeat_s": settings.heartbeat_s,
            # a Duck woken by its FIFO polls between jobs only to stay in touch
            "poll_s": min(settings.job_wait_s, settings.liveness_s / 3),
        }
        if poll.stale:
            resp.media["stale"] = True
        elif wait > 0 and not poll.waited and not poll.jobs:
            resp.media["retry_s"] = RETRY_S

    def on_post_bootstrap(self, req: falcon.Request, resp: falcon.Response, name: str,
                          major: str) -> None:
        from duckstring.embedded.bootstrap import grant

        line = self._line(name, major)
        credential = body(req).get("bootstrap")
        if not isinstance(credential, str) or not credential:
            raise BadInput('send {"bootstrap": "<the credential the launcher minted>"}')
        resp.media = grant(self.c, line, credential)
        resp.set_header("Cache-Control", "no-store")

    def on_get_artifact(self, req: falcon.Request, resp: falcon.Response, name: str,
                        major: str) -> None:
        """`?version=V`: the deployed files of one version of the line, as a deploy zip, and
        their digest (`X-Duckstring-Digest`) for the Duck to verify after unpacking."""
        from duckstring.embedded.store import versions
        from duckstring.packaging import pack_project

        line = self._line(name, major)
        selected = self.c.coordinator.selected.get(line)
        version = req.get_param("version") or (selected.version if selected else "")
        with self.c.store.transaction() as conn:
            row = versions.get(conn, name, version)
        files = self.c.layout.root / row.path if row is not None else None
        if row is None or files is None or row.major != int(major) or not files.is_dir():
            raise NotFound(f"{line} has no deployed version {version!r}")
        resp.data = pack_project(files)
        resp.content_type = "application/zip"
        resp.set_header(protocol.DIGEST_HEADER, row.digest)

    def on_post_events(self, req: falcon.Request, resp: falcon.Response, name: str,
                       major: str) -> None:
        line = self._line(name, major)
        data = body(req)
        batch = data.get("events")
        if not isinstance(batch, list):
            raise BadInput("events must be a list")
        for ev in batch:
            problem = protocol.check_event(ev)
            if problem:
                raise BadInput(problem)
        pid = data.get("pid")
        self.c.supervisor.heard_from(line, pid if isinstance(pid, int) else None,
                                     _instance(data.get("instance")))
        self.c.coordinator.ingest(line, batch)
        resp.media = {"ok": True, "accepted": len(batch)}
