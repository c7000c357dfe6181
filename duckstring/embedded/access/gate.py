"""The decision an auth middleware makes for one request: who it comes from and whether their
level reaches the one the route needs (levels.py). The middleware only reads the request's
method, route template, `verb` parameter and bearer token, and calls `admit` — everything else
is here, where it can be tested without a server.

- Open Catchment (no `DUCKSTRING_API_KEY`, no stored key): every caller is `open`, level full.
- Keyed: no key or an unknown (revoked, mistyped) key → 401, whose message names no Pond; a
  known key below the level needed → 403 naming the level needed and the key's own.
- The Duck channel takes only a line's own Duck token (`line_token`), on open Catchments too;
  a user key, or another line's token, there is a 401: a Duck on another machine that is
  compromised can act for its own line only.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import falcon

from duckstring.embedded.access import levels
from duckstring.embedded.access.keys import OPEN_CALLER, Caller, KeyRing
from duckstring.embedded.access.levels import Level, Need
from duckstring.embedded.domain_errors import Forbidden, Unauthorized
from duckstring.lines import line_id

DUCK_CALLER = Caller("duck", Level.READ)  # Duck routes are their own realm (levels rule 5)
ANONYMOUS = Caller("anonymous", Level.READ)  # on a public route with no (valid) key


def line_token(secret: str, line: str) -> str:
    """The Duck token of one line, derived from the Catchment's internal secret (nothing to
    store: the gate derives it again for each request)."""
    return hmac.new(secret.encode(), line.encode(), hashlib.sha256).hexdigest()


class Gate:
    def __init__(self, ring: KeyRing, duck_token: str) -> None:
        self.ring = ring
        self.duck_token = duck_token

    def admit(self, method: str, template: str, params: dict[str, Any], key: str,
              now: int) -> Caller:
        """The caller of a request, or Unauthorized/Forbidden."""
        need = levels.needed(method, template, params.get("verb"))
        line = None
        if need == levels.DUCK:  # every Duck route names its line
            line = line_id(str(params.get("name", "")), str(params.get("major", "")))
        return self.check(need, key, now, line)

    def check(self, need: Need, key: str, now: int, line: str | None = None) -> Caller:
        if need == levels.DUCK:
            if line is None or not hmac.compare_digest(
                    key.encode(), line_token(self.duck_token, line).encode()):
                raise Unauthorized("Duck routes take the line's own internal Duck token")
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
        req.context.caller = self.gate.admit(req.method, req.uri_template or "", params,
                                             bearer(req), self.clock())
