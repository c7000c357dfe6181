"""Every error a request can meet, mapped to HTTP once (docs/http-api.md Errors): each becomes
`{"error": {"code", "message", ...}}` with its status. Services raise domain errors
(`domain_errors.py`) or their own (a query's, a probe's, an archive's, a manifest's, a table's,
the engine's); `ERRORS` says what each becomes, and `install` registers it on the app. An error
not listed here is a bug and stays a 500."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import falcon

from duckstring import engine
from duckstring.embedded import domain_errors as d
from duckstring.embedded.probe import ProbeError
from duckstring.embedded.query import QueryError
from duckstring.embedded.tables import TableNotFound
from duckstring.embedded.unpack import ArchiveTooLarge, UnsafeArchive
from duckstring.manifest import ManifestError

Body = Callable[[Any], tuple[str, dict[str, Any]]]  # the error -> (message, extra fields)


def _own(e: d.DomainError) -> tuple[str, dict[str, Any]]:
    return e.message, e.extra


def _plain(e: Exception) -> tuple[str, dict[str, Any]]:
    return str(e), {}


def _one_problem(e: Exception) -> tuple[str, dict[str, Any]]:
    return str(e), {"problems": [str(e)]}


def _manifest(e: ManifestError) -> tuple[str, dict[str, Any]]:
    return "pond.toml is not valid", {"problems": [str(p) for p in e.problems]}


def _probe(e: ProbeError) -> tuple[str, dict[str, Any]]:
    return e.message, {"problems": [e.message], "traceback": e.traceback}


BAD_REQUEST = (falcon.HTTP_400, "bad_request")
NOT_FOUND = (falcon.HTTP_404, "not_found")
CONFLICT = (falcon.HTTP_409, "conflict")
TOO_LARGE = (falcon.HTTP_413, "too_large")
INVALID = (falcon.HTTP_422, "invalid")

ERRORS: list[tuple[type[Exception], tuple[str, str], Body]] = [  # most specific first
    (ManifestError, INVALID, _manifest),
    (ArchiveTooLarge, TOO_LARGE, _plain),
    (UnsafeArchive, INVALID, _one_problem),
    (ProbeError, INVALID, _probe),
    (QueryError, BAD_REQUEST, _plain),
    (TableNotFound, NOT_FOUND, _plain),
    (engine.UnknownPond, NOT_FOUND, _plain),
    (engine.WindowConflict, CONFLICT, _plain),
    (engine.CycleError, INVALID, _plain),
    (engine.TopologyError, INVALID, _plain),
    (engine.WindowError, BAD_REQUEST, _plain),
    (engine.ConflictError, CONFLICT, _plain),
    (engine.EngineError, BAD_REQUEST, _plain),
    (d.BadInput, BAD_REQUEST, _own),
    (d.Unauthorized, (falcon.HTTP_401, "unauthorized"), _own),
    (d.Forbidden, (falcon.HTTP_403, "forbidden"), _own),
    (d.NotFound, NOT_FOUND, _own),
    (d.Conflict, CONFLICT, _own),
    (d.TooLarge, TOO_LARGE, _own),
    (d.Invalid, INVALID, _own),
    (d.Unavailable, (falcon.HTTP_502, "unavailable"), _own),
    (d.Busy, (falcon.HTTP_503, "busy"), _own),  # with Retry-After
]


def respond(resp: falcon.Response, ex: Exception) -> None:
    """Answer with the error `ex` (one of `ERRORS`'s) as its status and body."""
    (status, code), body = next((sc, b) for cls, sc, b in ERRORS if isinstance(ex, cls))
    message, extra = body(ex)
    resp.status = status
    if "retry_s" in extra:
        resp.set_header("Retry-After", str(max(1, math.ceil(extra["retry_s"]))))
    resp.media = {"error": {"code": code, "message": message, **extra}}


def install(app: falcon.App) -> None:
    def domain_error(req: falcon.Request, resp: falcon.Response, ex: Exception,
                     params: Any) -> None:
        respond(resp, ex)

    def http_error(req: falcon.Request, resp: falcon.Response, ex: falcon.HTTPError,
                   params: Any) -> None:
        resp.status = ex.status
        code = str(ex.status).split(" ", 1)[-1].lower().replace(" ", "_")
        resp.media = {"error": {"code": code, "message": ex.description or ex.title}}

    app.add_error_handler(falcon.HTTPError, http_error)
    app.add_error_handler(tuple(cls for cls, _, _ in ERRORS), domain_error)
