"""The Catchment a command talks to, for the duration of that command (docs/cli.md "Registrations").

`open_session(reg)` answers a `Session` with a `Client`:

- a server that answers `GET /api/health` at the registered URL is used as it is;
- a registration with a `root` whose server does not answer is started inside this process:
  the same app (`create_app`), engine and Ducks, served by Waitress on the registered address
  in a background thread, used over HTTP like any other, and stopped when the session closes
  (scheduler stopped, every Duck shut down, root lock released);
- when the root is locked by another process (a second CLI started at the same time), we wait
  for that process's server to answer instead of failing, and start our own if the other one
  goes away first;
- anything else is unreachable (exit 3).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from duckstring.cli_errors import FAILED, UNREACHABLE, CliError
from duckstring.client import Client
from duckstring.config import CliSettings, Registration

if TYPE_CHECKING:
    from duckstring.embedded.runner import Server

LOCK_WAIT_S = 60.0  # how long a second CLI waits for the first one's server to answer
POLL_S = 0.1

Note = Callable[[str], None]


def listen_address(reg: Registration) -> tuple[str, int]:
    parts = urlsplit(reg.url)
    if parts.scheme not in ("http", "") or not parts.hostname:
        raise CliError(f"{reg.name!r} is local but its url {reg.url!r} is not http://HOST:PORT",
                       FAILED)
    return reg.host or parts.hostname, parts.port or 80


def build_server(reg: Registration) -> Server:
    """The registration's Catchment, opened and bound but not yet serving. Raises
    `RootLocked` when another process owns the root."""
    from dataclasses import replace

    from duckstring.embedded.runner import THREADS, open_server
    from duckstring.embedded.settings import Settings

    assert reg.root is not None
    host, port = listen_address(reg)
    settings = replace(Settings.from_env(), root=reg.root.absolute(), api_key=reg.key,
                       catchment_url=reg.url, poll_slots=THREADS // 2)
    from duckstring.embedded.access.secrets import SecretsKeyError
    from duckstring.embedded.launchers import LauncherSettingError

    try:
        return open_server(settings, host, port)
    except SecretsKeyError as e:
        raise CliError(f"cannot open {reg.name!r}: {e.message}", FAILED) from None
    except LauncherSettingError as e:
        raise CliError(f"cannot open {reg.name!r}: {e}", FAILED) from None
    except OSError as e:
        raise CliError(f"cannot serve {reg.name!r} on {host}:{port}: {e.strerror or e}; "
                       "something else is using that port", FAILED) from None


class Session:
    """A Catchment for one command: `client` speaks to it; `close()` stops what we started."""

    def __init__(self, reg: Registration, note: Note) -> None:
        self.reg = reg
        self.note = note
        self.client = Client(reg)
        self.server: Server | None = None
        self._thread: threading.Thread | None = None
        self._previous_signals: dict[int, Any] | None = None

    @property
    def on_demand(self) -> bool:
        """Whether this command started the Catchment itself."""
        return self.server is not None

    def connect(self) -> Session:
        if not self.client.health():
            if not self.reg.local:
                self.client.check_health()  # raises the precise unreachable error
                raise CliError(f"{self.client.who} does not answer /api/health", UNREACHABLE)
            self._start_or_wait()
        self._check_identity()
        return self

    def _check_identity(self) -> None:
        """The URL must be served by the registration's own Catchment (its `id`, or for an
        older local registration the id in its root), not by whatever else answers there."""
        expected = self.reg.id
        if expected is None and self.reg.root is not None:
            expected = root_identity(self.reg.root)
        if expected is None:
            return
        found = self.client.identity()
        if found.get("id") != expected:
            raise wrong_catchment(self.reg, found)

    def revive(self) -> None:
        """After losing the server mid-command: a local one is started (or waited for) again."""
        if self.reg.local and not self.client.health():
            self._start_or_wait()

    def _start_or_wait(self) -> None:
        from duckstring.embedded.root_lock import RootLocked

        deadline = time.monotonic() + LOCK_WAIT_S
        told = False
        while True:
            try:
                self._start()
                return
            except RootLocked:
                pass
            if self.client.health():
                return
            if not told:
                self.note(f"the root of {self.reg.name!r} is in use by another process; "
                          f"waiting for its server at {self.reg.url}")
                told = True
            if time.monotonic() > deadline:
                raise CliError(
                    f"{self.reg.root} is locked by another process, but nothing answered at "
                    f"{self.reg.url} within {LOCK_WAIT_S:g} s", UNREACHABLE,
                    hint="stop the other process, or check that it serves the registered url",
                )
            time.sleep(POLL_S)

    def _start(self) -> None:
        import logging

        logging.getLogger("waitress").setLevel(logging.ERROR)  # no queue-depth chatter here
        server = build_server(self.reg)
        self.server = server
        self._thread = threading.Thread(target=server.run, name="duckstring-catchment",
                                        daemon=True)
        self._thread.start()
        if threading.current_thread() is threading.main_thread():
            from duckstring.embedded.runner import interrupt_on_stop_signals

            self._previous_signals = interrupt_on_stop_signals()
        deadline = time.monotonic() + 10
        while not self.client.health(timeout=1) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.note(f"started the local Catchment {self.reg.name!r} for this command "
                  f"({self.reg.url}, root {self.reg.root}); it stops when the command ends")

    def close(self) -> None:
        """Stop what this command started. The command's work is done by now, so a hitch while
        shutting down is a warning, and the Catchment is closed (Ducks stopped, root
        released) whatever happens."""
        server, self.server = self.server, None
        with contextlib.suppress(OSError):
            self.client.close()  # first, so no keep-alive connection of ours is left open
        try:
            if server is not None:
                try:
                    server.stop()
                except Exception as e:
                    self._hitch(e)
                    catchment = getattr(server.app, "catchment", None)
                    if catchment is not None:
                        catchment.close()
                if self._thread is not None:
                    self._thread.join(timeout=15)
        finally:
            if self._previous_signals is not None:
                from duckstring.embedded.runner import restore_signals

                restore_signals(self._previous_signals)
                self._previous_signals = None

    def _hitch(self, e: Exception) -> None:
        self.note(f"warning: stopping the local Catchment {self.reg.name!r}: "
                  f"{type(e).__name__}: {e}")
        if CliSettings.from_env().debug:
            import traceback

            self.note("".join(traceback.format_exception(e)))

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wrong_catchment(reg: Registration, found: dict[str, Any]) -> CliError:
    """Another Catchment answers at a registration's URL: say so, and how to fix it."""
    from duckstring.config import home

    who = f"Catchment {found.get('name')!r} (id {str(found.get('id'))[:8]}…)"
    message = (f"{reg.url} is served by another {who}, not by {reg.name!r} "
               f"(id {(reg.id or '?')[:8]}…)")
    if reg.local:
        hint = (f"something else listens on that port: stop it, or give {reg.name!r} a port of "
                f"its own (its url in {home() / 'config.toml'})")
    else:
        hint = (f"if {reg.name!r} moved, re-register it: `duckstring catchment disconnect "
                f"{reg.name}`, then `duckstring catchment connect -n {reg.name} --url URL`")
    return CliError(message, UNREACHABLE, hint=hint)


def mint_identity(root: Path, name: str) -> str:
    """The id of the Catchment in `root`, minted now when the root is new, so a registration
    knows which Catchment it belongs to before that Catchment first starts."""
    from duckstring.embedded.store import Store, StoreError, meta
    from duckstring.layout import Layout

    try:
        store = Store(Layout(root).db)
    except StoreError as e:
        raise CliError(str(e), FAILED) from None
    try:
        with store.transaction() as conn:
            ident, _, _ = meta.ensure_identity(conn, name)
    finally:
        store.close()
    return ident


def root_identity(root: Path) -> str | None:
    """The Catchment id stored in a root's duck.db, or None when there is none yet."""
    import sqlite3

    db = root / "duck.db"
    if not db.is_file():
        return None
    try:
        con = sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            row = con.execute("SELECT value FROM meta WHERE key = 'id'").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return None if row is None else str(row[0])


@contextlib.contextmanager
def open_session(reg: Registration, note: Note) -> Iterator[Session]:
    session = Session(reg, note)
    try:
        yield session.connect()
    finally:
        session.close()
