"""One Duck per line: an exclusive, non-blocking lock on `duck.lock`, holding the owner's pid.

The lock lives as long as the open file (the process), and file descriptors are not inherited
across `exec`, so a Duck that re-execs itself simply takes it again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt


def acquire(path: Path) -> IO[str] | None:
    """Lock `path` and write our pid into it; None when another live process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+")  # noqa: SIM115 - held open for the life of the process
    try:
        if fcntl is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # pragma: no cover
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
    except OSError:
        fh.close()
        return None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return fh


def holder(path: Path) -> int | None:
    """The pid written by the current (or last) holder, if readable."""
    try:
        return int(path.read_text().strip() or 0) or None
    except (OSError, ValueError):
        return None
