"""Rendering a finished simulation: the human timeline and summary, or the JSON document of
docs/simulate.md (every time in milliseconds from `clock.start`; `null` = never)."""

from __future__ import annotations

import itertools
import json
import statistics
from collections.abc import Callable
from typing import Any

from duckstring.engine import NEVER
from duckstring.engine.explain import explain
from duckstring.engine.status import status
from duckstring.simulator.runner import Simulation, line_of, name_of
from duckstring.times import format_duration, format_offset


def _rel(sim: Simulation, f: int) -> int | None:
    return None if f == NEVER else f - sim.scenario.start


def _offset(sim: Simulation) -> Callable[[int], str]:
    """Times in a simulation's words: an offset from its clock's start."""
    return lambda ms: format_offset(ms - sim.scenario.start)


def to_dict(sim: Simulation) -> dict[str, Any]:
    ponds: dict[str, Any] = {}
    for p in sim.scenario.ponds:
        state = sim.engine.ponds[line_of(p.name)]
        ponds[p.name] = {
            "runs": [
                {"f": _rel(sim, r.f), "started": r.started, "finished": r.finished,
                 "status": r.status}
                for r in sim.timeline.runs[p.name]
            ],
            "ripples": {
                ripple: [
                    {"f": _rel(sim, a.f), "attempt": a.attempt, "started": a.started,
                     "finished": a.finished, "status": a.status}
                    for a in attempts
                ]
                for ripple, attempts in sim.timeline.attempts[p.name].items()
            },
            "final": {
                "why": [r.render(name_of, _offset(sim))
                        for r in explain(sim.engine, state.line).reasons],
                "start_f": _rel(sim, state.start_f),
                "end_f": _rel(sim, state.end_f),
                "changed_f": _rel(sim, state.changed_f),
                "status": status(state),
                "is_failed": state.is_failed,
                "is_blocked": state.is_blocked,
                "is_killed": state.is_killed,
            },
        }
    return {"until": sim.horizon, "settled_at": sim.settled_at, "ponds": ponds}


def to_json(sim: Simulation) -> str:
    return json.dumps(to_dict(sim), indent=2)


def cadence(sim: Simulation, pond: str) -> int | None:
    """Median interval between completions in the last half of the simulation."""
    end = sim.settled_at if sim.settled_at is not None else sim.now
    done = sorted(
        r.finished for r in sim.timeline.runs[pond]
        if r.finished is not None and r.status in ("success", "passed") and r.finished >= end / 2
    )
    gaps = [b - a for a, b in itertools.pairwise(done)]
    return round(statistics.median(gaps)) if gaps else None


def summary_rows(sim: Simulation) -> list[list[str]]:
    rows = [["pond", "runs", "executed", "passed", "failed", "end_f", "status", "cadence"]]
    for p in sim.scenario.ponds:
        runs = sim.timeline.runs[p.name]
        state = sim.engine.ponds[line_of(p.name)]
        end_f = _rel(sim, state.end_f)
        every = cadence(sim, p.name)
        rows.append([
            p.name,
            str(len(runs)),
            str(sum(r.executed for r in runs)),
            str(sum(r.status == "passed" for r in runs)),
            str(sum(r.status == "failed" for r in runs)),
            "never" if end_f is None else format_offset(end_f),
            status(state),
            "—" if every is None else format_duration(every),
        ])
    return rows


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip() for row in rows]


def to_text(sim: Simulation) -> str:
    names = [p.name for p in sim.scenario.ponds]
    name_w = max(len(n) for n in names)
    times = [format_offset(t) for t, _, _ in sim.timeline.lines]
    time_w = max((len(t) for t in times), default=0)
    out = [
        f"{t.rjust(time_w)}  {pond.ljust(name_w)}  {text}"
        for t, (_, pond, text) in zip(times, sim.timeline.lines, strict=False)
    ]
    if not out:
        out.append("(nothing ran)")
    out.append("")
    out.extend(_table(summary_rows(sim)))
    out.append("")
    for p in sim.scenario.ponds:  # why each Pond that did not come to rest is where it is
        line = line_of(p.name)
        if status(sim.engine.ponds[line]) != "idle":
            out.append(f"{p.name.ljust(name_w)}  {explain(sim.engine, line).render(name_of, _offset(sim))}")
    if out[-1]:
        out.append("")
    if sim.settled_at is not None:
        out.append(f"settled at {format_offset(sim.settled_at)}")
    else:
        out.append(f"still active at {format_offset(sim.horizon)} (not settled)")
    return "\n".join(out) + "\n"
