"""Keys, secrets, alerts, the audit trail and `/metrics` (docs/http-api.md). Levels are the
gate's business (access/levels.py), the audit trail the middleware's (audit.py): these
responders only do the thing. No response ever carries a secret's value or a key's digest;
a new key is in the one response that made it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import falcon

from duckstring.embedded.access.levels import Level
from duckstring.embedded.domain_errors import BadInput
from duckstring.embedded.resources.common import body, number
from duckstring.embedded.store import audit
from duckstring.times import iso

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment


def _times(doc: dict[str, Any]) -> dict[str, Any]:
    """Every `…_at` field (ms since the epoch) as ISO-8601, as the rest of the API shows."""
    return {k: iso(v) if k.endswith("_at") and isinstance(v, int) else v
            for k, v in doc.items()}


def _limit(req: falcon.Request) -> int:
    limit = req.get_param_as_int("limit") or 100
    if not 1 <= limit <= 10_000:
        raise BadInput("limit must be between 1 and 10000")
    return limit


def _text(data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        raise BadInput(f"{field} is required (a string)")
    return value.strip()


def _names(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInput(f"{field} must be a list of names")
    return [v.strip() for v in value if v.strip()]


class Keys:
    def __init__(self, c: Catchment) -> None:
        self.c = c

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"keys": [_times(k) for k in self.c.team.keys.listing()]}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        data = body(req)
        name = _text(data, "name")
        try:
            level = Level.parse(str(data.get("level") or ""))
        except ValueError as e:
            raise BadInput(str(e)) from None
        was_open = not self.c.team.keys.keyed
        key = self.c.team.keys.add(name, level, self.c.coordinator.clock())
        resp.status = falcon.HTTP_201
        resp.media = {"ok": True, "name": name, "level": str(level), "key": key,
                      "was_open": was_open}

    def on_delete_item(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        self.c.team.keys.revoke(name)
        resp.media = {"ok": True, "name": name}

    def on_post_rotate(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        key = self.c.team.keys.rotate(name, self.c.coordinator.clock())
        resp.media = {"ok": True, "name": name, "key": key,
                      "yours": req.context.caller.name == name}


class Secrets:
    def __init__(self, c: Catchment) -> None:
        self.c = c

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"secrets": [_times(s) for s in self.c.team.secrets.listing()]}

    def on_put_item(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        data = body(req)
        ponds = _names(data.get("ponds"), "ponds")
        warnings = self.c.team.secrets.set(name, data.get("value"),  # type: ignore[arg-type]
                                           ponds, self.c.coordinator.clock())
        self.c.team.secrets_changed(ponds)
        resp.media = {"ok": True, "name": name, "ponds": sorted(set(ponds)) or None,
                      "warnings": warnings}

    def on_delete_item(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        ponds = req.get_param_as_list("pond") or []
        removed = self.c.team.secrets.remove(name, ponds)
        self.c.team.secrets_changed(ponds)
        resp.media = {"ok": True, "name": name, "removed": removed}


class SecretsKey:
    """`GET /api/catchment/secrets-key` (full): the master key, for a download that asks for
    it; never in the root's archive itself."""

    def __init__(self, c: Catchment) -> None:
        self.c = c

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"key": self.c.team.secrets.master_key()}


class Alerts:
    def __init__(self, c: Catchment) -> None:
        self.c = c

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"alerts": [_times(a) for a in self.c.team.alerting.listing()]}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        data = body(req)
        name = _text(data, "name")
        if name == "log":
            raise BadInput("alert name 'log' is taken by the route /api/alerts/log; "
                             "choose another")
        options: dict[str, Any] = {"ponds": _names(data.get("ponds"), "ponds")}
        if data.get("on") is not None:
            options["on"] = _names(data["on"], "on")
        for field in ("stale", "renotify"):
            if data.get(f"{field}_s") is not None:
                options[f"{field}_ms"] = round(number(data[f"{field}_s"], f"{field}_s",
                                                      minimum=0.001) * 1000)
        doc = self.c.team.alerting.add(name, _text(data, "to"), self.c.coordinator.clock(),
                                       **options)
        resp.status = falcon.HTTP_201
        resp.media = {"ok": True, "alert": _times(doc)}

    def on_delete_item(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        self.c.team.alerting.remove(name, self.c.coordinator.clock())
        resp.media = {"ok": True, "name": name}

    def on_post_test(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        outbox_id = self.c.team.alerting.test(name, self.c.coordinator.clock())
        resp.media = {"ok": True, "name": name, "id": outbox_id}

    def on_get_log(self, req: falcon.Request, resp: falcon.Response) -> None:
        entries = self.c.team.alerting.log(limit=_limit(req), rule=req.get_param("alert"),
                                           status=req.get_param("status"))
        resp.media = {"log": [_times(e) | {"deliveries": [_times(d) for d in e["deliveries"]]}
                              for e in entries]}


class Audit:
    def __init__(self, c: Catchment) -> None:
        self.c = c

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        with self.c.store.transaction() as conn:
            entries = audit.entries(conn, limit=_limit(req), before=req.get_param_as_int("before"),
                                    pond=req.get_param("pond"), who=req.get_param("who"),
                                    verb=req.get_param("verb"))
        resp.media = {"entries": [e | {"at": iso(e["at"])} for e in entries]}


class PromMetrics:
    def __init__(self, c: Catchment) -> None:
        self.c = c

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        data, content_type = self.c.team.metrics.render(req.get_header("Accept"))
        resp.data = data
        resp.content_type = content_type


def add_team_routes(app: falcon.App, c: Catchment) -> None:
    keys, secrets, alerts = Keys(c), Secrets(c), Alerts(c)
    app.add_route("/api/keys", keys)
    app.add_route("/api/keys/{name}", keys, suffix="item")
    app.add_route("/api/keys/{name}/rotate", keys, suffix="rotate")
    app.add_route("/api/secrets", secrets)
    app.add_route("/api/secrets/{name}", secrets, suffix="item")
    app.add_route("/api/alerts", alerts)
    app.add_route("/api/alerts/log", alerts, suffix="log")
    app.add_route("/api/alerts/{name}", alerts, suffix="item")
    app.add_route("/api/alerts/{name}/test", alerts, suffix="test")
    app.add_route("/api/audit", Audit(c))
    app.add_route("/api/catchment/secrets-key", SecretsKey(c))
    app.add_route("/metrics", PromMetrics(c))
