"""The long-poll budget (docs/operating.md §6, §10): a request that waits (a status watcher's
`?since=V&wait=S`, a Duck asking to wait for jobs) holds a server thread for as long as it waits.
Only `slots` of them wait at once, so the threads that answer API requests are never all taken;
the excess is answered at once with a `retry_s` hint (a status watcher's with a short
`{"version", "unchanged": true, "retry_s"}` when nothing changed, so fifty of them cost little)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

RETRY_S = 2.0  # a poll that found every slot taken comes back this much later


class LongPolls:
    def __init__(self, slots: int) -> None:
        self.slots = max(0, slots)
        self.held = 0
        self._lock = threading.Lock()

    @contextmanager
    def hold(self) -> Iterator[bool]:
        """A slot for the duration of the block, if one is free (yields whether one was)."""
        with self._lock:
            got = self.held < self.slots
            if got:
                self.held += 1
        try:
            yield got
        finally:
            if got:
                with self._lock:
                    self.held -= 1
