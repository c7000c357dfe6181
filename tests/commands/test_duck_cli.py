"""`duckstring duck set/show/check` and `catchment init --launcher` through the real command
line (docs/scale.md)."""

from __future__ import annotations

import json

from tests.commands.conftest import Cli, local_demo
from tests.e2e.harness import free_port


def test_init_refuses_ray_without_an_object_store_and_leaves_nothing(cli: Cli) -> None:
    r = cli("catchment", "init", "-n", "big", "-p", str(free_port()), "--no-start", "-y",
            "--launcher", "ray")
    assert r.code == 2, r
    assert "--data-url s3://" in r.err and "Traceback" not in r.err
    assert not (cli.home / "big").exists()
    assert not (cli.home / "config.toml").exists() or "big" not in (cli.home / "config.toml").read_text()


def test_init_keeps_the_launcher_in_the_root(cli: Cli) -> None:
    cli.ok("catchment", "init", "-n", "big", "-p", str(free_port()), "--no-start", "-y",
           "--data-url", "s3://lake/ds", "--launcher", "ray", "--ray-address", "head:6379")
    from duckstring.embedded.store import Store, meta

    store = Store(cli.home / "big" / "duck.db")
    try:
        with store.transaction() as conn:
            assert (meta.get(conn, "launcher"), meta.get(conn, "ray_address")) == ("ray", "head:6379")
    finally:
        store.close()


def test_duck_set_show_and_check(cli: Cli) -> None:
    local_demo(cli)
    r = cli.ok("duck", "set", "sales", "--cpus", "2", "--memory", "512MB",
               "--resources", '{"gpu_node": 1}')
    assert "launcher local (the Catchment's default)" in r.out
    assert "2 CPUs, 512 MiB, gpu_node=1" in r.out
    doc = json.loads(cli.ok("duck", "show", "sales", "--json").out)
    assert doc["placement"]["resources"] == {"gpu_node": 1.0}
    r = cli("duck", "set", "sales", "--launcher", "ray")
    assert r.code == 2 and "keeps its tables on its local disk" in r.err, r
    r = cli("duck", "set", "sales", "--resources", "{nope")
    assert r.code == 2 and "not JSON" in r.err, r
    r = cli.ok("duck", "check", "sales")
    assert "local on" in r.out and "duckstring 0." in r.out
