"""What goes wrong in the Catchment's services, said without HTTP.

Services and resources raise these kinds (or their own errors, such as `QueryError` or
`ProbeError`); `http_errors.py` is the one place that maps each to a status and a body
(docs/http-api.md Errors). `message` is one line; `extra` adds fields to the error body (a
deploy's `problems`, the level a key would need, when to come back)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class BadInput(DomainError):
    """A request's input is malformed or out of range."""


class Unauthorized(DomainError):
    """No key, or a key this Catchment does not know."""


class Forbidden(DomainError):
    """A known key whose level is too low; `level_needed` names the level that would do."""


class NotFound(DomainError):
    """The request names something that is not there."""


class Conflict(DomainError):
    """The request clashes with the state (a name taken, a choice left open)."""


class TooLarge(DomainError):
    """An upload over its limit."""


class Invalid(DomainError):
    """Well-formed input that cannot be accepted (a deploy that breaks a pin)."""


class Unavailable(DomainError):
    """Something the Catchment relies on is not there (a launcher's cluster)."""


class Busy(DomainError):
    """Every slot for this kind of request is taken: come back in `retry_s`."""

    def __init__(self, message: str, retry_s: float = 1.0) -> None:
        super().__init__(message, retry_s=retry_s)
