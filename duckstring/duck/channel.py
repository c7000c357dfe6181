"""The Duck's HTTP side of the Duck channel (duckstring/protocol.py): long-poll jobs, post
event batches. Every request carries `Authorization: Bearer {DUCKSTRING_DUCK_TOKEN}`.

The poller and the sender each get their own `Channel`, so a poll never delays a batch of
events. Neither keeps a connection open between requests (`Connection: close`): a Duck at rest
holds no connection of the server's (Waitress accepts 100 by default, and 200 Ducks must fit).

Every request names this process (`pid`) and its `instance`, minted at launch; polls acknowledge
the jobs received so far (`ack`, in the numbering of the Catchment's `queue`), and a job answered
again (its request was cut short) is dropped here as a duplicate.

A Duck outlives its Catchment (docs/operating.md §3), and the next Catchment on the root may listen
elsewhere. So when the Catchment does not answer, the channel alternates between the address it
was started with and the one the root's current Catchment wrote to `catchment.url`.
"""

from __future__ import annotations

import enum
import logging
from pathlib import Path
from typing import Any

import httpx

from duckstring import protocol

log = logging.getLogger("duckstring.duck")


class Unreachable(Exception):
    """The Catchment did not answer (down, restarting, or refusing us)."""


class Verdict(enum.Enum):
    OK = "ok"  # committed: drop from the outbox
    RETRY = "retry"  # not committed: keep and try again later
    REFUSED = "refused"  # the Catchment will never accept this batch (4xx): do not retry it


def _positive(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def _base(url: str) -> str:
    return url.strip().rstrip("/") + "/"


class Channel:
    def __init__(self, url: str, token: str, name: str, major: int, pid: int,
                 url_file: Path | None = None, instance: str = "", acked: str = "") -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers["Connection"] = "close"
        self.pid = pid
        self.instance = instance
        queue, _, seq = acked.partition(":")  # handed over by the process we re-exec'd from
        self.queue, self.received = queue, int(seq) if seq.isdigit() else 0
        self.poll_s: float | None = None  # the Catchment's pace between polls of a woken Duck
        self.stale = False  # the Catchment took our last poll for another process's
        self.jobs_path = protocol.jobs_path(name, major)
        self.events_path = protocol.events_path(name, major)
        self.url = _base(url)
        self.url_file = url_file
        self.client = httpx.Client(base_url=self.url, headers=headers, timeout=httpx.Timeout(10.0))

    def close(self) -> None:
        self.client.close()

    def redial(self) -> None:
        """The Catchment did not answer: try the other known address, if there is one."""
        current = str(self.client.base_url)
        written = None
        if self.url_file is not None:
            try:
                written = _base(self.url_file.read_text()) if self.url_file.is_file() else None
            except OSError:
                written = None
        if written in (None, "/"):
            return
        target = self.url if current == written else written
        if target != current:
            log.info("dialing the Catchment at %s", target)
            self.client.base_url = target

    def acked(self) -> str:
        """Our acknowledgement state, for a re-exec to carry on with (`Channel(acked=…)`)."""
        return f"{self.queue}:{self.received}"

    def jobs(self, wait: float) -> tuple[list[dict[str, Any]], float | None, float]:
        """Poll for jobs (waiting up to `wait` when the Catchment has a long-poll slot free);
        return the new ones, the Catchment's `heartbeat_s`, and how long to pause before
        polling again (`retry_s`: it had no long-poll slot free for us)."""
        params: dict[str, Any] = {"wait": f"{wait:g}", "pid": self.pid}
        if self.instance:
            params.update(instance=self.instance, ack=self.received, queue=self.queue)
        try:
            r = self.client.get(self.jobs_path.lstrip("/"), params=params,
                                timeout=httpx.Timeout(10.0, read=wait + 15.0))
        except httpx.HTTPError as e:
            self.redial()
            raise Unreachable(f"GET jobs: {e!r}") from None
        if r.status_code != 200:
            raise Unreachable(f"GET jobs answered {r.status_code}: {r.text[:200]}")
        try:
            body = r.json()
            jobs = body.get("jobs", [])
            heartbeat = body.get("heartbeat_s")
            retry = body.get("retry_s", 0)
            poll_s = body.get("poll_s")
            queue = body.get("queue")
            self.stale = body.get("stale") is True
        except (ValueError, AttributeError):
            raise Unreachable(f"GET jobs answered something that is not JSON: {r.text[:200]}") from None
        if not isinstance(jobs, list):
            raise Unreachable(f"GET jobs answered jobs={jobs!r:.200}")
        self.poll_s = _positive(poll_s)
        return self._new(jobs, queue), _positive(heartbeat), min(_positive(retry) or 0.0, 5.0)

    def _new(self, jobs: list[Any], queue: Any) -> list[dict[str, Any]]:
        """The jobs not seen before; numbering restarts with a new Catchment (`queue`)."""
        if isinstance(queue, str) and queue != self.queue:
            self.queue, self.received = queue, 0
        out = []
        for job in jobs:
            if not isinstance(job, dict):
                continue
            seq = job.pop("seq", None)
            if isinstance(seq, int) and not isinstance(seq, bool):
                if seq <= self.received:
                    continue  # answered again: its first delivery reached us after all
                self.received = seq
            out.append(job)
        return out

    def post(self, events: list[dict[str, Any]]) -> Verdict:
        try:
            r = self.client.post(
                self.events_path.lstrip("/"),
                json={"pid": self.pid, "instance": self.instance, "events": events}
                if self.instance else {"pid": self.pid, "events": events},
            )
        except httpx.HTTPError as e:
            log.debug("POST events failed: %r", e)
            self.redial()
            return Verdict.RETRY
        if r.status_code == 200:
            try:
                ok = r.json().get("ok") is True
            except (ValueError, AttributeError):
                ok = False
            return Verdict.OK if ok else Verdict.RETRY
        # 401: a token mix-up an operator can fix; 404/408/409/429/5xx: try again later
        if r.status_code in (400, 413, 422):
            log.error("the Catchment refused %d event(s) (%d): %s",
                      len(events), r.status_code, r.text[:500])
            return Verdict.REFUSED
        log.warning("POST events answered %d: %s", r.status_code, r.text[:200])
        return Verdict.RETRY
