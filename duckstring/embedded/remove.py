"""Retiring a line (`pond remove`, `DELETE /api/ponds/{name}?major=`).

1. Under the coordinator's lock, in one step: the engine takes the line out of the graph
   (`RemoveLine`: runs in flight end killed, its Sinks see a missing Source and are blocked),
   its selection goes, and with `wipe` its versions too. Run history stays.
2. Its Duck is stopped: it can no longer reach the line.
3. With `wipe`, its folders go: every version of that major, and the line's data, registry
   and ledger (`ponds/{name}/m{major}/`).

`plan` says all of that before anything happens (`?dry_run=true`), so the CLI can ask first.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duckstring.embedded import status_document
from duckstring.embedded.domain_errors import Conflict
from duckstring.embedded.store import versions
from duckstring.engine import events, line_id, split_line

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment


def pick_line(c: Catchment, name: str, major: int | None) -> str:
    """The line to remove: `major`, or the only one; never a guess between several."""
    from duckstring.embedded.domain_errors import NotFound

    majors = sorted(split_line(line)[1] for line in c.coordinator.selected
                    if split_line(line)[0] == name)
    if not majors:
        raise NotFound(f"no Pond named {name!r} is deployed")
    if major is None:
        if len(majors) > 1:
            listed = ", ".join(f"{name}@{m}" for m in majors)
            raise Conflict(f"{name} has {len(majors)} live majors ({listed}); name one "
                           "with ?major=")
        major = majors[0]
    if major not in majors:
        raise NotFound(f"{name} has no major {major}; deployed majors: {majors}")
    return line_id(name, major)


def _bytes(paths: list[Path]) -> int:
    total = 0
    for top in paths:
        if top.is_file():
            total += top.stat().st_size
        elif top.is_dir():
            total += sum(f.stat().st_size for f in top.rglob("*") if f.is_file())
    return total


def _wiped_paths(c: Catchment, line: str, kept: list[str]) -> list[Path]:
    name, major = split_line(line)
    return [*(c.layout.version_dir(name, v) for v in kept), c.layout.line_dir(name, major)]


def plan(c: Catchment, line: str, wipe: bool) -> dict[str, Any]:
    co = c.coordinator
    name, major = split_line(line)
    with co.lock:
        p = co.engine.pond(line)
        doc = status_document.pond_doc(co, p, co.clock())
        sinks = sorted(s.line for s in co.engine.sinks_of(line))
        required_by = sorted(s.line for s in co.engine.sinks_of(line)
                             if any(src.line == line and src.required for src in s.sources))
    with c.store.transaction() as conn:
        kept = [v.version for v in versions.of_pond(conn, name) if v.major == major]
    return {
        "pond": line, "status": doc["status"], "running": p.busy, "trigger": doc["trigger"],
        "windows": len(p.windows), "duck": line in c.supervisor.live_lines(),
        "sinks": sinks, "blocks": required_by, "versions": kept, "wipe": wipe,
        "bytes": _bytes(_wiped_paths(c, line, kept)) if wipe else 0,
    }


def remove(c: Catchment, line: str, wipe: bool) -> dict[str, Any]:
    out = plan(c, line, wipe)
    name, major = split_line(line)
    co = c.coordinator
    with co.lock:

        def record(conn: Any, now: int) -> None:
            versions.unselect(conn, name, major)
            if wipe:
                versions.delete_major(conn, name, major)

        co.apply(events.RemoveLine(line), record=record)
        co.selected.pop(line, None)
    out["duck_stopped"] = c.supervisor.retire(line)
    if wipe:
        for path in _wiped_paths(c, line, out["versions"]):
            shutil.rmtree(path, ignore_errors=True)
        pond_dir = c.layout.pond(name)
        if pond_dir.is_dir() and not any(pond_dir.iterdir()):
            pond_dir.rmdir()
    out["removed"] = True
    return out
