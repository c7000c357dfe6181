"""The Catchment's resources in-process (docs/http-api.md): each route's happy path and its error
statuses through the real app over `httpx.WSGITransport` — no port, no Duck process (a launcher
that only records what it was asked to start). The end-to-end suite (tests/e2e) keeps what only
real Waitress and real Ducks can show."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from duckstring.embedded.app import Catchment, create_app
from duckstring.embedded.settings import Settings
from tests.e2e.conftest import write_pond
from tests.e2e.harness import deploy


class StandIn:
    """Stands in for a Duck process (a `DuckHandle`): alive until it exits, as a Duck does on
    `shutdown` (`exit`, which the test calls) or on a signal; no process is ever signalled."""

    pid = 0
    code: int | None = None

    def alive(self) -> bool:
        return self.code is None

    def gone(self) -> str:
        return f"the Duck exited with code {self.code}"

    def exit(self, code: int = 0) -> None:
        self.code = code

    def stop(self, sig: int) -> None:
        self.exit(-sig)

    def wait(self, timeout: float) -> None:
        return None

    def where(self) -> dict[str, str | None]:
        return {"launcher": "local", "node": "stand-in"}


@dataclass
class Recorder:
    started: list[str] = field(default_factory=list)
    ducks: list[StandIn] = field(default_factory=list)

    def spawn(self, line: str, url: str, token: str) -> StandIn:
        self.started.append(line)
        self.ducks.append(StandIn())
        return self.ducks[-1]

    def adopt(self, line: str) -> None:
        return None

    def exit_all(self) -> None:
        """Every stand-in exits, as Ducks do on `shutdown`."""
        for duck in self.ducks:
            duck.exit()


FEED = '''
from duckstring import ripple


@ripple
def load(pond):
    pond.write_table("numbers", pond.con.sql("SELECT 1 AS n"))
'''

REPORT = '''
from duckstring import ripple


@ripple
def total(pond):
    pond.write_table("total", pond.read_table("feed.numbers").aggregate("sum(n) AS n"))
'''


def feed(base: Path) -> Path:
    return write_pond(base, "feed", "1.0.0", FEED, kind="inlet")


@dataclass
class Server:
    client: httpx.Client
    launcher: Recorder
    base: Path

    def error(self, resp: httpx.Response, status: int) -> str:
        assert resp.status_code == status, resp.text
        err = resp.json()["error"]
        assert err["message"]
        return str(err["message"])


def _serve(tmp_path: Path, **settings: Any) -> Iterator[Server]:
    launcher = Recorder()
    app = create_app(Catchment.open(Settings(root=tmp_path / "root",
                                             catchment_url="http://in-process", **settings),
                                    launcher=launcher))
    try:
        with httpx.Client(transport=httpx.WSGITransport(app=app),
                          base_url="http://in-process") as client:
            yield Server(client, launcher, tmp_path)
    finally:
        app.catchment.close(duck_timeout=0.1)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    yield from _serve(tmp_path)


@pytest.fixture
def deployed(server: Server) -> Server:
    assert deploy(server.client, feed(server.base)).status_code == 201
    report = write_pond(server.base, "report", "1.0.0", REPORT, sources={"feed": "1.0.0"})
    assert deploy(server.client, report).status_code == 201
    return server


def test_health_and_identity(server: Server) -> None:
    assert server.client.get("/api/health").json()["status"] == "ok"
    ident = server.client.get("/api/catchment").json()
    assert ident["id"] and ident["name"] == "root"
    assert server.client.get("/api/catchment/usage").status_code == 200


def test_an_unknown_route_is_a_404(server: Server) -> None:
    assert server.client.get("/api/nothing-here").status_code == 404


def test_deploy_answers_201_and_refuses_what_is_not_a_deploy(server: Server) -> None:
    got = deploy(server.client, feed(server.base))
    assert got.status_code == 201 and got.json()["version"] == "1.0.0"
    server.error(server.client.post("/api/deploy", json={"manifest": "x"}), 400)
    only = server.client.post("/api/deploy", files={"manifest": ("pond.toml", b"x", "text/plain")})
    assert "both parts" in server.error(only, 400)
    bad = write_pond(server.base, "bad", "one", FEED, kind="inlet")
    server.error(deploy(server.client, bad), 422)
    assert not (server.base / "root/ponds/bad").exists()  # nothing left behind


def test_an_upload_over_the_limit_is_413(tmp_path: Path) -> None:
    for small in _serve(tmp_path, max_upload_bytes=64):
        assert "limit" in small.error(deploy(small.client, feed(tmp_path)), 413)


def test_ponds_and_versions(deployed: Server) -> None:
    c = deployed.client
    listed = {p["name"] for p in c.get("/api/ponds").json()["ponds"]}
    assert listed == {"feed", "report"}
    assert c.get("/api/ponds/feed/versions/1.0.0").status_code == 200
    deployed.error(c.get("/api/ponds/feed/versions/9.9.9"), 404)
    deployed.error(c.get("/api/ponds/nobody/versions/1.0.0"), 404)


def test_a_pulse_queues_the_lineage_and_asks_for_the_sources_duck(deployed: Server) -> None:
    c = deployed.client
    got = c.post("/api/ponds/report/pulse", json={})
    assert got.status_code == 200 and got.json()["pond"] == "report@1" and got.json()["target"]
    ponds = {p["name"]: p for p in c.get("/api/status").json()["ponds"]}
    assert ponds["report"]["status"] == "queued"
    assert ponds["feed"]["status"] in ("queued", "running")
    assert "feed@1" in deployed.launcher.started


def test_verbs_refuse_unknown_ponds_verbs_and_bodies(deployed: Server) -> None:
    c = deployed.client
    assert "unknown verb" in deployed.error(c.post("/api/ponds/feed/explode", json={}), 404)
    assert "nobody" in deployed.error(c.post("/api/ponds/nobody/pulse", json={}), 404)
    deployed.error(c.post("/api/ponds/feed/pulse?major=7", json={}), 404)
    nan = c.post("/api/ponds/feed/tide", content=b'{"every_s": NaN}',
                 headers={"Content-Type": "application/json"})
    deployed.error(nan, 400)


def test_budgets(deployed: Server) -> None:
    c = deployed.client
    set_ = c.post("/api/ponds/feed/budget", json={"immediate_retries": 3})
    assert set_.status_code == 200 and set_.json()["immediate_retries"] == 3
    assert c.get("/api/ponds/feed/budget").json()["immediate_retries"] == 3
    deployed.error(c.post("/api/ponds/feed/budget", json={"immediate_retries": -1}), 400)
    deployed.error(c.post("/api/ponds/feed/budget", json={"immediate_retries": 1.5}), 400)


def test_windows(deployed: Server) -> None:
    c = deployed.client
    made = c.post("/api/ponds/feed/windows", json={"name": "nightly", "every_s": 86400,
                                                   "duration_s": 3600})
    assert made.status_code == 201
    assert [w["name"] for w in c.get("/api/ponds/feed/windows").json()["windows"]] == ["nightly"]
    deployed.error(c.post("/api/ponds/feed/windows", json={"every_s": 60}), 400)
    deployed.error(c.post("/api/ponds/feed/windows",
                          json={"name": "w", "every_s": 60, "on_days": ["someday"]}), 400)
    deployed.error(c.delete("/api/ponds/feed/windows/weekly"), 404)
    assert c.delete("/api/ponds/feed/windows/nightly").json()["windows"] == []


def test_tables_and_queries_before_any_run(deployed: Server) -> None:
    c = deployed.client
    assert c.get("/api/ponds/feed/tables").json()["tables"] == []
    deployed.error(c.get("/api/ponds/feed/tables/numbers"), 404)
    deployed.error(c.post("/api/query", json={"sql": "SELECT 1"}), 400)  # no pond
    deployed.error(c.post("/api/query", json={"pond": "feed", "sql": "SELECT 1",
                                              "format": "xml"}), 400)
    deployed.error(c.post("/api/query", json={"pond": "feed", "table": "numbers"}), 404)
    assert c.post("/api/query", json={"pond": "feed", "sql": "SELECT 41 + 1 AS n"}).status_code == 200


def test_runs(deployed: Server) -> None:
    c = deployed.client
    assert c.get("/api/runs").json()["runs"] == []
    deployed.error(c.get("/api/runs", params={"run": "latest"}), 400)


def test_remove_a_pond(deployed: Server) -> None:
    c = deployed.client
    deployed.error(c.delete("/api/ponds/nobody"), 404)
    planned = c.delete("/api/ponds/report", params={"dry_run": "true"})
    assert planned.status_code == 200
    assert "report" in {p["name"] for p in c.get("/api/ponds").json()["ponds"]}
    assert c.delete("/api/ponds/report").status_code == 200
    assert "report" not in {p["name"] for p in c.get("/api/ponds").json()["ponds"]}


def test_opening_the_root_clears_the_scratch_a_crash_left(tmp_path: Path) -> None:
    left = tmp_path / "root" / "tmp" / "deploy-crashed"
    left.mkdir(parents=True)  # a deploy the last Catchment died in
    (left / "pond.toml").write_text("half")
    for s in _serve(tmp_path):
        assert not left.exists() and (tmp_path / "root" / "tmp").is_dir()
        assert s.client.get("/api/health").status_code == 200


def test_a_keyed_catchment_asks_for_its_key(tmp_path: Path) -> None:
    for keyed in _serve(tmp_path, api_key="sesame"):
        c = keyed.client
        assert c.get("/api/health").status_code == 200  # public
        keyed.error(c.get("/api/status"), 401)
        keyed.error(c.get("/api/status", headers={"Authorization": "Bearer wrong"}), 401)
        assert c.get("/api/status", headers={"Authorization": "Bearer sesame"}).status_code == 200
        # the Duck channel takes only the Duck token, never a user key
        duck = c.get("/api/duck/feed/1/jobs", headers={"Authorization": "Bearer sesame"})
        keyed.error(duck, 401)


def test_one_status_build_serves_a_state_version_and_a_change_is_seen_at_once(
        deployed: Server) -> None:
    c = deployed.client
    first, again = c.get("/api/status").json(), c.get("/api/status").json()
    assert again["version"] == first["version"] and again["now"] == first["now"]  # reused
    c.post("/api/ponds/feed/budget", json={"immediate_retries": 2})
    changed = c.get("/api/status").json()
    assert changed["version"] > first["version"]
    assert {p["name"]: p for p in changed["ponds"]}["feed"]["immediate_retries"] == 2
    one = c.get("/api/status", params={"pond": "feed"}).json()  # a lineage is its own document
    assert [p["name"] for p in one["ponds"]] == ["feed"] and one["caller"]["level"] == "full"
