"""The wake-up pipe of a line's Duck (docs/operating.md §2): a FIFO named for the root and line.

A Duck does not hold a connection or a server thread while it waits for jobs. It listens on its
line's FIFO, and the Catchment writes one byte there whenever it queues a job; the Duck then asks
for its jobs with a short poll. Between jobs it polls only now and then (`poll_s`), so a wake-up
that is missed (a Duck just re-exec'ing) costs latency, never a job.

The FIFO lives in a private directory under the system's temp dir, not in the root: a root is
copied and backed up with ordinary tools, and reading a FIFO blocks them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import stat
import tempfile
from pathlib import Path


def fifo_path(root: Path, name: str, major: int) -> Path:
    """Where the Duck of `name@major` on `root` listens (the same path on both sides)."""
    digest = hashlib.sha256(str(Path(root).absolute()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"duckstring-{os.getuid()}" / f"{digest}-{name}-{major}"


def poke(path: Path) -> None:
    """Wake the Duck listening on `path`, if one is; never blocks, never fails."""
    try:
        if not stat.S_ISFIFO(os.stat(path).st_mode):
            return
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:  # no FIFO yet, or nobody listening (ENXIO)
        return
    try:
        os.write(fd, b"!")
    except OSError:  # the pipe is full: the Duck has a wake-up pending anyway
        pass
    finally:
        os.close(fd)


class Waker:
    """The listening end. It also holds a writer of its own, so a reader never sees end-of-file
    when the Catchment closes its end, and so `poke` can interrupt a wait from this process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(path.parent)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
            raise OSError(f"{path.parent} is not a directory of this user's")
        with contextlib.suppress(FileNotFoundError):
            if not stat.S_ISFIFO(os.lstat(path).st_mode):
                path.unlink()
        with contextlib.suppress(FileExistsError):
            os.mkfifo(path, 0o600)
        self._r = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self._w = os.open(path, os.O_WRONLY | os.O_NONBLOCK)

    def wait(self, timeout: float) -> bool:
        """Sleep until poked or `timeout` passes; True when poked."""
        ready, _, _ = select.select([self._r], [], [], max(0.0, timeout))
        if not ready:
            return False
        with contextlib.suppress(BlockingIOError):
            while os.read(self._r, 512):
                pass
        return True

    def poke(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._w, b"!")

    def close(self) -> None:
        """Close, and remove the FIFO (a re-exec or the next Duck makes it again)."""
        for fd in (self._r, self._w):
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(OSError):
            self.path.unlink()
