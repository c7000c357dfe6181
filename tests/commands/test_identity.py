"""A registration always reaches its own Catchment: `catchment init` mints the Catchment's id
into a new root and stores it in the registration, every command checks `GET /api/catchment`
against it, a URL answering with another Catchment is refused plainly, `catchment init` picks
a port no other registration uses, and `catchment list` flags shared ports."""

from __future__ import annotations

import json
from pathlib import Path

from duckstring.config import Config, Registration
from duckstring.session import root_identity
from tests.commands.conftest import Cli, assert_nothing_running, serving
from tests.e2e.harness import free_port


def config(cli: Cli) -> Config:
    return Config.load(cli.home / "config.toml")


def test_init_mints_the_id_into_the_new_root_and_the_registration(cli: Cli) -> None:
    cli.ok("catchment", "init", "-n", "dev", "-p", str(free_port()), "--no-start")
    reg = config(cli).get("dev")
    assert reg.id and len(reg.id) == 36
    assert root_identity(cli.home / "dev") == reg.id  # the root knows it before any start
    cli.ok("pond", "demo", "demo")
    cli.ok("pond", "deploy", "demo/products", "-y")  # started on demand: the same Catchment
    doc = json.loads(cli.ok("status", "--json").out)
    assert doc["catchment"]["id"] == reg.id


def test_init_picks_a_port_no_registration_uses_and_becomes_the_default(cli: Cli) -> None:
    cli.ok("catchment", "init", "-n", "first", "-p", "7474", "--no-start")
    r = cli.ok("catchment", "init", "-n", "second", "--no-start")
    second = config(cli).get("second")
    port = int(second.url.rpartition(":")[2])
    assert port != 7474
    assert f"on port {port} (7474 is 'first''s)" in r.out
    assert "it is now the default instead of 'first'" in r.out
    assert config(cli).default == "second"

    r = cli.ok("catchment", "init", "-n", "third", "--no-start", "--no-default")
    third = config(cli).get("third")
    assert int(third.url.rpartition(":")[2]) not in (7474, port)
    assert "the default stays 'second'" in r.out and config(cli).default == "second"

    r = cli("catchment", "init", "-n", "fourth", "-p", str(port), "--no-start")
    assert r.code == 2 and f"port {port} is already registered to 'second'" in r.err
    assert "fourth" not in config(cli).registrations()
    assert not (cli.home / "fourth").exists(), "a refusal leaves no root behind"


def test_a_url_served_by_another_catchment_is_refused_plainly(cli: Cli, tmp_path: Path) -> None:
    port = free_port()
    cli.ok("catchment", "init", "-n", "dev", "-p", str(port), "--no-start")
    url = f"http://127.0.0.1:{port}"
    # An older file could hold two registrations on one port; a second root on dev's URL:
    cfg = config(cli)
    cfg.add(Registration("twin", url, root=tmp_path / "twin-root", id="0" * 36))
    cfg.save()
    (tmp_path / "twin-root").mkdir()

    with serving(cli):
        r = cli("status", "--once", "-c", "twin")
        assert r.code == 3, r
        assert f"{url} is served by another Catchment 'dev'" in r.err
        assert "not by 'twin'" in r.err and "hint:" in r.err
        assert not list((tmp_path / "twin-root").iterdir()), "twin's root was never started"

        listed = cli.ok("catchment", "list").out
        assert "port shared with twin" in listed and "port shared with dev" in listed
        assert "another Catchment (dev)" in listed
        doc = json.loads(cli.ok("catchment", "list", "--json").out)
        states = {c["name"]: c for c in doc["catchments"]}
        assert states["dev"]["reachable"] and states["dev"]["shares_port_with"] == ["twin"]
        assert not states["twin"]["reachable"]

        # A remote registration remembers the id it was connected to.
        r = cli.ok("catchment", "connect", "-n", "remote", "--url", url, "--no-default")
        assert config(cli).get("remote").id == config(cli).get("dev").id
        assert "'dev' is the same Catchment" in r.err
    assert_nothing_running(cli.home / "dev")
