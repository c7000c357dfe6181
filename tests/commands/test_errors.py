"""Errors are one line (and an exit code), never a Python traceback unless DUCKSTRING_DEBUG=1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from typer.testing import CliRunner

from duckstring import config
from duckstring.cli import app
from tests.commands.conftest import Cli


def boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("something broke inside")


def test_an_unexpected_error_is_one_line_unless_debugging(monkeypatch: pytest.MonkeyPatch) -> None:
    from duckstring.terminal import console

    monkeypatch.setattr(config.Config, "load", classmethod(boom))
    monkeypatch.delenv("DUCKSTRING_DEBUG", raising=False)
    console.reset()
    result = CliRunner().invoke(app, ["status", "--once"])
    assert result.exit_code == 1
    assert "error: unexpected RuntimeError: something broke inside" in result.output
    assert "DUCKSTRING_DEBUG=1" in result.output and "Traceback" not in result.output

    monkeypatch.setenv("DUCKSTRING_DEBUG", "1")
    console.reset()
    result = CliRunner().invoke(app, ["status", "--once"])
    assert isinstance(result.exception, RuntimeError)  # raised, so Python prints the traceback
    console.reset()


@pytest.fixture
def not_a_catchment() -> Iterator[str]:
    def app(environ: dict[str, Any], start: Any) -> list[bytes]:
        start("200 OK", [("Content-Type", "text/html")])
        return [b"<html>a web site</html>"]

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_url_that_is_not_a_catchment_is_said_plainly(cli: Cli, not_a_catchment: str) -> None:
    r = cli("catchment", "connect", "-n", "web", "--path", not_a_catchment)
    assert r.code == 1, r
    assert "not JSON" in r.err and "Traceback" not in r.err


def test_usage_errors_are_one_line_with_a_hint(cli: Cli) -> None:
    r = cli("trigger", "tide", "reports")
    assert r.code == 2
    assert r.err.splitlines() == ["error: Missing argument 'BOUND'.",
                                  "hint: see `duckstring trigger tide --help`"]
    r = cli("frobnicate")
    assert r.code == 2 and r.err.startswith("error: No such command 'frobnicate'.")
