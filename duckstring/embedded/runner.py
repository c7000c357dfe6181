"""Serving a Catchment with Waitress in the foreground — the only module that imports
Waitress. The CLI (`catchment start`, on-demand local Catchments) and `python -m
duckstring.embedded` use it."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from duckstring.embedded.settings import Settings

THREADS = 48  # half of them may hold status long-polls (POLL_SLOTS); speed, not a need
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def local_url(host: str, port: int) -> str:
    connect = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    return f"http://{connect}:{port}"


class Server:
    """A Waitress server for one app, stoppable from any thread."""

    def __init__(self, app: Any, host: str, port: int, threads: int = THREADS) -> None:
        from waitress import create_server

        self.app = app
        self._server = create_server(
            app, host=host, port=port, threads=threads, ident="duckstring",
            channel_timeout=120, cleanup_interval=10,
        )
        self.port = int(self._server.effective_port)  # type: ignore[union-attr]
        self.host = host
        self._done = threading.Event()
        self._running = threading.Event()
        self._returned = threading.Event()

    @property
    def url(self) -> str:
        return local_url(self.host, self.port)

    def run(self) -> None:
        self._running.set()
        try:
            self._server.run()
        except OSError:
            if not self._done.is_set():  # closed under us by stop(): that's the way out
                raise
        finally:
            self._done.set()
            self._returned.set()

    def _close_connections(self) -> None:
        from waitress.wasyncore import close_all

        close_all(self._server._map, ignore_all=True)  # type: ignore[attr-defined]

    def stop(self, duck_timeout: float = 10.0) -> None:
        """Stop serving and close the Catchment, in the order its `close` sets: while `run`
        is still looping (in another thread) the Ducks are stopped first, so they can still
        collect their shutdown job; then the loop closes every open connection itself
        (keep-alive clients, long-polls), so `run` returns now instead of when they time out."""
        catchment = getattr(self.app, "catchment", None)
        serving = self._running.is_set() and not self._returned.is_set()
        if catchment is None:
            self._stop_serving(serving)
        else:  # not serving: no Duck can collect a job, so waiting for them is pointless
            catchment.close(duck_timeout if serving else 0.0,
                            stop_serving=lambda: self._stop_serving(serving))

    def _stop_serving(self, serving: bool) -> None:
        if self._done.is_set():
            return
        self._done.set()
        if serving:
            self._server.trigger.pull_trigger(self._close_connections)  # type: ignore[union-attr]
            self._returned.wait(5)
        self._server.close()
        self._server.task_dispatcher.shutdown(timeout=5)  # type: ignore[union-attr]


def open_server(settings: Settings, host: str, port: int) -> Server:
    """The one start-up path of every way this module serves (`python -m duckstring.embedded`,
    `catchment start`, the on-demand Catchment): open the root, wire the app, bind the port,
    tell the Ducks where to dial. Raises `RootLocked`, `SecretsKeyError` or `OSError` (the port)
    with nothing left open."""
    from duckstring.embedded.app import Catchment, create_app

    catchment = Catchment.open(settings)
    try:
        server = Server(create_app(catchment), host, port)
    except BaseException:
        catchment.close(0.0)
        raise
    catchment.supervisor.set_url(settings.catchment_url or server.url)
    return server


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def interrupt_on_stop_signals() -> dict[int, Any]:
    """Make SIGTERM and SIGINT raise KeyboardInterrupt in the main thread, whatever this process
    inherited: a process started in the background of a non-interactive shell (a script's
    `cmd &`, and so whatever a test runner started that way starts) inherits SIGINT ignored,
    and Python leaves it so, so Ctrl+C would not stop it (docs/operating.md, Stopping). Only
    from the main thread; returns what to hand `restore_signals`."""
    return {s: signal.signal(s, _interrupt) for s in STOP_SIGNALS}


def restore_signals(previous: dict[int, Any]) -> None:
    for s, handler in previous.items():
        signal.signal(s, handler)


def serve_forever(server: Server, on_ready: Callable[[Server], None] | None = None) -> None:
    """Run until Ctrl+C or SIGTERM, then shut down cleanly. The loop runs in a thread so that
    it still serves the Ducks their shutdown job while `stop` winds them down."""
    previous = interrupt_on_stop_signals()
    loop = threading.Thread(target=server.run, name="duckstring-server", daemon=True)
    try:
        if on_ready is not None:
            on_ready(server)
        loop.start()
        while loop.is_alive():
            loop.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        restore_signals(previous)
        server.stop()
        loop.join(10)
