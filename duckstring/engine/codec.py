"""Engine state as plain JSON-ready dicts, so a Catchment can persist each changed line and
rebuild the whole engine at start (docs/operating.md §3). Pure: no I/O here."""

from __future__ import annotations

from typing import Any

from duckstring.engine import triggers
from duckstring.engine.engine import Engine
from duckstring.engine.freshness import Targets
from duckstring.engine.pond import Pond, Run, SourceRef, TideTrigger, Trigger, WaveTrigger
from duckstring.engine.ripples import RippleGraph, RippleSpec
from duckstring.engine.windows import WindowRule


def trigger_to_dict(t: Trigger | None) -> dict[str, Any] | None:
    if isinstance(t, WaveTrigger):
        return {"type": "wave", "every": t.every, "tapped": t.tapped} if t.every else {"type": "wave"}
    if isinstance(t, TideTrigger):
        return {"type": "tide", "bound": t.bound}
    return None


def trigger_from_dict(d: dict[str, Any] | None) -> Trigger | None:
    if not d:
        return None
    if d["type"] == "wave":
        tapped = d.get("tapped")
        return WaveTrigger(int(d.get("every") or 0), None if tapped is None else int(tapped))
    return TideTrigger(int(d["bound"]))


def window_to_dict(w: WindowRule) -> dict[str, Any]:
    return {
        "name": w.name, "start": w.start, "every": w.every, "duration": w.duration,
        "on_days": sorted(w.on_days) if w.on_days is not None else None, "until": w.until,
    }


def window_from_dict(d: dict[str, Any]) -> WindowRule:
    on = d.get("on_days")
    return WindowRule(
        name=d["name"], start=int(d["start"]), every=int(d["every"]), duration=d.get("duration"),
        on_days=frozenset(on) if on is not None else None, until=d.get("until"),
    )


def pond_to_dict(p: Pond) -> dict[str, Any]:
    return {
        "line": p.line,
        "sources": [[s.line, s.required] for s in p.sources],
        "ripples": [
            {
                "name": r.name, "parents": list(r.parents), "always_run": r.spec.always_run,
                "start_f": r.start_f, "end_f": r.end_f, "has_pull": r.has_pull,
                "pull_sent": r.pull_sent, "primed": r.primed, "targets": r.targets.as_list(), "running": r.running,
            }
            for r in p.graph
        ],
        "start_f": p.start_f, "end_f": p.end_f, "changed_f": p.changed_f, "d": p.d,
        "optional_read": dict(p.optional_read),
        "has_pull": p.has_pull, "wake": p.wake, "forcing": p.forcing,
        "code_changed": p.code_changed, "targets": p.targets.as_list(),
        "trigger": trigger_to_dict(p.trigger),
        "trigger_removed": list(p.trigger_removed) if p.trigger_removed else None,
        "windows": [window_to_dict(w) for w in p.windows],
        "immediate_retries": p.immediate_retries, "source_retries": p.source_retries,
        "is_failed": p.is_failed, "failed_f": p.failed_f, "failures": p.failures,
        "is_blocked": p.is_blocked, "is_killed": p.is_killed, "error": p.error,
        "runs": [[run.f, run.retries_left] for run in p.runs.values()],
        "runs_started": p.runs_started, "runs_completed": p.runs_completed,
    }


def pond_from_dict(d: dict[str, Any]) -> Pond:
    graph = RippleGraph(
        RippleSpec(r["name"], tuple(r["parents"]), bool(r["always_run"])) for r in d["ripples"]
    )
    for r in d["ripples"]:
        node = graph[r["name"]]
        node.start_f, node.end_f = int(r["start_f"]), int(r["end_f"])
        node.has_pull, node.pull_sent = bool(r["has_pull"]), bool(r.get("pull_sent", False))
        node.primed = bool(r.get("primed", False))
        node.targets, node.running = Targets(r["targets"]), bool(r["running"])
    p = Pond(d["line"], tuple(SourceRef(line, bool(req)) for line, req in d["sources"]), graph)
    p.start_f = int(d["start_f"])
    p.end_f, p.changed_f, p.d = int(d["end_f"]), int(d["changed_f"]), int(d["d"])
    p.optional_read = {line: int(f) for line, f in d.get("optional_read", {}).items()}
    p.has_pull, p.wake, p.forcing = bool(d["has_pull"]), bool(d["wake"]), bool(d["forcing"])
    p.code_changed = bool(d["code_changed"])
    p.targets = Targets(d["targets"])
    p.trigger = trigger_from_dict(d["trigger"])
    removed = d.get("trigger_removed")
    p.trigger_removed = (str(removed[0]), int(removed[1])) if removed else None
    p.windows = [window_from_dict(w) for w in d["windows"]]
    p.immediate_retries, p.source_retries = int(d["immediate_retries"]), int(d["source_retries"])
    p.is_failed, p.failed_f, p.failures = bool(d["is_failed"]), int(d["failed_f"]), int(d["failures"])
    p.is_blocked, p.is_killed, p.error = bool(d["is_blocked"]), bool(d["is_killed"]), d["error"]
    p.runs = {int(f): Run(int(f), int(left)) for f, left in d["runs"]}
    p.runs_started, p.runs_completed = int(d["runs_started"]), int(d["runs_completed"])
    return p


def restore(states: list[dict[str, Any]]) -> Engine:
    """An engine holding exactly these lines, with Sink edges and clock watches rebuilt."""
    eng = Engine()
    for d in states:
        p = pond_from_dict(d)
        eng.ponds[p.line] = p
        for s in p.sources:
            eng.sinks.setdefault(s.line, set()).add(p.line)
    for p in eng.ponds.values():
        if p.is_inlet or triggers.on_clock(p):
            eng.watch_clock(p)
        eng.touch(p)
    eng.take_changed()
    return eng
