"""Keys with levels: the level table covers every route of the real app, keys are stored
hashed and compared in constant time, and the gate (as Falcon middleware on the real route
table) answers 401 and 403 as issue 13 says."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

import falcon
import falcon.testing
import pytest

from duckstring.embedded.access import keys as keymod
from duckstring.embedded.access import levels
from duckstring.embedded.access.gate import Gate, GateMiddleware, line_token
from duckstring.embedded.access.keys import FLUSH_MS, KeyRing
from duckstring.embedded.access.levels import DEMAND, FULL, READ, Level
from duckstring.embedded.domain_errors import (
    BadInput,
    Conflict,
    DomainError,
    Forbidden,
    Unauthorized,
)
from duckstring.embedded.resources.ponds import _VERBS
from duckstring.embedded.store import Store

T0 = 1_767_225_600_000


def routes(app: falcon.App) -> set[tuple[str, str]]:
    """Every (method, template) the app's router answers with a responder of its own."""
    found: set[tuple[str, str]] = set()
    stack = list(app._router._roots)
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.resource is None:
            continue
        for method, responder in node.method_map.items():
            if getattr(responder, "__self__", None) is node.resource:
                found.add((method, node.uri_template))
    return found



def test_every_route_and_verb_has_a_level(app: falcon.App) -> None:
    served = routes(app)
    assert ("POST", levels.VERB_ROUTE) in served and len(served) > 15
    missing = sorted(r for r in served if r not in levels.ROUTES and r[1] != levels.VERB_ROUTE)
    assert missing == [], f"give these routes a level in access/levels.py: {missing}"
    from duckstring.embedded.audit import AUDITED

    for table, name in ((levels.ROUTES, "access/levels.py"), (AUDITED, "audit.py")):
        dead = sorted(r for r in table if r not in served)
        assert dead == [], f"{name} lists routes nothing serves: {dead}"
    assert set(_VERBS) == set(levels.VERBS), "every Pond verb needs a level (and no other)"


@pytest.mark.parametrize("method, template, verb, need", [
    ("GET", "/api/status", None, READ),
    ("GET", "/api/runs", None, READ),
    ("POST", "/api/query", None, READ),
    ("GET", "/api/ponds/{name}/tables/{table}", None, READ),
    ("GET", "/metrics", None, READ),
    ("HEAD", "/api/status", None, READ),
    ("POST", levels.VERB_ROUTE, "pulse", DEMAND),
    ("POST", levels.VERB_ROUTE, "tide", DEMAND),
    ("POST", levels.VERB_ROUTE, "wake", DEMAND),
    ("POST", levels.VERB_ROUTE, "force", DEMAND),
    ("POST", levels.VERB_ROUTE, "sleep", DEMAND),
    ("POST", levels.VERB_ROUTE, "kill", FULL),
    ("POST", levels.VERB_ROUTE, "clear", FULL),
    ("POST", levels.VERB_ROUTE, "explode", FULL),
    ("POST", "/api/deploy", None, FULL),
    ("POST", "/api/ponds/{name}/budget", None, FULL),
    ("POST", "/api/ponds/{name}/windows", None, FULL),
    ("GET", "/api/catchment/archive", None, FULL),
    ("PUT", "/api/secrets/{name}", None, FULL),
    ("POST", "/api/keys", None, FULL),
    ("POST", "/api/alerts", None, FULL),
    ("PATCH", "/api/some/new/route", None, FULL),
    ("GET", "/api/health", None, levels.PUBLIC),
    ("POST", "/api/duck/{name}/{major}/events", None, levels.DUCK),
])
def test_levels(method: str, template: str, verb: str | None, need: Any) -> None:
    assert levels.needed(method, template, verb) == need


def test_levels_are_ordered_and_parse() -> None:
    assert READ < DEMAND < FULL
    assert Level.parse(" Demand ") is DEMAND and str(FULL) == "full"
    with pytest.raises(ValueError, match="read, demand, full"):
        Level.parse("admin")



def files_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def test_keys_are_stored_hashed_and_rotate_and_revoke(store: Store, tmp_path: Path) -> None:
    ring = KeyRing(store, env_key=None)
    key = ring.add("ops", FULL, T0)
    analyst = ring.add("analyst", READ, T0)
    assert key.startswith("dsk_") and len(key) == 4 + 43
    on_disk = files_bytes(tmp_path)
    assert key.encode() not in on_disk and analyst.encode() not in on_disk
    assert keymod.digest(key).hex().encode() in on_disk
    assert ring.authenticate(key, T0) == keymod.Caller("ops", FULL)
    assert ring.authenticate(analyst, T0) == keymod.Caller("analyst", READ)
    assert ring.authenticate(key + "x", T0) is None and ring.authenticate("", T0) is None

    new = ring.rotate("analyst", T0 + 1)
    assert ring.authenticate(analyst, T0 + 2) is None
    assert ring.authenticate(new, T0 + 2) == keymod.Caller("analyst", READ)
    ring.revoke("analyst")
    assert ring.authenticate(new, T0 + 3) is None
    # a fresh ring over the same store (a restart) knows the same keys
    assert KeyRing(store, None).authenticate(key, T0) == keymod.Caller("ops", FULL)
    listed = ring.listing()
    assert [k["name"] for k in listed] == ["ops"]
    assert key not in repr(listed) and keymod.digest(key).hex() not in repr(listed)
    assert listed[0]["hint"] == key[:12] + "…"


def test_key_changes_say_what_to_do(store: Store) -> None:
    ring = KeyRing(store, env_key=None)
    with pytest.raises(BadInput, match="first key must be full"):
        ring.add("ci", DEMAND, T0)
    ring.add("ops", FULL, T0)
    ring.add("ci", DEMAND, T0)
    with pytest.raises(Conflict, match="rotate or revoke"):
        ring.add("ci", READ, T0)
    with pytest.raises(BadInput, match="reserved"):
        ring.add("admin", READ, T0)
    with pytest.raises(BadInput, match="letters, digits"):
        ring.add("has space", READ, T0)
    with pytest.raises(Conflict, match="last full key"):
        ring.revoke("ops")
    with pytest.raises(DomainError, match="no key named 'nobody'"):
        ring.rotate("nobody", T0)


def test_the_env_key_is_full_and_named_admin(store: Store) -> None:
    ring = KeyRing(store, env_key="s3cret-from-env")
    assert ring.keyed
    assert ring.authenticate("s3cret-from-env", T0) == keymod.Caller("admin", FULL)
    ring.add("analyst", READ, T0)  # a keyed Catchment may add a lower key first
    assert [k["name"] for k in ring.listing()] == ["admin", "analyst"]
    with pytest.raises(DomainError, match="DUCKSTRING_API_KEY"):
        ring.revoke("admin")


def test_last_used_is_written_at_most_once_a_flush_interval(store: Store) -> None:
    ring = KeyRing(store, env_key=None)
    key = ring.add("ops", FULL, T0)

    def on_disk() -> int | None:
        return store.query("SELECT last_used_at FROM keys WHERE name = 'ops'")[0][0]

    ring.authenticate(key, T0 + 1000)
    assert on_disk() == T0 + 1000
    for i in range(50):
        ring.authenticate(key, T0 + 2000 + i)
    assert on_disk() == T0 + 1000  # not one write per request
    assert ring.listing()[0]["last_used_at"] == T0 + 2049  # but the listing knows
    ring.authenticate(key, T0 + 1000 + FLUSH_MS)
    assert on_disk() == T0 + 1000 + FLUSH_MS
    ring.authenticate(key, T0 + 1001 + FLUSH_MS)
    ring.flush(T0 + 1002 + FLUSH_MS)  # as on close
    assert on_disk() == T0 + 1001 + FLUSH_MS


def test_every_key_is_compared_in_constant_time_without_an_early_exit(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ring = KeyRing(store, env_key="env-key-value")
    first = ring.add("a", FULL, T0)
    ring.add("b", READ, T0)
    last = ring.add("c", READ, T0)
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(keymod.hmac, "compare_digest", spy)
    for key in ("env-key-value", first, last, "dsk_wrong"):
        calls.clear()
        ring.authenticate(key, T0)
        assert len(calls) == 4  # the env key and the three stored ones, match or not
        assert all(len(a) == len(b) == 32 for a, b in calls)  # digests, never raw keys


# -- the gate on the real route table ------------------------------------------------------
@pytest.fixture
def gated(app: falcon.App) -> tuple[falcon.App, KeyRing]:
    c = app.catchment
    ring = KeyRing(c.store, env_key=None)
    app.add_middleware(GateMiddleware(Gate(ring, c.duck_token), c.coordinator.clock))
    return app, ring


def call(app: falcon.App, method: str, path: str, key: str | None = None,
         **kw: Any) -> falcon.testing.Result:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return falcon.testing.simulate_request(app, method, path, headers=headers, **kw)


def test_an_open_catchment_lets_everyone_do_everything(gated: tuple[falcon.App, KeyRing]) -> None:
    app, _ = gated
    assert call(app, "GET", "/api/status").status_code == 200
    assert call(app, "POST", "/api/ponds/nope/kill").status_code == 404  # admitted, no Pond


def test_levels_are_enforced_with_401_and_403(gated: tuple[falcon.App, KeyRing]) -> None:
    app, ring = gated
    ops = ring.add("ops", FULL, T0)
    analyst = ring.add("analyst", READ, T0)
    ci = ring.add("ci", DEMAND, T0)

    anonymous = call(app, "GET", "/api/status")
    assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "unauthorized"
    assert call(app, "GET", "/api/health").status_code == 200
    assert call(app, "GET", "/").status_code == 200
    assert call(app, "GET", "/static/app.js").status_code == 200

    assert call(app, "GET", "/api/status", analyst).status_code == 200
    refused = call(app, "POST", "/api/ponds/sales/pulse", analyst)
    assert refused.status_code == 403
    assert refused.json["error"]["level_needed"] == "demand"
    assert "needs a demand key" in refused.json["error"]["message"]

    assert call(app, "POST", "/api/ponds/sales/pulse", ci).status_code == 404  # admitted
    deploy = call(app, "POST", "/api/deploy", ci)
    assert deploy.status_code == 403 and deploy.json["error"]["level_needed"] == "full"
    assert call(app, "POST", "/api/ponds/sales/kill", ci).status_code == 403
    assert call(app, "POST", "/api/ponds/sales/kill", ops).status_code == 404

    ring.revoke("ci")
    gone = call(app, "POST", "/api/ponds/sales/pulse", ci)
    assert gone.status_code == 401 and "revoked" in gone.json["error"]["message"]

    duck = "/api/duck/sales/1/jobs"
    assert call(app, "GET", duck, ops).status_code == 401
    assert call(app, "GET", duck, app.catchment.duck_token).status_code == 401  # the secret itself
    assert call(app, "GET", duck, line_token(app.catchment.duck_token, "sales@1")).status_code == 404  # no such line
    assert call(app, "GET", duck, line_token(app.catchment.duck_token, "other@1")).status_code == 401


def test_the_gate_raises_the_mapped_errors(store: Store) -> None:
    ring = KeyRing(store, env_key=None)
    gate = Gate(ring, duck_token="tok")
    assert gate.check(READ, "", T0).name == "open"
    read = ring.add("ops", FULL, T0) and ring.add("r", READ, T0)
    with pytest.raises(Unauthorized):
        gate.check(READ, "", T0)
    with pytest.raises(Forbidden) as e:
        gate.check(FULL, read, T0)
    assert e.value.extra == {"level_needed": "full", "level": "read"}
    assert gate.check(levels.PUBLIC, "", T0).name == "anonymous"
    assert gate.check(levels.DUCK, line_token("tok", "a@1"), T0, "a@1").name == "duck"
    with pytest.raises(Unauthorized):  # another line's token
        gate.check(levels.DUCK, line_token("tok", "a@1"), T0, "b@1")
    with pytest.raises(Unauthorized):
        gate.check(levels.DUCK, "tok", T0, "a@1")
