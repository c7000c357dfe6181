"""Semantic versions (semver.org 2.0): `MAJOR.MINOR.PATCH[-prerelease][+build]`, ordered the
SemVer way (a prerelease sorts before its release; build metadata is ignored).

A version names a directory of the Catchment root and its major is a database integer, so on
top of SemVer's grammar a version is at most `MAX_LENGTH` characters and each number is below
2^63 — the one place every version (pond.toml, Source pins) is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()
    text: str = ""

    def __str__(self) -> str:
        return self.text or f"{self.major}.{self.minor}.{self.patch}"

    def _key(self) -> tuple[object, ...]:
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        # a release sorts after all of its prereleases
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


MAX_LENGTH = 128
MAX_NUMBER = (1 << 63) - 1


def parse(text: str) -> Version:
    """Parse a SemVer string; ValueError with a fix when it is not one."""
    clean = str(text).strip()
    shown = repr(clean) if len(clean) <= 40 else repr(clean[:40]) + "…"
    if len(clean) > MAX_LENGTH:
        raise ValueError(f"{shown} is {len(clean)} characters long; a version has at most "
                         f"{MAX_LENGTH} (shorten its prerelease or build part)")
    m = _SEMVER.match(clean)
    if not m:
        raise ValueError(f"{shown} is not a semantic version; use MAJOR.MINOR.PATCH like 1.2.0")
    major, minor, patch = (int(m.group(i)) for i in (1, 2, 3))
    if max(major, minor, patch) > MAX_NUMBER:
        raise ValueError(f"{shown}: MAJOR, MINOR and PATCH must each be below 2^63")
    pre = tuple(m.group(4).split(".")) if m.group(4) else ()
    return Version(major, minor, patch, pre, clean)
