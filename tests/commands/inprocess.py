"""The command line in this process (Typer's runner) against the real app through
`httpx.WSGITransport`: no port, no subprocess, for command tests that are not about the server
itself. The Catchment is registered as a remote one at `URL`, so no command starts a server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.commands.conftest import Result

URL = "http://catchment.test"


@dataclass
class InProcess:
    """`cli("secret", "list")` runs the command tree in this process; returns a Result."""

    base: Path
    home: Path
    app: Any = None  # the falcon app, if any (commands that need none run without)

    def __call__(self, *args: str, input: str | None = None) -> Result:
        from typer.testing import CliRunner

        from duckstring.cli import app
        from duckstring.terminal import console

        console.reset()  # the runner swaps sys.stdout/sys.stderr
        env = {"DUCKSTRING_HOME": str(self.home), "HOME": str(self.home / "user"),
               "DUCKSTRING_CATCHMENT": None, "DUCKSTRING_DEBUG": None}
        old = os.getcwd()
        os.chdir(self.base)
        try:
            r = CliRunner().invoke(app, list(args), input=input, env=env)
        finally:
            os.chdir(old)
            console.reset()
        return Result(r.exit_code, r.stdout, r.stderr)

    def ok(self, *args: str, input: str | None = None) -> Result:
        r = self(*args, input=input)
        assert r.code == 0, f"duckstring {' '.join(args)}: {r}"
        return r


def runner(base: Path) -> InProcess:
    """The command line in this process with a fresh home and no Catchment (registration and
    file commands)."""
    home = base / "home"
    (home / "user").mkdir(parents=True, exist_ok=True)
    return InProcess(base, home)


def open_inprocess(base: Path, *, api_key: str | None = None,
                   launcher: Any = None) -> Iterator[InProcess]:
    """A Catchment on `base/root` served in process, registered as `dev` (with `api_key`);
    `launcher` starts its Ducks (tests/embedded/test_server.py's Recorder: none at all)."""
    import httpx

    from duckstring.client import Client
    from duckstring.embedded.app import Catchment, create_app
    from duckstring.embedded.settings import Settings

    home = runner(base).home
    app = create_app(Catchment.open(Settings(root=base / "root", api_key=api_key,
                                             catchment_url=URL), launcher=launcher))
    before = Client.default_transport
    Client.default_transport = httpx.WSGITransport(app=app)
    cli = InProcess(base, home, app)
    try:
        cli.ok("catchment", "connect", "-n", "dev", "--url", URL,
               *(["--key", api_key] if api_key else []), "-y")
        yield cli
    finally:
        Client.default_transport = before
        app.catchment.close(duck_timeout=0.1)  # no Duck here takes its shutdown job
