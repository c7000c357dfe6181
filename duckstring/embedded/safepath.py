"""The one check for a path named inside an untrusted archive (a deploy's zip, a downloaded
root's tar) before anything is written for it.

Refused: empty names, absolute paths, `..`, backslashes, drive letters, NUL; a name with a
part longer than a filesystem takes (`PART_BYTES`), or nesting deeper or longer than a
Pond project needs. Errors show at most the start of the name, so a huge one stays readable.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

PART_BYTES = 255  # what common filesystems take for one name
MAX_BYTES = 1024  # a whole entry of a project; a root archive adds ponds/NAME/VERSION/
MAX_DEPTH = 32
_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafePath(ValueError):
    """A name that must not become a path on disk."""


def shown(name: str, limit: int = 60) -> str:
    """`name` quoted for a message, cut when long."""
    return repr(name) if len(name) <= limit else repr(name[:limit]) + f"… ({len(name)} characters)"


def safe_parts(name: str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
               ) -> tuple[str, ...]:
    """The parts of the relative path `name`, or UnsafePath saying what is wrong with it."""
    if (not name or name.startswith("/") or "\\" in name or "\0" in name
            or _DRIVE.match(name)):
        raise UnsafePath(f"{shown(name)}: unsafe path; entries must stay inside the project")
    parts = tuple(p for p in PurePosixPath(name).parts if p != ".")
    if not parts or ".." in parts:
        raise UnsafePath(f"{shown(name)}: unsafe path; entries must stay inside the project")
    size = len(name.encode("utf-8", "surrogateescape"))
    if size > max_bytes:
        raise UnsafePath(f"{shown(name)}: the path is {size} bytes; the limit is {max_bytes}")
    if len(parts) > max_depth:
        raise UnsafePath(f"{shown(name)}: the path is {len(parts)} levels deep; "
                         f"the limit is {max_depth}")
    long = next((p for p in parts if len(p.encode("utf-8", "surrogateescape")) > PART_BYTES), None)
    if long is not None:
        raise UnsafePath(f"{shown(name)}: the name {shown(long, 30)} is over {PART_BYTES} bytes")
    return parts
