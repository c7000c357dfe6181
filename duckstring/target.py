"""A Pond as a command or a client names it: the line (`-m`) and the exact version (`-v`), and
the query parameters that address it (docs/http-api.md); the paths are the client's. Kept
light and free of the CLI so that the local tools (`pond hydrate`) and the commands share it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """A Pond as a command names it: `-m` picks the line, `-v` pins the exact version."""

    pond: str
    major: int | None = None
    version: str | None = None

    def params(self) -> dict[str, Any]:
        return {"major": self.major, "version": self.version}
