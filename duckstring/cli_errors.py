"""What the command line reports when something goes wrong: one line on stderr, an exit code
(docs/cli.md), and optionally a few detail lines (validation problems, a Ripple's traceback).

| code | meaning |
|---|---|
| 0 | ok |
| 1 | the pipeline did not succeed (a watched one-shot ended failed, blocked or killed) |
| 2 | usage error (bad arguments, invalid input, no registration) |
| 3 | the Catchment is unreachable |
| 4 | refused: no key, a wrong or revoked key (401), or a key below the level needed (403) |
| 5 | not found (unknown Pond, table, version) |
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from duckstring.api_error import ApiError

OK = 0
FAILED = 1
USAGE = 2
UNREACHABLE = 3
AUTH = 4
NOT_FOUND = 5


STATUS_CODES = {400: USAGE, 401: AUTH, 403: AUTH, 404: NOT_FOUND, 405: USAGE, 409: USAGE,
                413: USAGE, 422: USAGE}


class CliError(Exception):
    """An error the user should read: `message` is one line; `details` follow it."""

    def __init__(self, message: str, code: int = USAGE, details: list[str] | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = list(details or [])
        self.hint = hint


def exit_code(status: int | None) -> int:
    """The exit code for a request that failed with HTTP `status` (None: no answer)."""
    if status is None:
        return UNREACHABLE
    if status < 400:  # it answered, but not as a Catchment would
        return FAILED
    return STATUS_CODES.get(status, FAILED if status >= 500 else USAGE)


def from_api(e: ApiError) -> CliError:
    return CliError(e.message, exit_code(e.status), e.details, hint=e.hint)


def reader_gone() -> None:
    """Whoever read our output left (`duckstring --help | head`): stop quietly, with stdout
    pointed at /dev/null so the interpreter's last flush has nowhere to fail."""
    import os
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(1)  # as click and rich do for a closed pipe
