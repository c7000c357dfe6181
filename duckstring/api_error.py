"""What the client raises when a request to a Catchment does not succeed (docs/http-api.md
Errors). Kept apart from `client.py` (which imports httpx) so the CLI can catch it at no cost;
the CLI turns it into an exit code in one place (`cli_errors.from_api`)."""

from __future__ import annotations


class ApiError(Exception):
    """`status` is the HTTP status, or None when the Catchment did not answer at all.
    `message` is one line; `details` follow it (validation problems, a traceback)."""

    def __init__(self, message: str, status: int | None, details: list[str] | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = list(details or [])
        self.hint = hint

    @property
    def unreachable(self) -> bool:
        return self.status is None

    @property
    def refused(self) -> bool:
        """The key (or its level) was refused."""
        return self.status in (401, 403)

    @property
    def not_found(self) -> bool:
        return self.status == 404
