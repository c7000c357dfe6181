"""`pond.toml`: parsing and validation (docs/authoring.md).

Every problem names the file, the line, the key and the fix; a `ManifestError` carries all of
them so a deploy can list every problem at once.

```toml
[pond]
name = "sales"             # required; [a-z][a-z0-9_]* (max 64)
version = "1.2.0"          # required; SemVer
type = "pond"              # inlet | pond | outlet (default pond)
immediate_retries = 1      # default 0; seeds the live budget on the first deploy only
source_retries = 2         # default 0; likewise
ripples = "src/pond.py"    # default
puddles = "src/puddles.py" # default

[sources]
transactions = "1.0.0"     # consume major 1, at least 1.0.0, required
products = "1.1.0?"        # trailing ? = optional
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from duckstring import semver, tomlfile
from duckstring.lines import line_id

NAME_MAX = 64
NAME = re.compile(rf"^[a-z][a-z0-9_]{{0,{NAME_MAX - 1}}}$")  # a Pond name, wherever it arrives
KINDS = ("inlet", "pond", "outlet")
POND_KEYS = ("name", "version", "type", "immediate_retries", "source_retries", "ripples", "puddles")
FILENAME = "pond.toml"


class _Line:
    """A name and a version make a line, `name@major` (engine.line_id; spelled out here so
    reading a pond.toml does not import the engine)."""

    name: str
    version: semver.Version

    @property
    def major(self) -> int:
        return self.version.major

    @property
    def line(self) -> str:
        return line_id(self.name, self.major)


@dataclass(frozen=True)
class SourcePin(_Line):
    name: str
    version: semver.Version  # the minimum compatible version of its major
    required: bool = True


@dataclass(frozen=True)
class Manifest(_Line):
    name: str
    version: semver.Version
    kind: str = "pond"
    immediate_retries: int = 0
    source_retries: int = 0
    ripples: str = "src/pond.py"
    puddles: str = "src/puddles.py"
    sources: tuple[SourcePin, ...] = ()

    def source(self, name: str) -> SourcePin | None:
        return next((s for s in self.sources if s.name == name), None)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}"


@dataclass
class ManifestError(ValueError):
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class _Checker:
    def __init__(self, text: str, path: str) -> None:
        self.lines = text.splitlines()
        self.path = path
        self.problems: list[Problem] = []

    def line_of(self, table: str | None, key: str | None = None) -> int | None:
        """Best-effort line number of `key` inside `[table]` (or of the table header)."""
        current: str | None = None
        header = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")
        for i, raw in enumerate(self.lines, 1):
            m = header.match(raw)
            if m:
                current = m.group(1)
                if key is None and current == table:
                    return i
                continue
            if key is not None and current == table and re.match(
                rf'^\s*"?{re.escape(key)}"?\s*=', raw
            ):
                return i
        return None

    def add(self, table: str | None, key: str | None, label: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.line_of(table, key), label, message))


def parse(text: str, path: str = FILENAME) -> Manifest:
    check = _Checker(text, path)
    try:
        data = tomlfile.loads(text)
    except tomlfile.TomlSyntaxError as e:
        raise ManifestError([Problem(path, e.line, "syntax", f"not valid TOML ({e}); fix the line")]) from None

    for key in data:
        if key not in ("pond", "sources"):
            check.add(key, None, f"[{key}]", "unknown table; a pond.toml has only [pond] and [sources]")
    pond = data.get("pond")
    if not isinstance(pond, dict):
        check.add(None, None, "[pond]", 'missing; add a [pond] table with name and version')
        raise ManifestError(check.problems)
    for key in pond:
        if key not in POND_KEYS:
            check.add("pond", key, f"[pond] {key}", f"unknown key; allowed: {', '.join(POND_KEYS)}")

    name = pond.get("name")
    if name is None:
        check.add("pond", None, "[pond] name", 'missing; add name = "my_pond"')
    elif not isinstance(name, str) or not NAME.match(name) or len(name) > NAME_MAX:
        check.add("pond", "name", "[pond] name",
                  f"{name!r} is not a valid name; use lowercase letters, digits and _ "
                  f"starting with a letter (max {NAME_MAX})")
    version = None
    raw_version = pond.get("version")
    if raw_version is None:
        check.add("pond", None, "[pond] version", 'missing; add version = "0.1.0"')
    else:
        try:
            version = semver.parse(str(raw_version)) if isinstance(raw_version, str) else None
            if version is None:
                raise ValueError(f"{raw_version!r} must be a string like \"1.2.0\"")
        except ValueError as e:
            check.add("pond", "version", "[pond] version", str(e))
    kind = pond.get("type", "pond")
    if kind not in KINDS:
        check.add("pond", "type", "[pond] type", f"{kind!r} is not one of {', '.join(KINDS)}")
    budgets = {}
    for key in ("immediate_retries", "source_retries"):
        value = pond.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            check.add("pond", key, f"[pond] {key}", f"{value!r} must be a whole number ≥ 0")
            value = 0
        budgets[key] = value
    paths = {}
    for key, default in (("ripples", "src/pond.py"), ("puddles", "src/puddles.py")):
        value = pond.get(key, default)
        pure = PurePosixPath(value) if isinstance(value, str) else None
        if pure is None or pure.is_absolute() or ".." in pure.parts or not value.endswith(".py"):
            check.add("pond", key, f"[pond] {key}",
                      f"{value!r} must be a relative path to a .py file inside the project")
            value = default
        paths[key] = value

    sources: list[SourcePin] = []
    raw_sources = data.get("sources", {})
    if not isinstance(raw_sources, dict):
        check.add("sources", None, "[sources]", "must be a table of name = \"X.Y.Z\" entries")
        raw_sources = {}
    for src, pin in raw_sources.items():
        label = f"[sources] {src}"
        if not NAME.match(src) or len(src) > NAME_MAX:
            check.add("sources", src, label, "is not a valid Pond name")
            continue
        if src == name:
            check.add("sources", src, label, "a Pond cannot be its own Source; remove this line")
            continue
        if not isinstance(pin, str):
            check.add("sources", src, label, f'{pin!r} must be a version string like "1.0.0" or "1.0.0?"')
            continue
        required = not pin.endswith("?")
        try:
            sources.append(SourcePin(src, semver.parse(pin.rstrip("?")), required))
        except ValueError as e:
            check.add("sources", src, label, f"{e} (add ? for an optional Source)")
    if kind == "inlet" and raw_sources:
        check.add("sources", None, "[sources]",
                  'an inlet has no Sources; remove [sources] or set type = "pond"')

    if check.problems:
        raise ManifestError(check.problems)
    assert isinstance(name, str) and version is not None
    return Manifest(
        name=name, version=version, kind=str(kind),
        immediate_retries=budgets["immediate_retries"], source_retries=budgets["source_retries"],
        ripples=paths["ripples"], puddles=paths["puddles"], sources=tuple(sources),
    )


def load(project: str | Path) -> Manifest:
    """Read `pond.toml` from a project directory (or the file itself)."""
    path = Path(project)
    if path.is_dir():
        path = path / FILENAME
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ManifestError([Problem(str(path), None, "file", f"cannot read it: {e.strerror}")]) from None
    return parse(text, str(path))
