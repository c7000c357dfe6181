"""Access levels and the level each route needs — the one place that says so.

1. `read` < `demand` < `full`; a key of a level may do everything a lower one may.
2. `read`: look — status, `why`, runs, tables, queries, table files, versions, metrics, the audit
   trail, key/secret/alert listings (names only; never a key or a value).
3. `demand`: `read` plus asking for data — the trigger verbs (`tap`, `pulse`, `wave`, `tide`,
   `untrigger`) and `wake`, `force`, `sleep`.
4. `full`: everything else — deploy, remove, `kill`, `clear`, budgets, Windows, keys, secrets,
   alerts, the root download (which carries every table and the run history).
5. `GET /api/health`, the web UI's page and static files need no key (the UI asks for one on
   401); the Duck channel takes only the internal Duck token, except the bootstrap of a Duck
   on another machine, which takes only its one-time credential (embedded/bootstrap.py).
6. A route not listed needs `full`: a route added without a level fails closed (and the route
   table test fails until it is given one).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final, Literal


class Level(IntEnum):
    READ = 1
    DEMAND = 2
    FULL = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Level:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"level {text!r} is not one of read, demand, full") from None


PUBLIC: Final = "public"
DUCK: Final = "duck"
Need = Level | Literal["public", "duck"]

READ, DEMAND, FULL = Level.READ, Level.DEMAND, Level.FULL

# (method, Falcon route template) → what it needs. The Pond verb route is decided by VERBS.
ROUTES: dict[tuple[str, str], Need] = {
    ("GET", "/api/health"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/api/catchment"): READ,
    ("GET", "/api/catchment/usage"): READ,
    ("GET", "/api/catchment/archive"): FULL,
    ("GET", "/api/catchment/secrets-key"): FULL,
    ("POST", "/api/deploy"): FULL,
    ("GET", "/api/ponds"): READ,
    ("DELETE", "/api/ponds/{name}"): FULL,
    ("GET", "/api/ponds/{name}/versions/{version}"): READ,
    ("GET", "/api/ponds/{name}/budget"): READ,
    ("POST", "/api/ponds/{name}/budget"): FULL,
    ("GET", "/api/ponds/{name}/duck"): READ,
    ("POST", "/api/ponds/{name}/duck"): FULL,
    ("POST", "/api/ponds/{name}/duck/check"): FULL,
    ("GET", "/api/ponds/{name}/windows"): READ,
    ("GET", "/api/ponds/{name}/why"): READ,
    ("POST", "/api/ponds/{name}/windows"): FULL,
    ("DELETE", "/api/ponds/{name}/windows/{window}"): FULL,
    ("GET", "/api/ponds/{name}/tables"): READ,
    ("GET", "/api/ponds/{name}/tables/{table}"): READ,
    ("GET", "/api/status"): READ,
    ("GET", "/api/runs"): READ,
    ("POST", "/api/query"): READ,
    ("GET", "/api/duck/{name}/{major}/jobs"): DUCK,
    ("POST", "/api/duck/{name}/{major}/events"): DUCK,
    ("GET", "/api/duck/{name}/{major}/artifact"): DUCK,
    # a Duck on another machine has no token yet: its one-time credential is checked by the
    # route itself (embedded/bootstrap.py)
    ("POST", "/api/duck/{name}/{major}/bootstrap"): PUBLIC,
    # issue 13's own routes
    ("GET", "/metrics"): READ,
    ("GET", "/api/audit"): READ,
    ("GET", "/api/keys"): READ,
    ("POST", "/api/keys"): FULL,
    ("DELETE", "/api/keys/{name}"): FULL,
    ("POST", "/api/keys/{name}/rotate"): FULL,
    ("GET", "/api/secrets"): READ,
    ("PUT", "/api/secrets/{name}"): FULL,
    ("DELETE", "/api/secrets/{name}"): FULL,
    ("GET", "/api/alerts"): READ,
    ("POST", "/api/alerts"): FULL,
    ("GET", "/api/alerts/log"): READ,
    ("DELETE", "/api/alerts/{name}"): FULL,
    ("POST", "/api/alerts/{name}/test"): FULL,
}

VERB_ROUTE: Final = "/api/ponds/{name}/{verb}"
VERBS: dict[str, Level] = {
    "tap": DEMAND, "pulse": DEMAND, "wave": DEMAND, "tide": DEMAND, "untrigger": DEMAND,
    "wake": DEMAND, "force": DEMAND, "sleep": DEMAND,
    "kill": FULL, "clear": FULL,
}


def needed(method: str, template: str, verb: str | None = None) -> Need:
    """What a request for `method` on the route `template` needs (rule 6: unknown → full)."""
    method = method.upper()
    if method == "HEAD":
        method = "GET"
    if template == VERB_ROUTE and method == "POST":
        return VERBS.get(verb or "", FULL)
    return ROUTES.get((method, template), FULL)
