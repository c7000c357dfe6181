"""Stopping a Catchment whose host owns the process (`waitress-serve … wsgi:app`; docs/operating.md §3).

Waitress stops on SIGINT (KeyboardInterrupt in its loop) but not on SIGTERM (what systemd and
Docker send), and either way it stops serving before `atexit` closes the Catchment, so its
Ducks could no longer collect their shutdown job. So on the first SIGTERM or SIGINT a thread
quiesces the Catchment while the host still serves (every Duck told to stop, and gone), then
hands the signal on in the main thread: to the handler that was there before, or, where that
was the default, as a KeyboardInterrupt, which is how Waitress stops cleanly. `atexit` then
finishes the Catchment's close."""

from __future__ import annotations

import _thread
import signal
import threading
from typing import Any, Protocol

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Quiescent(Protocol):
    def quiesce(self, duck_timeout: float = ...) -> None: ...


def stop_on_signals(catchment: Quiescent) -> bool:
    """Install the handlers (only possible from the main thread; False otherwise)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    stopping = threading.Event()
    handed_on = threading.Event()

    def stop(signum: int) -> None:
        try:
            catchment.quiesce()
        finally:
            handed_on.set()
            _thread.interrupt_main(signum)  # back in the main thread, where the host listens

    def handler(signum: int, frame: Any) -> Any:
        if handed_on.is_set():  # the Ducks are gone: now the host's own way out
            before = previous[signum]
            if callable(before):
                return before(signum, frame)
            raise KeyboardInterrupt  # for SIGTERM's default too: Waitress then stops cleanly
        if not stopping.is_set():  # a second signal while stopping changes nothing
            stopping.set()
            threading.Thread(target=stop, args=(signum,), name="duckstring-stop").start()
        return None

    for s, before in previous.items():
        if before is not signal.SIG_IGN:
            signal.signal(s, handler)
    return True
