"""The decision an auth middleware makes for one request: who it comes from and whether their
level reaches the one the route needs (levels.py). The middleware only reads the request's
method, route template, `verb` parameter and bearer token, and calls `admit` — everything else
is here, where it can be tested without a server.

- Open Catchment (no `DUCKSTRING_API_KEY`, no stored key): every caller is `open`, level full.
- Keyed: no key or an unknown (revoked, mistyped) key → 401, whose message names no Pond; a
  known key below the level needed → 403 naming the level needed and the key's own.
- The Duck channel takes only the internal Duck token, on open Catchments too; a user key
  there is a 401.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

import falcon

from duckstring.embedded.access import levels
from duckstring.embedded.access.keys import OPEN_CALLER, Caller, KeyRing
from duckstring.embedded.access.levels import Level, Need
from duckstring.embedded.domain_errors import Forbidden, Unauthorized

DUCK_CALLER = Caller("duck", Level.READ)  # Duck routes are their own realm (levels rule 5)
ANONYMOUS = Caller("anonymous", Level.READ)  # on a public route with no (valid) key


class Gate:
    def __init__(self, ring: KeyRing, duck_token: str) -> None:
        self.ring = ring
        self.duck_token = duck_token

    def admit(self, method: str, template: str, verb: str | None, key: str,
              now: int) -> Caller:
        """The caller of a request, or Unauthorized/Forbidden."""
        return self.check(levels.needed(method, template, verb), key, now)

    def check(self, need: Need, key: str, now: int) -> Caller:
        if need == levels.DUCK:
            if not hmac.compare_digest(key.encode(), self.duck_token.encode()):
                raise Unauthorized("Duck routes take the Catchment's internal Duck token")
            return DUCK_CALLER
        caller = self.caller(key, now)
        if need == levels.PUBLIC:
            return caller or ANONYMOUS
        if caller is None:
            raise Unauthorized(
                "that key is not valid here (revoked, rotated or mistyped)" if key else
                "this Catchment needs a key: send Authorization: Bearer <key> "
                "(duckstring catchment connect --key …)")
        assert isinstance(need, Level)
        if caller.level < need:
            raise Forbidden(f"this needs a {need} key; {caller.name!r} is a {caller.level} key",
                            level_needed=str(need), level=str(caller.level))
        return caller

    def caller(self, key: str, now: int) -> Caller | None:
        """Who `key` is (what `GET /api/status` reports as the caller's level)."""
        if not self.ring.keyed:
            return OPEN_CALLER
        return self.ring.authenticate(key, now)


def bearer(req: falcon.Request) -> str:
    header = req.get_header("Authorization") or ""
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


class GateMiddleware:
    """The Falcon side: after routing (so the route template is known), admit the request
    and leave its caller in `req.context.caller` for responders and the audit trail."""

    def __init__(self, gate: Gate, clock: Callable[[], int]) -> None:
        self.gate = gate
        self.clock = clock

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource: Any,
                         params: dict[str, Any]) -> None:
        if resource is None:  # no route: Falcon answers 404, naming nothing
            return
        req.context.params = params  # for the audit trail (audit.py)
        req.context.caller = self.gate.admit(req.method, req.uri_template or "",
                                             params.get("verb"), bearer(req), self.clock())
