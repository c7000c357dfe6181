"""Each resource's error statuses, table-driven, in process (the real app over WSGITransport, a
keyed Catchment, a launcher that starts no Duck): one row per (method, path, caller, body) and the
status it must answer. The happy paths are in test_server.py and tests/team/, and here for why and
rotate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from duckstring.embedded.app import Catchment, create_app
from duckstring.embedded.settings import Settings
from tests.e2e.harness import deploy
from tests.embedded.test_server import Recorder, feed

ADMIN = "dsk_" + "s" * 43
ROWS: list[tuple[str, str, str, Any, int]] = [
    # (method, path, caller: admin | read | none | bad, json body or None, status)
    ("GET", "/api/status", "none", None, 401),
    ("GET", "/api/status", "bad", None, 401),
    ("GET", "/api/runs?limit=x", "admin", None, 400),
    ("GET", "/api/ponds/feed", "admin", None, 405),  # the item only takes DELETE
    ("DELETE", "/api/ponds/nobody", "admin", None, 404),
    ("GET", "/api/ponds/feed/versions/9.9.9", "admin", None, 404),
    # no handler (nor one listed in levels.py or audit.py): not allowed
    ("DELETE", "/api/ponds/feed/versions/1.0.0", "admin", None, 405),
    ("POST", "/api/ponds/feed/tap", "read", {}, 403),
    ("POST", "/api/ponds/nobody/tap", "admin", {}, 404),
    ("POST", "/api/ponds/feed/explode", "admin", {}, 404),
    ("POST", "/api/ponds/feed/tide", "admin", {"bound_s": "soon"}, 400),
    ("POST", "/api/ponds/feed/budget", "admin", {"immediate_retries": -1}, 400),
    ("POST", "/api/ponds/feed/budget", "read", {"immediate_retries": 1}, 403),
    ("GET", "/api/ponds/nobody/why", "admin", None, 404),
    ("POST", "/api/ponds/feed/windows", "admin", {"name": "w"}, 400),
    ("DELETE", "/api/ponds/feed/windows/weekly", "admin", None, 404),
    ("GET", "/api/ponds/feed/tables/numbers", "admin", None, 404),
    ("GET", "/api/ponds/nobody/duck", "admin", None, 404),
    ("POST", "/api/ponds/feed/duck", "admin", {"launcher": "nowhere"}, 422),
    ("POST", "/api/query", "admin", {}, 400),
    ("POST", "/api/deploy", "read", None, 403),
    ("POST", "/api/deploy", "admin", {"manifest": "x"}, 400),
    ("GET", "/api/duck/feed/1/jobs", "admin", None, 401),  # a user key opens no Duck route
    ("GET", "/api/duck/nobody/1/jobs", "none", None, 401),
    ("POST", "/api/duck/feed/1/bootstrap", "none", {"bootstrap": "forged"}, 401),
    ("POST", "/api/keys", "read", {"name": "x", "level": "full"}, 403),
    ("POST", "/api/keys", "admin", {"name": "x", "level": "godlike"}, 400),
    ("POST", "/api/keys", "admin", {"name": "reader", "level": "read"}, 409),
    ("DELETE", "/api/keys/nobody", "admin", None, 404),
    ("POST", "/api/keys/nobody/rotate", "admin", {}, 404),
    ("POST", "/api/keys/reader/rotate", "read", {}, 403),
    ("PUT", "/api/secrets/X", "read", {"value": "v"}, 403),
    ("DELETE", "/api/secrets/NOPE", "admin", None, 404),
    ("POST", "/api/alerts", "admin", {"name": "a", "on": ["exploded"], "to": "webhook:http://h/"},
     400),
    ("DELETE", "/api/alerts/nobody", "admin", None, 404),
    ("POST", "/api/alerts/nobody/test", "admin", {}, 404),
    ("POST", "/api/alerts/nobody/test", "read", {}, 403),
    ("GET", "/api/audit", "none", None, 401),
    ("GET", "/api/catchment/secrets-key", "read", None, 403),
    ("GET", "/api/catchment/archive", "read", None, 403),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    base: Path = tmp_path_factory.mktemp("statuses")
    app = create_app(Catchment.open(Settings(root=base / "root", api_key=ADMIN,
                                             catchment_url="http://in-process"),
                                    launcher=Recorder()))
    admin = {"Authorization": f"Bearer {ADMIN}"}
    try:
        with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://in-process",
                          headers=admin) as c:
            assert deploy(c, feed(base)).status_code == 201
            read = c.post("/api/keys", json={"name": "reader", "level": "read"})
            assert read.status_code in (200, 201), read.text
            c.headers["X-Read-Key"] = read.json()["key"]
            yield c
    finally:
        app.catchment.close(duck_timeout=0.1)


def _headers(client: httpx.Client, caller: str) -> dict[str, str]:
    return {"admin": {"Authorization": f"Bearer {ADMIN}"},
            "read": {"Authorization": f"Bearer {client.headers['X-Read-Key']}"},
            "bad": {"Authorization": "Bearer dsk_wrong"},
            "none": {"Authorization": ""}}[caller]


@pytest.mark.parametrize(("method", "path", "caller", "body", "status"), ROWS,
                         ids=[f"{m} {p} {c} {s}" for m, p, c, _, s in ROWS])
def test_each_resource_answers_its_error_status(client: httpx.Client, method: str, path: str,
                                                caller: str, body: Any, status: int) -> None:
    r = client.request(method, path, headers=_headers(client, caller),
                       **({"json": body} if body is not None else {}))
    assert r.status_code == status, r.text
    if r.headers.get("content-type", "").startswith("application/json"):
        assert r.json()["error"]["message"], r.text  # every error says what went wrong


def test_why_and_rotate_answer_in_process(client: httpx.Client) -> None:
    """The happy paths the other in-process files leave out."""
    why = client.get("/api/ponds/feed/why")
    assert why.status_code == 200, why.text
    assert why.json()["pond"] == "feed@1"
    made = client.post("/api/keys", json={"name": "spare", "level": "read"}).json()["key"]
    rotated = client.post("/api/keys/spare/rotate", json={})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["key"]
    assert new != made
    assert client.get("/api/status", headers={"Authorization": f"Bearer {made}"}).status_code == 401
    assert client.get("/api/status", headers={"Authorization": f"Bearer {new}"}).status_code == 200
