"""Registrations: `config.toml` in the registration home (docs/cli.md "Registrations").

```toml
default = "dev"

[catchments.dev]              # a local Catchment
url = "http://127.0.0.1:7474"
root = "/home/me/.duckstring/dev"
id = "5f0c…"                  # the Catchment's id: a URL answering with another is refused
key = "…"                     # optional; sent as Authorization: Bearer

[catchments.prod]             # a remote Catchment
url = "https://catchment.example.com"
id = "9a41…"
headers = { Authorization = "Key …" }
```

- The home is `DUCKSTRING_HOME`, else `~/.duckstring`.
- Read and written with tomlkit, so comments and layout survive an edit.
- The file holds keys: it is created at mode 0600 and kept there; a file found readable by
  others is set back to 0600 with a warning. Writes go through a temporary 0600 file renamed
  into place.
- A file that does not parse (or has the wrong shape) is an error naming the file and line,
  and it is never overwritten: every write starts from a successful read.
- Resolution: `-c NAME`, else `DUCKSTRING_CATCHMENT`, else `default`, else the only one.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duckstring import env_settings
from duckstring.cli_errors import USAGE, CliError

HOME_ENV = "DUCKSTRING_HOME"
CATCHMENT_ENV = "DUCKSTRING_CATCHMENT"
DEBUG_ENV = "DUCKSTRING_DEBUG"
FILENAME = "config.toml"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
KEYS = ("url", "root", "id", "key", "headers", "host")
HOW_TO_CREATE = (
    "create one with `duckstring catchment init` (or try `duckstring quickstart`), "
    "or register a remote one with `duckstring catchment connect`"
)


@dataclass(frozen=True)
class CliSettings:
    """What the command line reads from the environment, each declared once (docs/operating.md
    §10): read when asked, so a test or a caller may change the environment in between."""

    home: Path = field(metadata=env_settings.variable(HOME_ENV, env_settings.path,
                                                      unset="~/.duckstring"))
    catchment: str | None = env_settings.setting(None, CATCHMENT_ENV)
    debug: bool = env_settings.setting(False, DEBUG_ENV, lambda var, raw: raw != "0")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CliSettings:
        return env_settings.read(cls, env)


def home() -> Path:
    """The registration home: `DUCKSTRING_HOME`, else `~/.duckstring`."""
    return CliSettings.from_env().home


@dataclass(frozen=True)
class Registration:
    name: str
    url: str
    root: Path | None = None
    key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    host: str | None = None  # the address a local Catchment listens on, when not the URL's
    id: str | None = None  # the Catchment's id (`GET /api/catchment`), checked on every use

    @property
    def local(self) -> bool:
        return self.root is not None

    def request_headers(self) -> dict[str, str]:
        """The key as `Authorization: Bearer`, then every registered header (these win)."""
        out = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        out.update(self.headers)
        return out


class ConfigError(CliError):
    def __init__(self, message: str) -> None:
        super().__init__(message, USAGE)


def _where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line else str(path)


class Config:
    """The registration file, loaded. Mutations are in memory until `save()`."""

    def __init__(self, path: Path, doc: Any, text: str) -> None:
        self.path = path
        self.doc = doc
        self._text = text

    # -- reading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | None = None,
             warn: Callable[[str], None] | None = None) -> Config:
        import tomlkit
        from tomlkit.exceptions import ParseError

        path = path or home() / FILENAME
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path, tomlkit.document(), "")
        except OSError as e:
            raise ConfigError(f"{path}: cannot read the registration file: {e.strerror}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: the registration file is not UTF-8 text; fix or move it "
                              "(it was left untouched)") from None
        _tighten(path, warn)
        try:
            doc = tomlkit.parse(text)
        except ParseError as e:
            reason = str(e).split(" at line ")[0]
            raise ConfigError(f"{_where(path, e.line)}: the registration file is not valid TOML "
                              f"({reason}); fix that line (the file was left untouched)") from None
        config = cls(path, doc, text)
        config._check()
        return config

    def _line_of(self, pattern: str) -> int | None:
        rx = re.compile(pattern)
        for i, raw in enumerate(self._text.splitlines(), 1):
            if rx.search(raw):
                return i
        return None

    def _bad(self, pattern: str, message: str) -> ConfigError:
        where = _where(self.path, self._line_of(pattern))
        return ConfigError(f"{where}: {message}; fix it (the file was left untouched)")

    def _check(self) -> None:
        data = self.doc.unwrap()
        default = data.get("default")
        if default is not None and not isinstance(default, str):
            raise self._bad(r"^\s*default\s*=", "`default` must be a registration name")
        catchments = data.get("catchments", {})
        if not isinstance(catchments, dict):
            raise self._bad(r"^\s*catchments\s*=|^\s*\[\s*catchments\s*\]",
                            "`catchments` must be a table of registrations")
        for name, entry in catchments.items():
            header = rf"^\s*\[\s*catchments\.\"?{re.escape(name)}\"?\s*\]"
            if not isinstance(entry, dict):
                raise self._bad(header, f"[catchments.{name}] must be a table")
            if not isinstance(entry.get("url"), str) or not entry["url"].strip():
                raise self._bad(header, f"[catchments.{name}] needs url = \"http://…\"")
            for key in ("root", "key", "host", "id"):
                if key in entry and not isinstance(entry[key], str):
                    raise self._bad(rf"^\s*{key}\s*=", f"[catchments.{name}] {key} must be a string")
            headers = entry.get("headers", {})
            if not isinstance(headers, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
            ):
                raise self._bad(r"^\s*headers\s*=",
                                f"[catchments.{name}] headers must be {{ Name = \"value\" }} strings")

    @property
    def default(self) -> str | None:
        value = self.doc.get("default")
        return str(value) if value is not None else None

    def registrations(self) -> dict[str, Registration]:
        out = {}
        for name, entry in self.doc.unwrap().get("catchments", {}).items():
            out[name] = Registration(
                name=name, url=entry["url"].rstrip("/"),
                root=Path(entry["root"]).expanduser() if entry.get("root") else None,
                key=entry.get("key") or None, headers=dict(entry.get("headers", {})),
                host=entry.get("host") or None, id=entry.get("id") or None,
            )
        return out

    def get(self, name: str) -> Registration:
        regs = self.registrations()
        if name not in regs:
            known = ", ".join(sorted(regs)) or "none"
            raise CliError(f"no Catchment named {name!r} is registered (registered: {known})",
                           USAGE)
        return regs[name]

    def resolve(self, name: str | None = None) -> Registration:
        """`-c NAME`, else `DUCKSTRING_CATCHMENT`, else the default, else the only one."""
        regs = self.registrations()
        if not regs:
            raise CliError(f"no Catchment is registered; {HOW_TO_CREATE}", USAGE)
        chosen = name or CliSettings.from_env().catchment
        if chosen is None and self.default in regs:
            chosen = self.default
        if chosen is None:
            if len(regs) == 1:
                return next(iter(regs.values()))
            raise CliError(
                f"{len(regs)} Catchments are registered ({', '.join(sorted(regs))}) and none is "
                "the default; pick one with -c NAME or `duckstring catchment set-default NAME`",
                USAGE,
            )
        return self.get(chosen)

    # -- writing ---------------------------------------------------------------------------
    def check_new(self, name: str) -> None:
        """Refuse a name that is unusable or already registered."""
        if not NAME.match(name):
            raise CliError(f"{name!r} is not a usable name; use letters, digits, _ . - "
                           "(max 64)", USAGE)
        if name in self.registrations():
            raise CliError(f"a Catchment named {name!r} is already registered; pick another "
                           f"name or `duckstring catchment disconnect {name}` first", USAGE)

    def add(self, reg: Registration) -> None:
        import tomlkit

        self.check_new(reg.name)
        if "catchments" not in self.doc:
            self.doc["catchments"] = tomlkit.table(is_super_table=True)
        entry = tomlkit.table()
        entry["url"] = reg.url
        if reg.root is not None:
            entry["root"] = str(reg.root)
        if reg.id:
            entry["id"] = reg.id
        if reg.host:
            entry["host"] = reg.host
        if reg.key:
            entry["key"] = reg.key
        if reg.headers:
            headers = tomlkit.inline_table()
            headers.update(reg.headers)
            entry["headers"] = headers
        self.doc["catchments"][reg.name] = entry

    def remove(self, name: str) -> Registration:
        reg = self.get(name)
        del self.doc["catchments"][name]
        if self.default == name:
            del self.doc["default"]
        return reg

    def set_default(self, name: str) -> None:
        import tomlkit

        self.get(name)
        if "default" in self.doc:
            self.doc["default"] = name
            return
        # Put `default` above the tables (after any leading comments), where a reader looks.
        lines = tomlkit.dumps(self.doc).splitlines(keepends=True)
        at = next((i for i, raw in enumerate(lines) if raw.strip() and not raw.lstrip().startswith("#")),
                  len(lines))
        lines.insert(at, f"default = {tomlkit.string(name).as_string()}\n" + ("\n" if at < len(lines) else ""))
        self.doc = tomlkit.parse("".join(lines))

    def save(self) -> None:
        """Write through a temporary 0600 file renamed into place."""
        import tomlkit

        text = tomlkit.dumps(self.doc)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._text = text


def _tighten(path: Path, warn: Callable[[str], None] | None) -> None:
    """Keys live here: a file readable by group or others goes back to 0600."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return
    if mode & 0o077:
        try:
            os.chmod(path, 0o600)
        except OSError as e:
            raise ConfigError(f"{path} is mode {mode:04o} (readable by others) and cannot be "
                              f"set to 0600: {e.strerror}; fix its permissions") from None
        if warn is not None:
            warn(f"{path} was mode {mode:04o} (readable by others); it is now 0600")
