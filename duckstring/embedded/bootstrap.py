"""One-time bootstrap credentials for Ducks that start on another machine (docs/operating.md §2).

A launcher that starts a Duck somewhere else (Ray) cannot hand it the Duck token or the line's
secrets: argv shows in `ps`, and Ray writes `runtime_env` values to its logs. It mints a
bootstrap credential instead (`mint(line)`, on the process's `shared()` Bootstraps, which
the Catchment redeems against) and puts only that, with the Catchment's
address, in the Duck's environment (`duckstring/duck/remote.py:environ`). The Duck redeems it
once, over the dial-back channel (`POST /api/duck/{name}/{major}/bootstrap`), for its `Grant`:
the Duck token, the line's secrets, the data URL and the Duck's runtime knobs. Never the
Catchment's own credentials: a worker reads the object store's from its own environment.

1. A credential is random (256 bits), kept here only as its SHA-256, in memory: a Catchment
   that restarts forgets the ones not yet redeemed (their launch is retried with a new one).
2. It is bound to one line: presented for another line it is spent and refused.
3. It is single-use: a second redemption is refused with 409 (`Conflict`); an unknown or
   expired one with 401.
4. It lives `ttl_s` (default 10 minutes: a cold Ray worker may take a while to import).
5. A line's Catchment keeps its tables on its own disk when it has no data URL: a remote
   Duck cannot reach them, so redeeming is refused (409) with the fix.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from duckstring.embedded.domain_errors import Conflict, Unauthorized

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment

TTL_S = 600.0
REMEMBER_SPENT = 1024  # spent credentials remembered, so a second redemption says so


def _hash(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()


@dataclass(frozen=True)
class _Minted:
    line: str
    expires: float


class Bootstraps:
    """The credentials minted and not yet redeemed, by hash."""

    def __init__(self, ttl_s: float = TTL_S,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._open: dict[str, _Minted] = {}
        self._spent: OrderedDict[str, str] = OrderedDict()  # hash → why it is spent

    def mint(self, line: str) -> str:
        """A new credential for one launch of `line`'s Duck."""
        credential = "dsb_" + secrets.token_urlsafe(32)
        now = self.monotonic()
        with self._lock:
            self._open = {h: m for h, m in self._open.items() if m.expires > now}
            self._open[_hash(credential)] = _Minted(line, now + self.ttl_s)
        return credential

    def redeem(self, line: str, credential: str) -> None:
        """Spend `credential` for `line`, or raise Unauthorized/Conflict (it is spent either
        way when it was known)."""
        key = _hash(credential) if credential else ""
        with self._lock:
            minted = self._open.pop(key, None)
            if minted is None:
                spent = self._spent.get(key)
                if spent is not None:
                    raise Conflict(f"this bootstrap credential was already {spent}; each launch "
                                   "of a Duck gets its own")
                raise Unauthorized("the bootstrap credential is not valid (unknown or expired): "
                                   "the launcher mints one per launch")
            self._spend(key, f"redeemed for {minted.line}")
        if minted.line != line:
            raise Unauthorized(f"the bootstrap credential was minted for another line, "
                               f"not {line}; it is spent")
        if minted.expires <= self.monotonic():
            raise Unauthorized(f"the bootstrap credential expired ({self.ttl_s:g} s after it "
                               "was minted): the launcher mints one per launch")

    def _spend(self, key: str, why: str) -> None:
        self._spent[key] = why
        while len(self._spent) > REMEMBER_SPENT:
            self._spent.popitem(last=False)


_SHARED = Bootstraps()


def shared() -> Bootstraps:
    """The process's credentials: a process serves one root, and its launchers mint here."""
    return _SHARED


def mint(line: str) -> str:
    """A new one-time credential for one launch of `line`'s Duck (what launchers call)."""
    return _SHARED.mint(line)


def duck_knobs() -> set[str]:
    """The variables a Duck reads its settings from (declared once, on DuckSettings)."""
    from duckstring.duck.worker import DuckSettings
    from duckstring.env_settings import declared

    return set(declared(DuckSettings))


def forwarded(base: Mapping[str, str]) -> dict[str, str]:
    """What of the Catchment's environment a remote Duck gets besides its secrets: the Duck's
    runtime knobs, nothing else. The object store's credentials and endpoint come from the
    worker's own environment (or, asked for explicitly, from the Pond's secrets)."""
    knobs = duck_knobs()
    return {k: v for k, v in base.items() if k in knobs}


def grant(c: Catchment, line: str, credential: str) -> dict[str, Any]:
    """Redeem `credential` for `line` (a deployed line) and answer the Duck's grant:
    `{"token", "env", "secrets", "data_url", "line"}`. `env` holds the forwarded knobs
    (a worker's own values win), `secrets` the line's secrets (they always win)."""
    from duckstring.embedded.access.gate import line_token
    from duckstring.engine import split_line
    from duckstring.lake.where import data_url

    c.bootstraps.redeem(line, credential)
    url = data_url(c.layout)
    if url is None:
        raise Conflict(f"this Catchment keeps its tables on its own disk ({c.layout.root}); a "
                       "Duck on another machine needs an object store: catchment init "
                       "--data-url s3://bucket/prefix (or run this Pond with the local "
                       "launcher)")
    name, _ = split_line(line)
    return {"line": line, "token": line_token(c.duck_token, line), "data_url": url,
            "env": forwarded(os.environ), "secrets": c.team.secrets.for_pond(name)}
