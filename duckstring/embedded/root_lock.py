"""The single-brain rule (docs/operating.md §3): one Catchment process per root, enforced with an
exclusive advisory lock that the OS drops when the process dies, however it dies."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


class RootLocked(RuntimeError):
    """Another live process owns this root."""


class FileLock:
    """A non-blocking exclusive `flock` that records the holder's pid."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")  # noqa: SIM115 - held for the process lifetime
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def holder(self) -> int | None:
        """The pid written by the current holder, if readable."""
        try:
            return int(self.path.read_text().strip() or 0) or None
        except (OSError, ValueError):
            return None

    def is_held(self) -> bool:
        """Whether another process holds the lock right now (probes without keeping it)."""
        if self._fh is not None:
            return False
        if not self.path.exists():
            return False
        with open(self.path, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
            return False


def lock_root(path: Path) -> FileLock:
    lock = FileLock(path)
    if not lock.acquire():
        pid = lock.holder()
        who = f" (pid {pid})" if pid else ""
        raise RootLocked(
            f"another Catchment{who} is already running on {path.parent}; "
            "stop it first, or use it instead of starting a second one"
        )
    return lock
