"""The Duck channel (docs/operating.md §2): what a Catchment queues for a line's Duck and what the
Duck posts back. Both sides import this module, so the wire shapes live in one place.

All traffic is Duck-initiated and authenticated with the line's own Duck token
(`Authorization: Bearer {token}`, from `DUCKSTRING_DUCK_TOKEN` in the Duck's environment), which
opens that line's routes only (embedded/access/gate.py `line_token`).
Times and freshnesses are integer milliseconds since the Unix epoch.

Jobs — `GET /api/duck/{name}/{major}/jobs?wait=S&pid=P&instance=I&ack=N&queue=Q` answers
`{"jobs": [...], "queue": Q, "heartbeat_s": H, "poll_s": P}` as soon as a job is queued or after
`S` seconds (a Duck woken by its FIFO, duckstring/wake.py, asks with `wait=0` and polls every `P`
seconds between jobs); when every long-poll slot of the server is taken it answers at once with
`"retry_s": R` (poll again after R seconds). Delivery is at least once: each job carries a
`seq` in the numbering `Q`, and stays queued, answered to every poll, until a poll acknowledges it
(`ack=N`: every job up to `seq` N arrived). `I` is the Duck process's instance id, minted at
launch; a poll from a process that is not the line's Duck is answered `"stale": true` and takes
nothing. A Catchment writes its address to `{root}/catchment.url`, where a Duck that outlived it
finds a restarted Catchment that listens elsewhere:

    {"type": "begin_run", "f": F, "version": "1.2.0", "digest": "sha256:…", "retries": N,
     "force": false, "sources_changed": true}

`digest` names the deployed content of that version: a Duck holding other code for it (the
version was replaced) reloads before it runs.
    {"type": "kill"}          terminate in-flight work (the runs are already recorded killed)
    {"type": "shutdown"}      finish posting events and exit

Events — `POST /api/duck/{name}/{major}/events` with `{"pid": P, "instance": I, "events": [...]}`;
the answer
`{"ok": true}` means the batch is committed, so the Duck may drop it from its outbox.
Replaying a batch changes nothing: events are idempotent on `(line, f, ripple, attempt)`.

    {"type": "ripple_started",   "f", "ripple", "attempt", "at"}
    {"type": "ripple_succeeded", "f", "ripple", "attempt", "at", "log"}
    {"type": "ripple_failed",    "f", "ripple", "attempt", "at", "error", "traceback", "log"}
    {"type": "ripple_lost",      "f", "ripple", "attempt", "at", "error"}   the Duck left or died
                                 during the attempt (history only: the run resumes on re-dispatch)
    {"type": "run_finished",     "f", "at", "changed", "tables": {name: {"rows", "columns"}}}
    {"type": "run_rejected",     "f", "at", "error"}      publish refused (schema contract)
    {"type": "stuck",            "f", "at", "error"}      the watchdog gave up on the run
    {"type": "heartbeat",        "at", "running": [ripple, ...]}

A Duck on another machine (`python -m duckstring.duck --work DIR`, duckstring/duck/remote.py)
starts with `DUCKSTRING_DUCK_BOOTSTRAP` instead of a token: it redeems it once with
`POST /api/duck/{name}/{major}/bootstrap` `{"bootstrap": B}` for
`{"line", "token", "data_url", "env": {...}, "secrets": {...}}` (a second redemption is a 409,
an unknown or expired credential a 401), then fetches each version it runs with
`GET /api/duck/{name}/{major}/artifact?version=V` (Duck token): the version's files as a deploy
zip, their digest in `X-Duckstring-Digest`.

`attempt` counts the attempts of one Ripple at one freshness, from 1, and keeps counting
across a forced re-run of the same `F`.
"""

from __future__ import annotations

from typing import Any, Final

BEGIN_RUN: Final = "begin_run"
KILL: Final = "kill"
SHUTDOWN: Final = "shutdown"
JOB_TYPES: Final = (BEGIN_RUN, KILL, SHUTDOWN)

RIPPLE_STARTED: Final = "ripple_started"
RIPPLE_SUCCEEDED: Final = "ripple_succeeded"
RIPPLE_FAILED: Final = "ripple_failed"
RIPPLE_LOST: Final = "ripple_lost"
RUN_FINISHED: Final = "run_finished"
RUN_REJECTED: Final = "run_rejected"
STUCK: Final = "stuck"
HEARTBEAT: Final = "heartbeat"
EVENT_TYPES: Final = (
    RIPPLE_STARTED, RIPPLE_SUCCEEDED, RIPPLE_FAILED, RIPPLE_LOST, RUN_FINISHED, RUN_REJECTED,
    STUCK, HEARTBEAT,
)

TOKEN_ENV: Final = "DUCKSTRING_DUCK_TOKEN"
URL_ENV: Final = "DUCKSTRING_CATCHMENT_URL"
ACKED_ENV: Final = "DUCKSTRING_DUCK_ACKED"  # a re-exec'd Duck's acknowledgement state ("Q:N")
BOOTSTRAP_ENV: Final = "DUCKSTRING_DUCK_BOOTSTRAP"  # a remote Duck's one-time credential
DIGEST_HEADER: Final = "X-Duckstring-Digest"


def begin_run(f: int, version: str, retries: int, force: bool, sources_changed: bool,
              digest: str = "") -> dict[str, Any]:
    return {"type": BEGIN_RUN, "f": f, "version": version, "digest": digest, "retries": retries,
            "force": force, "sources_changed": sources_changed}


def jobs_path(name: str, major: int) -> str:
    return f"/api/duck/{name}/{major}/jobs"


def events_path(name: str, major: int) -> str:
    return f"/api/duck/{name}/{major}/events"


def bootstrap_path(name: str, major: int) -> str:
    return f"/api/duck/{name}/{major}/bootstrap"


def artifact_path(name: str, major: int) -> str:
    return f"/api/duck/{name}/{major}/artifact"


def check_event(ev: Any) -> str | None:
    """What is wrong with one posted event, or None when it is well-formed."""
    if not isinstance(ev, dict) or ev.get("type") not in EVENT_TYPES:
        return f"unknown event {ev!r:.80}"
    need: tuple[str, ...] = ("at",)
    if ev["type"] in (RIPPLE_STARTED, RIPPLE_SUCCEEDED, RIPPLE_FAILED, RIPPLE_LOST):
        need = ("f", "ripple", "attempt", "at")
    elif ev["type"] in (RUN_FINISHED, RUN_REJECTED, STUCK):
        need = ("f", "at")
    missing = [k for k in need if k not in ev]
    if missing:
        return f"{ev['type']} event lacks {', '.join(missing)}"
    for k in ("f", "attempt", "at"):
        if k in ev and (not isinstance(ev[k], int) or isinstance(ev[k], bool)
                        or not -(1 << 63) <= ev[k] < 1 << 63):
            return f"{ev['type']} event: {k} must be a 64-bit integer"
    return None
