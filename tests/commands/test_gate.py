"""`catchment connect --header` reaching a Catchment behind a platform gate that demands a
header (as an oauth2 proxy or Posit Connect would), with the real app behind it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from duckstring.config import Config, Registration
from tests.commands.conftest import Cli

TOKEN = "Key s3cret"


@pytest.fixture
def gated(tmp_path: Path) -> Iterator[str]:
    from duckstring.embedded.app import Catchment, create_app
    from duckstring.embedded.runner import Server
    from duckstring.embedded.settings import Settings

    app = create_app(Catchment.open(Settings(root=tmp_path / "root")))

    def gate(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("HTTP_X_PLATFORM_AUTH") != TOKEN:
            start_response("401 Unauthorized", [("Content-Type", "text/html")])
            return [b"<html><body>Please sign in</body></html>"]
        return app(environ, start_response)

    gate.catchment = app.catchment  # type: ignore[attr-defined] # so Server.stop closes it
    server = Server(gate, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.stop()
        thread.join(10)


def test_connect_with_a_header_reaches_a_gated_catchment(cli: Cli, gated: str) -> None:
    r = cli("catchment", "connect", "-n", "platform", "--path", gated)
    assert r.code == 4, r
    assert "refused" in r.err and "Traceback" not in r.err
    assert not (cli.home / "config.toml").exists() or not Config.load(
        cli.home / "config.toml").registrations()

    r = cli.ok("catchment", "connect", "-n", "platform", "--path", gated,
               "--header", f"X-Platform-Auth: {TOKEN}", "-y")
    assert "registered 'platform'" in r.out
    reg = Config.load(cli.home / "config.toml").get("platform")
    assert reg.headers == {"X-Platform-Auth": TOKEN} and not reg.local

    doc = json.loads(cli.ok("status", "--json").out)
    assert doc["ponds"] == []
    cli.ok("pond", "demo", "demo")
    cli.ok("pond", "deploy", "demo/products")
    tables = json.loads(cli.ok("query", "products", "--json", "-").out)
    assert tables["pond"] == "products@1"
    listed = json.loads(cli.ok("catchment", "list", "--json").out)["catchments"]
    assert listed[0]["reachable"] is True

    cfg = Config.load(cli.home / "config.toml")
    cfg.add(Registration("stale", gated, headers={"X-Platform-Auth": "Key expired"}))
    cfg.save()
    r = cli("status", "--once", "-c", "stale")
    assert r.code == 4, r
    assert "401" in r.err


def test_bad_header_syntax_is_a_usage_error(cli: Cli) -> None:
    r = cli("catchment", "connect", "-n", "x", "--path", "http://127.0.0.1:1", "--header", "nocolon")
    assert r.code == 2 and "Name: value" in r.err
