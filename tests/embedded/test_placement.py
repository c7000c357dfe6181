"""Where a Pond's Ducks run (docs/scale.md): `GET/POST /api/ponds/{name}/duck` over a real
in-process Catchment, the refusal of a remote launcher while tables are on the Catchment's disk,
and `duck check` on the local launcher."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from duckstring.embedded.store.migrations import MIGRATIONS
from tests.e2e.harness import deploy
from tests.embedded.test_server import Server, _serve, feed


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[Server]:
    for server in _serve(tmp_path):
        assert deploy(server.client, feed(server.base)).status_code == 201
        yield server


def test_a_pond_runs_locally_until_told_otherwise(deployed: Server) -> None:
    doc = deployed.client.get("/api/ponds/feed/duck").json()
    assert doc["launcher"] == "local" and doc["default_launcher"] == "local"
    assert doc["placement"] == {"launcher": None, "cpus": None, "memory_mb": None,
                                "resources": {}}
    assert doc["ducks"] == [{"line": "feed@1", "launcher": None, "node": None}]


def test_resources_are_kept_and_changed_field_by_field(deployed: Server) -> None:
    c = deployed.client
    r = c.post("/api/ponds/feed/duck", json={"cpus": 2, "memory": "4GB",
                                             "resources": {"gpu_node": 1}})
    assert r.status_code == 200, r.text
    assert r.json()["placement"] == {"launcher": None, "cpus": 2.0, "memory_mb": 4096,
                                     "resources": {"gpu_node": 1.0}}
    c.post("/api/ponds/feed/duck", json={"memory": None})
    assert c.get("/api/ponds/feed/duck").json()["placement"]["memory_mb"] is None
    assert c.get("/api/ponds/feed/duck").json()["placement"]["cpus"] == 2.0
    c.post("/api/ponds/feed/duck", json={"reset": True})
    assert c.get("/api/ponds/feed/duck").json()["placement"]["cpus"] is None


@pytest.mark.parametrize(("body", "says"), [
    ({"launcher": "kubernetes"}, "launcher must be one of local, ray"),
    ({"cpus": -1}, "cpus must be a number above 0"),
    ({"memory": "lots"}, "memory must be a size like 4GB"),
    ({"resources": {"CPU": 1}}, "resource name 'CPU' is not allowed"),
    ({"resources": [1]}, "resources must be an object"),
    ({"gpus": 1}, "unknown field(s) gpus"),
])
def test_bad_placements_are_refused_whole(deployed: Server, body: dict[str, object],
                                          says: str) -> None:
    assert says in deployed.error(deployed.client.post("/api/ponds/feed/duck", json={
        "cpus": 1, **body}), 422)
    assert deployed.client.get("/api/ponds/feed/duck").json()["placement"]["cpus"] is None


def test_a_remote_launcher_is_refused_while_tables_are_on_the_catchments_disk(
        deployed: Server) -> None:
    message = deployed.error(deployed.client.post("/api/ponds/feed/duck",
                                                  json={"launcher": "ray"}), 409)
    assert "keeps its tables on its local disk" in message and "--data-url" in message
    assert deployed.client.get("/api/ponds/feed/duck").json()["launcher"] == "local"


def test_an_unknown_pond_is_not_found(deployed: Server) -> None:
    assert "no Pond 'nope'" in deployed.error(deployed.client.get("/api/ponds/nope/duck"), 404)


def test_check_reports_what_the_local_launcher_finds(deployed: Server) -> None:
    doc = deployed.client.post("/api/ponds/feed/duck/check", json={}).json()
    assert doc["launcher"] == "local" and doc["python"]
    assert doc["packages"]["duckstring"] and doc["packages"]["duckdb"]


def test_migration_7_adds_placements_to_an_existing_root(tmp_path: Path) -> None:
    from duckstring.embedded.store import Store

    db = tmp_path / "duck.db"
    conn = sqlite3.connect(db)
    conn.executescript(MIGRATIONS[0])  # type: ignore[arg-type]
    conn.execute("PRAGMA user_version = 6")
    conn.commit()
    conn.close()
    store = Store(db)
    try:
        assert store.query("PRAGMA user_version")[0][0] == len(MIGRATIONS) >= 7
        assert store.query("SELECT count(*) FROM placements")[0][0] == 0
    finally:
        store.close()


def test_status_and_duck_show_say_where_a_running_duck_runs(deployed: Server) -> None:
    assert deployed.client.post("/api/ponds/feed/pulse", json={}).status_code in (200, 202)
    assert deployed.launcher.started == ["feed@1"]
    pond = deployed.client.get("/api/status").json()["ponds"][0]
    assert pond["duck"] == {"launcher": "local", "node": "stand-in"}  # as its handle says
    duck = deployed.client.get("/api/ponds/feed/duck").json()["ducks"][0]
    assert duck == {"line": "feed@1", "launcher": "local", "node": "stand-in"}
