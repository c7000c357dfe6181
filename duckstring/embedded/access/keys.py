"""User API keys: made, checked, rotated and revoked here.

- A key is `dsk_` + 43 URL-safe characters (32 random bytes): the prefix makes a leaked key
  easy to grep for (and to register with secret scanners).
- duck.db keeps only its SHA-256 digest. A slow password hash (bcrypt, scrypt) protects
  guessable secrets; a 256-bit random key cannot be guessed, so one SHA-256 is as safe and
  costs microseconds per request. A pepper would add nothing a reader of duck.db lacks, since
  it would have to sit beside it.
- A given key is digested once and compared with every known digest in constant time
  (`hmac.compare_digest`): no early exit tells how close a guess came.
- The key from `DUCKSTRING_API_KEY` (or `catchment init --generate-key`) is the `full` key
  named `admin`; it lives in the server's environment, never in duck.db.
- `last_used_at` is kept in memory and written at most once a `FLUSH_MS` (and on close), not
  once per request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from duckstring.embedded.access.levels import Level
from duckstring.embedded.domain_errors import BadInput, Conflict, NotFound
from duckstring.embedded.store import Store
from duckstring.embedded.store import keys as rows

PREFIX = "dsk_"
ENV_KEY_NAME = "admin"
OPEN = "open"  # the caller on a Catchment without keys
LOCAL = "local"  # the Catchment itself (its scheduler, its own commands)
RESERVED = frozenset({ENV_KEY_NAME, OPEN, LOCAL, "duck"})
FLUSH_MS = 60_000
HINT_CHARS = 8
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Caller:
    """Who a request comes from: a key's name (or `open`/`local`) and its level."""

    name: str
    level: Level


OPEN_CALLER = Caller(OPEN, Level.FULL)
LOCAL_CALLER = Caller(LOCAL, Level.FULL)


def new_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


def hint(key: str) -> str:
    """What `key list` shows to recognise a key by: its first few characters."""
    return key[: len(PREFIX) + HINT_CHARS] + "…"


def check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise BadInput(f"key name {name!r} must be 1-64 letters, digits, '.', '_' or '-', "
                         "starting with a letter or digit")
    if name.lower() in RESERVED:
        raise BadInput(f"key name {name!r} is reserved; choose another")
    return name


class KeyRing:
    """The keys a Catchment accepts: the environment's `admin` key and those in duck.db."""

    def __init__(self, store: Store, env_key: str | None) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._env = None if env_key is None else digest(env_key)
        self._keys: list[tuple[str, Level, bytes]] = []
        self._used: dict[str, int] = {}
        self._flushed_at = 0
        self._load()

    def _load(self) -> None:
        with self.store.transaction() as conn:
            loaded = [(r.name, Level.parse(r.level), bytes.fromhex(r.digest))
                      for r in rows.all_keys(conn)]
        with self._lock:
            self._keys = loaded

    @property
    def keyed(self) -> bool:
        """Does this Catchment ask for a key at all?"""
        return self._env is not None or bool(self._keys)

    def authenticate(self, key: str, now: int) -> Caller | None:
        """The caller `key` belongs to, or None for no key or an unknown one."""
        if not key:
            return None
        given = digest(key)
        found: Caller | None = None
        with self._lock:
            known = [(ENV_KEY_NAME, Level.FULL, self._env)] if self._env else []
            for name, level, expected in known + self._keys:
                if hmac.compare_digest(given, expected):
                    found = Caller(name, level)
            due = False
            if found is not None and found.name != ENV_KEY_NAME:
                self._used[found.name] = now
                due = now - self._flushed_at >= FLUSH_MS
        if due:
            self.flush(now)
        return found

    def flush(self, now: int) -> None:
        """Write the last-used times gathered since the last flush."""
        with self._lock:
            used, self._used = self._used, {}
            self._flushed_at = now
        if used:
            with self.store.transaction() as conn:
                rows.touch(conn, used)

    # -- changes (each returns a new key, to be shown once) --------------------------------
    def add(self, name: str, level: Level, at: int) -> str:
        check_name(name)
        if not self.keyed and level is not Level.FULL:
            raise BadInput(
                "this Catchment is open: its first key must be full, or nobody could "
                "administer it afterwards (duckstring catchment key add NAME --level full)")
        key = new_key()
        with self.store.transaction() as conn:
            if rows.get(conn, name) is not None:
                raise Conflict(f"a key named {name!r} exists; rotate or revoke it instead")
            rows.add(conn, name, str(level), digest(key).hex(), hint(key), at)
        self._load()
        return key

    def rotate(self, name: str, at: int) -> str:
        """A new secret for `name`, same level; the old key stops working at once."""
        key = new_key()
        with self.store.transaction() as conn:
            if not rows.rotate(conn, name, digest(key).hex(), hint(key), at):
                raise self._unknown(name)
        self._load()
        return key

    def revoke(self, name: str) -> None:
        with self.store.transaction() as conn:
            stored = rows.all_keys(conn)
            if not any(r.name == name for r in stored):
                raise self._unknown(name)
            others = [r for r in stored if r.name != name]
            if self._env is None and others and not any(r.level == "full" for r in others):
                raise Conflict(f"{name!r} is the last full key: add another full key first, "
                               "or nobody could administer this Catchment")
            rows.remove(conn, name)
        with self._lock:
            self._used.pop(name, None)
        self._load()

    def _unknown(self, name: str) -> NotFound:
        if name == ENV_KEY_NAME:
            return NotFound(f"{ENV_KEY_NAME!r} is the key from DUCKSTRING_API_KEY: change it "
                            "in the server's environment")
        return NotFound(f"no key named {name!r} (duckstring catchment key list)")

    def listing(self) -> list[dict[str, Any]]:
        """Every key's name, level, hint and times — never the key or its digest."""
        with self.store.transaction() as conn:
            stored = rows.all_keys(conn)
        with self._lock:
            used = dict(self._used)
        out: list[dict[str, Any]] = []
        if self._env is not None:
            out.append({"name": ENV_KEY_NAME, "level": "full", "hint": None, "created_at": None,
                        "rotated_at": None, "last_used_at": None, "from_env": True})
        for r in stored:
            last = max(r.last_used_at or 0, used.get(r.name, 0)) or None
            out.append({"name": r.name, "level": r.level, "hint": r.hint,
                        "created_at": r.created_at, "rotated_at": r.rotated_at,
                        "last_used_at": last, "from_env": False})
        return out
