"""Issue 13 wired into the product, over real HTTP with a real Catchment process and real
Ducks: keys with levels at the gate, the audit trail, `/metrics`, alerts from real failures
to real receivers, and secrets a Ripple reads from its environment but nobody else sees."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.conftest import env, root, start_catchment, write_pond  # noqa: F401
from tests.e2e.harness import deploy, pond, wait_until

ADMIN = "dsk_admin-key-for-the-wired-tests-0123456789abc"

SOURCE = """
    from duckstring import ripple

    @ripple
    def numbers(pond):
        pond.write_table("numbers", pond.con.sql("SELECT range AS n FROM range(5)"))
    """


def _deploy(client: httpx.Client, project: Path) -> None:
    r = deploy(client, project)
    assert r.status_code == 201, r.text


def _key(admin: httpx.Client, name: str, level: str) -> str:
    r = admin.post("/api/keys", json={"name": name, "level": level})
    assert r.status_code == 201, r.text
    return str(r.json()["key"])


def test_levels_refuse_with_the_level_needed_and_the_audit_names_the_key(
        start_catchment, tmp_path: Path) -> None:  # noqa: F811
    c = start_catchment(key=ADMIN)
    with c.client() as admin:
        _deploy(admin, write_pond(tmp_path, "numbers", "1.0.0", SOURCE, kind="inlet"))
        read, demand = _key(admin, "analyst", "read"), _key(admin, "ci", "demand")
        assert admin.get("/api/status").json()["caller"] == {
            "name": "admin", "level": "full", "keyed": True}
        listed = admin.get("/api/keys").json()["keys"]
        assert [(k["name"], k["level"]) for k in listed] == [
            ("admin", "full"), ("analyst", "read"), ("ci", "demand")]
        assert read not in str(listed) and demand not in str(listed)

    with c.client(read) as analyst:
        assert analyst.get("/api/status").json()["caller"]["level"] == "read"
        refused = analyst.post("/api/ponds/numbers/pulse")
        assert refused.status_code == 403
        assert refused.json()["error"]["level_needed"] == "demand"
        assert "demand" in refused.json()["error"]["message"]
        assert analyst.get("/metrics").status_code == 200
    with c.client(demand) as ci:
        assert ci.post("/api/ponds/numbers/pulse").status_code == 200
        refused = deploy(ci, write_pond(tmp_path, "numbers", "1.0.1", SOURCE, kind="inlet"))
        assert refused.status_code == 403 and refused.json()["error"]["level_needed"] == "full"
    with c.client() as admin:
        assert admin.delete("/api/keys/ci").status_code == 200
    with c.client(demand) as gone:
        assert gone.post("/api/ponds/numbers/pulse").status_code == 401
    with c.client("") as nobody:
        metrics = nobody.get("/metrics")
        assert metrics.status_code == 401 and "numbers" not in metrics.text

    with c.client() as admin:
        wait_until(lambda: pond(admin, "numbers")["status"] == "idle"
                   and pond(admin, "numbers")["end_f"], 60, what="the Pulse to be served")
        trail = admin.get("/api/audit").json()["entries"]
        seen = [(e["who"], e["verb"], e["pond"]) for e in reversed(trail)]
        assert seen == [("admin", "deploy", "numbers"), ("admin", "key-add", None),
                        ("admin", "key-add", None), ("ci", "pulse", "numbers@1"),
                        ("admin", "key-revoke", None)]
        assert trail[0]["detail"] == {"name": "ci"} and trail[0]["at"].endswith("Z")
        text = admin.get("/metrics").text
        assert 'duckstring_runs_total{pond="numbers@1",status="success"} 1.0' in text
        assert "duckstring_ducks_alive" in text and "duckstring_staleness_seconds" in text
