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


@pytest.fixture(params=[("text/html", b"<html>a web site</html>", "something that is not JSON"),
                        ("application/json", b'["a", "list"]', "JSON but not an object (list)")],
                ids=["html", "json-list"])
def not_a_catchment(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """A real HTTP server on 127.0.0.1 that answers every path with 200 and a body no Catchment
    sends; yields its URL and what the CLI should say about that body."""
    content_type, body, said = request.param

    def app(environ: dict[str, Any], start: Any) -> list[bytes]:
        start("200 OK", [("Content-Type", content_type)])
        return [body]

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", said
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_url_that_is_not_a_catchment_is_said_plainly(runner: Any,
                                                       not_a_catchment: tuple[str, str]) -> None:
    url, said = not_a_catchment
    r = runner("catchment", "connect", "-n", "web", "--path", url)
    assert r.code != 0, r
    assert "Traceback" not in r.err + r.out
    errors = [line for line in r.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, r
    assert f"({url}) answered /api/health with {said}; is that URL a duckstring Catchment?" \
        in errors[0], r


def test_usage_errors_are_one_line_with_a_hint(cli: Cli) -> None:
    r = cli("trigger", "tide", "reports")
    assert r.code == 2
    assert r.err.splitlines() == ["error: Missing argument 'BOUND'.",
                                  "hint: see `duckstring trigger tide --help`"]
    r = cli("frobnicate")
    assert r.code == 2 and r.err.startswith("error: No such command 'frobnicate'.")
