"""Secrets: values Ripples read from their environment, kept encrypted at rest.

- Each value is a Fernet token (AES-128-CBC + HMAC-SHA256, from `cryptography`) in duck.db.
- The master key is `DUCKSTRING_SECRETS_KEY` (a Fernet key: 44 URL-safe base64 characters)
  or else the key file `{root}.secrets-key` *beside* the root — created with mode 0600 when the
  first secret is set. Being outside the root, it is never in `catchment download`'s tar nor in
  a copy of the root: a backup carries no usable secret unless its key is backed up too.
  Moving a root to a platform: put the key file's content in `DUCKSTRING_SECRETS_KEY` there.
- A check token in `meta` tells a wrong key from a right one at once, instead of at the
  first Duck start.
- Scope: a secret applies to every Pond (`*`) or to named Ponds (all their majors); a Pond's
  own value overrides the every-Pond one of the same name.
- A Duck gets its line's secrets as environment variables at launch (`duck_environ`), with
  their names (not values) in `DUCKSTRING_SECRET_NAMES` so it can redact them; the server's
  own credentials are taken out of that environment.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duckstring.embedded.domain_errors import BadInput, Conflict, NotFound
from duckstring.embedded.store import Store, meta
from duckstring.embedded.store import secrets as rows
from duckstring.layout import Layout
from duckstring.manifest import NAME as POND_NAME
from duckstring.redact import MIN_LENGTH, SECRET_NAMES_ENV, Redactor

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

KEY_ENV = "DUCKSTRING_SECRETS_KEY"
# the server's own credentials: no Duck needs them, so none inherits them
SERVER_ONLY = ("DUCKSTRING_API_KEY", KEY_ENV, "DUCKSTRING_SMTP_URL")
CHECK = "secrets_check"
CHECK_TEXT = b"duckstring secrets"
MAX_VALUE = 64 * 1024
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
# variables that change how the Duck process itself starts or talks to us
_RESERVED_PREFIXES = ("DUCKSTRING_", "PYTHON", "LD_", "DYLD_")
_RESERVED = frozenset({"PATH"})


class SecretsKeyError(Conflict):
    """The master key is missing, malformed or not the one the secrets were set with."""


def key_file(root: Path) -> Path:
    return Layout(root).secrets_key


def check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise BadInput(f"secret name {name!r} must be an environment variable name: "
                         "letters, digits and '_', not starting with a digit (e.g. DB_PASSWORD)")
    if name.upper().startswith(_RESERVED_PREFIXES) or name.upper() in _RESERVED:
        raise BadInput(f"secret name {name!r} is reserved (it would change how the Duck "
                         "itself starts); choose another")
    return name


def _scopes(ponds: list[str] | None) -> list[str]:
    if not ponds:
        return [rows.EVERY]
    for p in ponds:
        if not POND_NAME.match(p):
            raise BadInput(f"--pond {p!r} is not a Pond name ([a-z][a-z0-9_]*)")
    return sorted(set(ponds))


class MasterKey:
    """Where the Fernet key comes from: the environment, else the key file beside the root."""

    def __init__(self, root: Path, env_key: str | None) -> None:
        self.path = key_file(root)
        self.env_key = env_key or None

    def load(self, *, create: bool) -> Fernet | None:
        from cryptography.fernet import Fernet

        if self.env_key is not None:
            return self._fernet(self.env_key.encode(), KEY_ENV)
        try:
            return self._fernet(self._read(), str(self.path))
        except FileNotFoundError:
            if not create:
                return None
        key = Fernet.generate_key()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # made since we looked
            return self._fernet(self._read(), str(self.path))
        except OSError as e:
            raise SecretsKeyError(f"cannot create the secrets key file {self.path}: "
                                  f"{e.strerror}; set {KEY_ENV} instead") from None
        with os.fdopen(fd, "wb") as fh:
            fh.write(key + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        return Fernet(key)

    def _read(self) -> bytes:
        mode = self.path.stat().st_mode
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretsKeyError(f"{self.path} is readable by others (mode "
                                  f"{stat.S_IMODE(mode):o}); run: chmod 600 {self.path}")
        return self.path.read_bytes().strip()

    @staticmethod
    def _fernet(key: bytes, where: str) -> Fernet:
        from cryptography.fernet import Fernet

        try:
            return Fernet(key)
        except ValueError:
            raise SecretsKeyError(
                f"{where} is not a secrets key (a Fernet key: 44 URL-safe base64 characters, "
                f"like the content of a {key_file(Path('root')).name} file)") from None


class Secrets:
    def __init__(self, store: Store, root: Path, env_key: str | None) -> None:
        self.store = store
        self.master = MasterKey(root, env_key)
        self._lock = threading.Lock()
        self._fernet: Fernet | None = None
        self._plain: dict[tuple[str, str], str] | None = None  # decrypted, until a change

    # -- the key ---------------------------------------------------------------------------
    def _box(self, *, create: bool = False) -> Fernet | None:
        # `_lock` guards only our fields, never a store call: the coordinator may ask for a
        # redactor while it holds the store's lock
        with self._lock:
            if self._fernet is not None:
                return self._fernet
        fernet = self.master.load(create=create)
        if fernet is not None:
            self._check(fernet)
            with self._lock:
                self._fernet = fernet
        return fernet

    def _check(self, fernet: Fernet) -> None:
        from cryptography.fernet import InvalidToken

        with self.store.transaction() as conn:
            token = meta.get(conn, CHECK)
            if token is None:
                meta.put(conn, CHECK, fernet.encrypt(CHECK_TEXT).decode())
                return
        try:
            fernet.decrypt(token.encode())
        except InvalidToken:
            raise SecretsKeyError(self._wrong_key()) from None

    def _wrong_key(self) -> str:
        where = KEY_ENV if self.master.env_key else str(self.master.path)
        return (f"{where} does not open this Catchment's secrets (they were set with another "
                f"key): restore the key they were set with, or remove and set them again")

    def master_key(self) -> str:
        """The master key's text, for `catchment download --with-secrets-key` only."""
        box = self._box()
        if box is None:
            raise NotFound("no secret has been set, so there is no secrets key yet")
        return self.master.env_key or self.master._read().decode()

    def verify(self) -> None:
        """At start: fail now, with the fix, if secrets exist that the key cannot open."""
        with self.store.transaction() as conn:
            stored = rows.count(conn)
        if self._box() is None and stored:
            raise SecretsKeyError(
                f"{stored} secret(s) are stored but their key is missing: set {KEY_ENV} or "
                f"restore {self.master.path}")

    # -- changes ---------------------------------------------------------------------------
    def set(self, name: str, value: str, ponds: list[str] | None, at: int) -> list[str]:
        """Store `value` for `name` in each scope; the warnings to show (never the value)."""
        check_name(name)
        if not isinstance(value, str) or value == "":
            raise BadInput("a secret's value must be a non-empty string")
        if "\0" in value:
            raise BadInput("a secret's value cannot contain a NUL character (environment "
                             "variables cannot hold one)")
        if len(value.encode("utf-8", "surrogatepass")) > MAX_VALUE:
            raise BadInput(f"a secret's value is limited to {MAX_VALUE} bytes")
        scopes = _scopes(ponds)
        box = self._box(create=True)
        assert box is not None
        token = box.encrypt(value.encode("utf-8", "surrogatepass"))
        with self.store.transaction() as conn:
            for scope in scopes:
                rows.put(conn, name, scope, token, at)
        self._forget()
        if len(value) < MIN_LENGTH:
            return [f"{name} is shorter than {MIN_LENGTH} characters: it is stored encrypted "
                    "but cannot be hidden from logs (masking it would garble every log)"]
        return []

    def remove(self, name: str, ponds: list[str] | None = None) -> int:
        with self.store.transaction() as conn:
            n = rows.remove(conn, name, None if not ponds else _scopes(ponds))
        if not n:
            raise NotFound(f"no secret named {name!r}" + (f" for {', '.join(ponds)}" if ponds
                                                          else "") + " (duckstring secret list)")
        self._forget()
        return n

    def _forget(self) -> None:
        with self._lock:
            self._plain = None

    # -- reads -----------------------------------------------------------------------------
    def listing(self) -> list[dict[str, Any]]:
        """Names, scopes and when set — never a value."""
        with self.store.transaction() as conn:
            stored = rows.all_secrets(conn)
        return [{"name": r.name, "pond": None if r.pond == rows.EVERY else r.pond,
                 "set_at": r.set_at} for r in stored]

    def _values(self) -> dict[tuple[str, str], str]:
        with self._lock:
            if self._plain is not None:
                return self._plain
        with self.store.transaction() as conn:
            stored = rows.all_secrets(conn)
        plain: dict[tuple[str, str], str] = {}
        if stored:
            box = self._box()
            if box is None:
                raise SecretsKeyError(f"secrets are stored but their key is missing: set "
                                      f"{KEY_ENV} or restore {self.master.path}")
            from cryptography.fernet import InvalidToken

            for r in stored:
                try:
                    plain[(r.name, r.pond)] = box.decrypt(r.token).decode("utf-8",
                                                                          "surrogatepass")
                except InvalidToken:
                    raise SecretsKeyError(self._wrong_key()) from None
        with self._lock:
            self._plain = plain
        return plain

    def for_pond(self, pond: str) -> dict[str, str]:
        """The environment a Duck of any line of `pond` gets: name → value."""
        values = self._values()
        out = {name: v for (name, scope), v in values.items() if scope == rows.EVERY}
        out.update({name: v for (name, scope), v in values.items() if scope == pond})
        return out

    def value(self, name: str) -> str:
        """An every-Pond secret's value (an alert target kept as `secret:NAME`)."""
        try:
            return self._values()[(name, rows.EVERY)]
        except KeyError:
            raise NotFound(f"no every-Pond secret named {name!r} (duckstring secret list)") \
                from None

    def redactor(self, pond: str | None = None) -> Redactor:
        """Masks `pond`'s secrets, or every secret when `pond` is None."""
        values = self._values()
        return Redactor(self.for_pond(pond).values() if pond is not None else values.values())

    def duck_environ(self, base: Mapping[str, str], pond: str) -> dict[str, str]:
        """`base` (the server's environment) without the server's own credentials, plus
        `pond`'s secrets and their names."""
        env = {k: v for k, v in base.items() if k not in SERVER_ONLY}
        values = self.for_pond(pond)
        env.update(values)
        env[SECRET_NAMES_ENV] = ",".join(sorted(values))
        return env
