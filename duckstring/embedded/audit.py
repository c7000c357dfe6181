"""The audit trail's one writer (docs/operating.md §5): after a change succeeds, record who
(the key's name, `open` or `local`) did what, to which Pond, and when. `AUDITED` is the list
of changes; a detail names things (a key, a secret, an alert, a version), never a value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import falcon

from duckstring.embedded.access.levels import VERB_ROUTE

if TYPE_CHECKING:
    from duckstring.embedded.team import Team

# (method, route template) → the verb recorded; the Pond verb route records its verb
AUDITED: dict[tuple[str, str], str] = {
    ("POST", "/api/deploy"): "deploy",
    ("DELETE", "/api/ponds/{name}"): "remove",
    ("POST", "/api/ponds/{name}/budget"): "budget",
    ("POST", "/api/ponds/{name}/duck"): "duck-set",
    ("POST", "/api/ponds/{name}/windows"): "window-add",
    ("DELETE", "/api/ponds/{name}/windows/{window}"): "window-remove",
    ("POST", "/api/keys"): "key-add",
    ("DELETE", "/api/keys/{name}"): "key-revoke",
    ("POST", "/api/keys/{name}/rotate"): "key-rotate",
    ("PUT", "/api/secrets/{name}"): "secret-set",
    ("DELETE", "/api/secrets/{name}"): "secret-rm",
    ("POST", "/api/alerts"): "alert-add",
    ("DELETE", "/api/alerts/{name}"): "alert-rm",
    ("POST", "/api/alerts/{name}/test"): "alert-test",
    ("GET", "/api/catchment/secrets-key"): "secrets-key-download",
}
_NAMED = {"key", "secret", "alert"}  # their `{name}` is the thing's name, not a Pond's


class AuditMiddleware:
    def __init__(self, team: Team) -> None:
        self.team = team

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any,
                         req_succeeded: bool) -> None:
        template = req.uri_template or ""
        verb = AUDITED.get((req.method, template))
        params: dict[str, Any] = getattr(req.context, "params", None) or {}
        if template == VERB_ROUTE and req.method == "POST":
            verb = params.get("verb")
        caller = getattr(req.context, "caller", None)
        if verb is None or caller is None or not req_succeeded or \
                not str(resp.status).startswith("2"):
            return
        if req.get_param_as_bool("dry_run", default=False):
            return
        media = resp.media if isinstance(resp.media, dict) else {}
        pond: str | None = media.get("pond") if isinstance(media.get("pond"), str) else None
        detail: dict[str, Any] = {}
        if verb.partition("-")[0] in _NAMED:
            detail["name"] = params.get("name") or media.get("name")
            pond = None
        elif verb == "deploy":
            pond, detail["version"] = media.get("name"), media.get("version")
        else:
            pond = pond or params.get("name")
            for k in ("version", "window"):
                if params.get(k):
                    detail[k] = params[k]
        if verb == "secret-set" and isinstance(media.get("ponds"), list):
            detail["ponds"] = media["ponds"]
        self.team.record(caller.name, verb, pond, {k: v for k, v in detail.items()
                                                  if v is not None})
