"""The status document (docs/http-api.md `GET /api/status`): every line's state in one JSON object,
built from the engine under the coordinator's lock."""

from __future__ import annotations

from typing import Any

from duckstring.embedded.coordinator import Coordinator
from duckstring.engine import NEVER, Pond, TideTrigger, WaveTrigger, split_line
from duckstring.engine import status as derive
from duckstring.engine.codec import window_to_dict
from duckstring.times import iso


def when(ms: int | None) -> str | None:
    return None if ms is None or ms == NEVER else iso(ms)


def trigger_doc(p: Pond) -> dict[str, Any] | None:
    if isinstance(p.trigger, WaveTrigger):
        paced = {"every_s": p.trigger.every / 1000} if p.trigger.every else {}
        return {"type": "wave", **paced}
    if isinstance(p.trigger, TideTrigger):
        return {"type": "tide", "bound_s": p.trigger.bound / 1000}
    return None


def window_doc(w: Any) -> dict[str, Any]:
    d = window_to_dict(w)
    return {
        "name": d["name"], "start": iso(d["start"]), "every_s": d["every"] / 1000,
        "duration_s": (d["duration"] if d["duration"] is not None else d["every"]) / 1000,
        "on_days": d["on_days"], "until": when(d["until"]),
    }


def pond_doc(co: Coordinator, p: Pond, now: int) -> dict[str, Any]:
    name, major = split_line(p.line)
    sel = co.selected.get(p.line)
    stale = derive.staleness(p, now)
    return {
        "id": p.line, "name": name, "major": major,
        "version": sel.version if sel else None,
        "kind": sel.kind if sel else ("inlet" if p.is_inlet else "pond"),
        "status": derive.status(p),
        "start_f": when(p.start_f), "end_f": when(p.end_f), "changed_f": when(p.changed_f),
        "staleness_s": None if stale is None else stale / 1000,
        "has_pull": p.has_pull, "targets": [when(t) for t in p.targets],
        "trigger": trigger_doc(p),
        "windows": [window_doc(w) for w in p.windows],
        "is_failed": p.is_failed, "is_blocked": p.is_blocked, "is_killed": p.is_killed,
        "failed_f": when(p.failed_f), "failures": p.failures,
        "immediate_retries": p.immediate_retries, "source_retries": p.source_retries,
        "error": p.error,
        "blocked_by": derive.blocked_by(co.engine, p) if p.is_blocked else [],
        "missing_sources": derive.missing_sources(co.engine, p),
        "sources": [{"id": s.line, "required": s.required} for s in p.sources],
        "runs_started": p.runs_started, "runs_completed": p.runs_completed,
        "ripples": [
            {
                "name": r.name, "parents": list(r.parents), "always_run": r.spec.always_run,
                "start_f": when(r.start_f), "end_f": when(r.end_f), "has_pull": r.has_pull,
                "targets": [when(t) for t in r.targets], "running": r.running,
                "status": "running" if r.running else ("queued" if r.targets else "idle"),
            }
            for r in p.graph
        ],
        "ripple_edges": [[parent, r.name] for r in p.graph for parent in r.parents],
        "duck": co.supervisor.running_where(p.line),
    }


def build(co: Coordinator, *, lines: set[str] | None = None) -> dict[str, Any]:
    with co.lock:
        now = co.clock()
        ponds = [
            pond_doc(co, p, now)
            for line, p in sorted(co.engine.ponds.items(), key=lambda kv: split_line(kv[0]))
            if lines is None or line in lines
        ]
        edges = [
            [s.line, p.line]
            for p in co.engine.ponds.values()
            for s in p.sources
            if s.line in co.engine.ponds and (lines is None or p.line in lines)
        ]
        return {"version": co.version, "now": iso(now), "ponds": ponds, "edges": sorted(edges)}


def lineage(co: Coordinator, line: str) -> set[str]:
    """`line` and every line upstream of it."""
    with co.lock:
        p = co.engine.pond(line)
        return {line, *(a.line for a in co.engine.ancestors(p))}
