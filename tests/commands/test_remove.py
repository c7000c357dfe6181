"""`pond remove NAME [-m MAJOR] [--wipe] [-y]` and `DELETE /api/ponds/{name}` against a running
Catchment with real Ducks: it says what it will stop and asks, stops the line's work and its
Duck, takes the line out of the graph (its Sink shows a missing Source and is blocked), keeps
the run history, and with --wipe deletes the versions and data. What needs no Duck process
(asking first, the route's majors and dry run) runs in process, against a launcher that starts
none; a real Duck stopped and real data kept stay end to end."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.commands.conftest import Cli, assert_nothing_running, make_cli, serving
from tests.commands.inprocess import URL, InProcess, open_inprocess
from tests.e2e.harness import free_port, wait_until
from tests.embedded.test_server import Recorder


@dataclass
class Served:
    cli: Cli
    url: str
    root: Path

    def ponds(self) -> dict[str, dict[str, Any]]:
        return {p["id"]: p for p in json.loads(self.cli.ok("status", "--json").out)["ponds"]}


def duck_pids(root: Path, line: str) -> list[int]:
    """Live Duck processes of `line` on `root` (their argv names both)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if (b"duckstring.duck" in argv and line.encode() in argv
                and str(root).encode() in argv and state != "Z"):
            pids.append(int(entry.name))
    return pids


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    cli = make_cli(tmp_path_factory.mktemp("remove"))
    cli.ok("catchment", "init", "-n", "dev", "-p", str(free_port()), "--no-start")
    with serving(cli) as url:
        cli.ok("pond", "demo", "demo")
        cli.ok("pond", "deploy", "demo", "--all", "-y")
        cli.ok("trigger", "pulse", "reports")
        yield Served(cli, url, cli.home / "dev")
    assert_nothing_running(cli.home / "dev")


@pytest.fixture(scope="module")
def inproc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InProcess, Recorder]]:
    launcher = Recorder()
    for cli in open_inprocess(tmp_path_factory.mktemp("remove-inproc"), launcher=launcher):
        cli.ok("pond", "demo", "demo")
        cli.ok("pond", "deploy", "demo", "--all", "-y")
        yield cli, launcher


def test_remove_asks_first_and_says_what_it_stops(inproc: tuple[InProcess, Recorder]) -> None:
    cli, launcher = inproc
    cli.ok("trigger", "wave", "products", "--every", "1h", "--silent")
    assert "products@1" in launcher.started  # its Duck (a stand-in) is up
    r = cli("pond", "remove", "products")
    assert r.code == 2, r
    assert "pass -y to remove products@1" in r.err
    assert "its standing wave every 1h" in r.out and "its Duck" in r.out
    assert "it blocks sales@1" in r.out and "missing Source" in r.out
    assert "its versions (1.0.0), data and run history stay" in r.out
    listed = json.loads(cli.ok("status", "--json").out)["ponds"]
    assert "products@1" in {p["id"] for p in listed}, "a refusal changes nothing"
    cli.ok("trigger", "remove", "products")


def test_remove_stops_the_duck_blocks_the_sink_and_keeps_history(served: Served) -> None:
    cli = served.cli
    cli.ok("trigger", "wave", "sales", "--every", "1h", "--silent")
    wait_until(lambda: duck_pids(served.root, "sales@1"), timeout=60, what="the Duck of sales@1")
    before = json.loads(cli.ok("runs", "sales", "--json").out)["runs"]
    assert before

    r = cli.ok("pond", "remove", "sales@1", "-y")
    assert "removed sales@1; its run history stays" in r.out
    assert not duck_pids(served.root, "sales@1"), "its Duck stopped"
    ponds = served.ponds()
    assert "sales@1" not in ponds
    reports = ponds["reports@1"]
    assert reports["status"] == "blocked" and reports["missing_sources"] == ["sales@1"]
    assert reports["blocked_by"] == ["sales@1"]
    after = json.loads(cli.ok("runs", "sales", "--json").out)["runs"]
    assert [r["run_id"] for r in after] == [r["run_id"] for r in before]
    assert (served.root / "ponds/sales/1.0.0/pond.toml").is_file(), "versions stay"
    assert list((served.root / "ponds/sales/m1/data").glob("*")), "data stays"
    assert cli("trigger", "pulse", "sales").code == 5  # no longer deployed

    # Deploying it again puts it back, and reports runs again.
    cli.ok("pond", "deploy", "demo/sales", "-y")
    assert served.ponds()["reports@1"]["status"] == "idle"
    cli.ok("trigger", "pulse", "reports")


def test_wipe_deletes_versions_and_data_but_not_history(served: Served) -> None:
    cli = served.cli
    cli.ok("pond", "deploy", "demo/products", "-y")
    r = cli.ok("pond", "remove", "products", "--wipe", "-y")
    assert "--wipe deletes versions 1.0.0 and its data" in r.out
    assert "removed products@1 and its versions and data" in r.out
    assert not (served.root / "ponds/products").exists()
    assert cli("pond", "remove", "products", "-y").code == 5
    doc = httpx.get(f"{served.url}/api/ponds/products/versions/1.0.0", timeout=10)
    assert doc.status_code == 404
    assert json.loads(cli.ok("runs", "products", "--json").out)["runs"]
    sales = served.ponds()["sales@1"]
    assert sales["status"] == "blocked" and sales["missing_sources"] == ["products@1"]
    cli.ok("pond", "deploy", "demo/products", "-y")  # back for the other tests
    cli.ok("trigger", "pulse", "reports")


def test_the_route_never_guesses_a_major_and_has_a_dry_run(
        inproc: tuple[InProcess, Recorder], tmp_path: Path) -> None:
    cli, _ = inproc
    root = cli.base / "root"

    def ponds() -> set[str]:
        return {p["id"] for p in json.loads(cli.ok("status", "--json").out)["ponds"]}

    two = tmp_path / "transactions2"
    cli.ok("pond", "init", "transactions", str(two))
    toml = two / "pond.toml"
    toml.write_text(toml.read_text().replace('version = "0.1.0"', 'version = "2.0.0"'))
    cli.ok("pond", "deploy", str(two), "-y")
    with httpx.Client(transport=httpx.WSGITransport(app=cli.app), base_url=URL) as http:
        r = http.delete("/api/ponds/transactions")
        assert r.status_code == 409 and "transactions@1, transactions@2" in r.text
        r = http.delete("/api/ponds/transactions", params={"major": 2, "dry_run": "true"})
        assert r.status_code == 200 and r.json()["dry_run"] and r.json()["pond"] == "transactions@2"
        assert "transactions@2" in ponds()
        assert http.delete("/api/ponds/nope").status_code == 404
    r = cli("pond", "remove", "transactions", "-y")
    assert r.code == 2 and "name one" in r.err
    cli.ok("pond", "remove", "transactions", "-m", "2", "--wipe", "-y")
    assert "transactions@2" not in ponds() and "transactions@1" in ponds()
    assert (root / "ponds/transactions/1.0.0").is_dir()
    assert not (root / "ponds/transactions/m2").exists()
    assert not os.path.exists(root / "ponds/transactions/2.0.0")
