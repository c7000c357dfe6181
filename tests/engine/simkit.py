"""Shared helpers for the engine tests: build scenario TOML, run it on the virtual clock, and
read the outcome (all times in milliseconds from `clock.start`, as in `--json`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from duckstring.engine import NEVER
from duckstring.simulator import Simulation, parse
from duckstring.simulator.report import to_dict, to_json, to_text
from duckstring.times import parse_duration

S = 1000  # one second, in ms
DAY = 86_400_000


# -- building scenarios ----------------------------------------------------------------------
def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def _keys(**kw: Any) -> list[str]:
    return [f"{k} = {_value(v)}" for k, v in kw.items() if v is not None]


def ripple(name: str, duration: str = "1s", **kw: Any) -> str:
    """A `[[pond.ripple]]` table; keywords are its keys (`parents`, `fail`, `unchanged`, …)."""
    return "\n".join(["[[pond.ripple]]", *_keys(name=name, duration=duration, **kw)])


def window(name: str, start: str, every: str, **kw: Any) -> str:
    """A `[[pond.window]]` table; `on` and `until` as keywords."""
    return "\n".join(["[[pond.window]]", *_keys(name=name, start=start, every=every, **kw)])


def pond(name: str, *tables: str, sources: Iterable[str] = (), **kw: Any) -> str:
    """A `[[pond]]` with its Ripple and Window tables; `"X?"` in `sources` is optional."""
    head = _keys(name=name, sources=list(sources) or None, **kw)
    return "\n".join(["[[pond]]", *head, *tables])


def event(at: str, do: str, pond: str, **kw: Any) -> str:
    return "\n".join(["[[event]]", *_keys(at=at, do=do, pond=pond, **kw)])


def clock(until: str | None = None, start: str | None = None) -> str:
    return "\n".join(["[clock]", *_keys(start=start, until=until)])


def scenario(*parts: str) -> str:
    return "\n\n".join(parts) + "\n"


def chain(*spec: tuple[str, str], unchanged: Iterable[str] = ()) -> list[str]:
    """Ponds `(name, duration)` each reading the previous one, one Ripple each (named after
    the Pond, lower-case); Ponds in `unchanged` report no change after their first run."""
    out, prev = [], None
    marked = set(unchanged)
    for name, duration in spec:
        r = ripple(name.lower(), duration, unchanged=True if name in marked else None)
        out.append(pond(name, r, sources=[prev] if prev else ()))
        prev = name
    return out


# -- running and reading ---------------------------------------------------------------------
@dataclass
class Outcome:
    """A finished simulation and its `--json` document."""

    sim: Simulation
    doc: dict[str, Any]

    def runs(self, pond: str, status: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.doc["ponds"][pond]["runs"] if status is None or r["status"] == status]

    def count(self, pond: str, status: str | None = None) -> int:
        return len(self.runs(pond, status))

    def fs(self, pond: str, status: str | None = None) -> list[int | None]:
        """The freshness of each run of `pond`, in start order."""
        return [r["f"] for r in self.runs(pond, status)]

    def completions(self, pond: str, after: int = 0) -> list[int]:
        """When `pond`'s runs completed (executed or passed), from `after` on, in order."""
        return sorted(
            r["finished"] for r in self.runs(pond)
            if r["status"] in ("success", "passed") and r["finished"] >= after
        )

    def attempts(self, pond: str, ripple: str) -> list[dict[str, Any]]:
        return list(self.doc["ponds"][pond]["ripples"][ripple])

    def executions(self, pond: str) -> int:
        """Ripple attempts the Ducks made for `pond` (a pass makes none)."""
        return sum(len(a) for a in self.doc["ponds"][pond]["ripples"].values())

    def final(self, pond: str) -> dict[str, Any]:
        return dict(self.doc["ponds"][pond]["final"])

    def state(self, pond: str) -> Any:
        """The engine's live `Pond` for `pond`."""
        return self.sim.engine.ponds[f"{pond}@1"]

    def text(self) -> str:
        return to_text(self.sim)

    def json(self) -> str:
        return to_json(self.sim)


def simulate(text: str, until: str | None = None) -> Outcome:
    horizon = parse_duration(until) if until is not None else None
    sim = Simulation(parse(text), until=horizon).run()
    return Outcome(sim, to_dict(sim))


def gaps(times: list[int]) -> list[int]:
    return [b - a for a, b in pairwise(times)]


def rel(sim: Simulation, f: int) -> int | None:
    """An absolute freshness as an offset from `clock.start` (None for NEVER)."""
    return None if f == NEVER else f - sim.scenario.start
