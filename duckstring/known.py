"""The Ponds the command line has seen on each registration, for shell completion.

`{home}/completion/{registration}.ponds` holds one word a line: every deployed `name` and
`name@major`. Commands that read the status document or deploy refresh it; the static
completion scripts only read these files, so pressing Tab never starts Python or calls a
Catchment. A write that fails is ignored: completion is a convenience.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

from duckstring.lines import pond_name

_written: dict[Path, frozenset[str]] = {}  # what this process last wrote, per file (a
# registration name alone is not enough: the same name under another home is another file)


def path(registration: str) -> Path:
    from duckstring.config import home

    return home() / "completion" / f"{registration}.ponds"


def _words(lines: Iterable[str]) -> set[str]:
    out = set()
    for line in lines:
        out.add(line)
        out.add(pond_name(line))
    return out


def read(registration: str) -> set[str]:
    try:
        return set(path(registration).read_text(encoding="utf-8").split())
    except OSError:
        return set()


def remember(registration: str, lines: Iterable[str], *, complete: bool) -> None:
    """Record deployed lines; `complete` says `lines` is every line (else they are added)."""
    words = _words(lines)
    if not complete:
        words |= _written.get(path(registration)) or read(registration)
    _write(registration, words)


def forget(registration: str, line: str) -> None:
    name = pond_name(line)
    words = (_written.get(path(registration)) or read(registration)) - {line}
    if not any(w.startswith(f"{name}@") for w in words):
        words.discard(name)
    _write(registration, words)


def _write(registration: str, words: set[str]) -> None:
    frozen = frozenset(words)
    target = path(registration)
    if _written.get(target) == frozen:
        return
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text("".join(f"{w}\n" for w in sorted(frozen)), encoding="utf-8")
        tmp.replace(target)
        _written[target] = frozen
