"""Domain errors of the Catchment and their single mapping to HTTP (docs/http-api.md): each becomes
`{"error": {"code", "message"}}` with a fitting status, in one place (`install`)."""

from __future__ import annotations

import math
from typing import Any

import falcon

from duckstring import engine


class ApiError(Exception):
    status = falcon.HTTP_400
    code = "bad_request"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class BadRequest(ApiError):
    pass


class Unauthorized(ApiError):
    status, code = falcon.HTTP_401, "unauthorized"


class Forbidden(ApiError):
    """A known key whose level is too low; `level_needed` names the level that would do."""

    status, code = falcon.HTTP_403, "forbidden"


class NotFound(ApiError):
    status, code = falcon.HTTP_404, "not_found"


class Conflict(ApiError):
    status, code = falcon.HTTP_409, "conflict"


class TooLarge(ApiError):
    status, code = falcon.HTTP_413, "too_large"


class Invalid(ApiError):
    status, code = falcon.HTTP_422, "invalid"


class Unavailable(ApiError):
    """Something the Catchment relies on is not there (a launcher's cluster)."""

    status, code = falcon.HTTP_502, "unavailable"


class Busy(ApiError):
    """Every slot for this kind of request is taken: come back in `retry_s` (503 with
    Retry-After, so a client or a proxy knows when)."""

    status, code = falcon.HTTP_503, "busy"

    def __init__(self, message: str, retry_s: float = 1.0) -> None:
        super().__init__(message, retry_s=retry_s)


_ENGINE = [  # most specific first
    (engine.UnknownPond, NotFound),
    (engine.WindowConflict, Conflict),
    (engine.CycleError, Invalid),
    (engine.TopologyError, Invalid),
    (engine.WindowError, BadRequest),
    (engine.ConflictError, Conflict),
    (engine.EngineError, BadRequest),
]


def _respond(resp: falcon.Response, err: ApiError) -> None:
    resp.status = err.status
    if "retry_s" in err.extra:
        resp.set_header("Retry-After", str(max(1, math.ceil(err.extra["retry_s"]))))
    resp.media = {"error": {"code": err.code, "message": err.message, **err.extra}}


def install(app: falcon.App) -> None:
    def api_error(req: falcon.Request, resp: falcon.Response, ex: ApiError, params: Any) -> None:
        _respond(resp, ex)

    def engine_error(req: falcon.Request, resp: falcon.Response, ex: engine.EngineError,
                     params: Any) -> None:
        kind = next(k for cls, k in _ENGINE if isinstance(ex, cls))
        _respond(resp, kind(str(ex)))

    def http_error(req: falcon.Request, resp: falcon.Response, ex: falcon.HTTPError,
                   params: Any) -> None:
        resp.status = ex.status
        code = str(ex.status).split(" ", 1)[-1].lower().replace(" ", "_")
        resp.media = {"error": {"code": code, "message": ex.description or ex.title}}

    app.add_error_handler(falcon.HTTPError, http_error)
    app.add_error_handler(engine.EngineError, engine_error)
    app.add_error_handler(ApiError, api_error)
