"""Scenario files for `duckstring simulate` (docs/simulate.md), parsed and validated.

Every problem is one line naming the file, the entry and what to do; a bad file reports all
its problems at once (`ScenarioError`, one line each), reading on past a bad entry.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duckstring import tomlfile
from duckstring.engine import RippleSpec, WindowRule, order_ripples
from duckstring.engine.errors import TopologyError, WindowError
from duckstring.engine.windows import WEEKDAYS, check_add
from duckstring.simulator.gcpause import gc_paused
from duckstring.times import DAY, parse_duration, parse_instant

DEFAULT_START = "2026-01-01T00:00:00Z"
CAP = 7 * DAY
VERBS = ("tap", "pulse", "wave", "tide", "remove", "wake", "force", "sleep", "kill", "clear",
         "budget", "deploy")

_KEYS = {
    "top": {"clock", "pond", "event"},
    "clock": {"start", "until"},
    "pond": {"name", "sources", "immediate_retries", "source_retries", "ripple", "window"},
    "ripple": {"name", "duration", "parents", "always_run", "fail", "unchanged"},
    "window": {"name", "start", "every", "duration", "on", "until"},
    "event": {"at", "do", "pond", "bound", "every", "upstream", "immediate_retries",
              "source_retries"},
}


# A scenario repeats a few durations thousands of times ("1s" on every Ripple).
_parse_duration = functools.lru_cache(maxsize=1024)(parse_duration)


class ScenarioError(ValueError):
    """A scenario that cannot be simulated; the message is the whole explanation, one line
    per problem."""


class _Skip(Exception):
    """The entry has a problem, already recorded: read on at the next entry."""


@dataclass(frozen=True)
class SimRipple:
    name: str
    duration: int
    parents: tuple[str, ...] = ()
    always_run: bool = False
    fail: frozenset[int] = frozenset()
    unchanged: bool = False

    @functools.cached_property
    def spec(self) -> RippleSpec:
        """The engine's view, made once: a graph of Ripples is deployed, and each simulated
        Duck's executor built, from the same specs."""
        return RippleSpec(self.name, self.parents, self.always_run)


@dataclass(frozen=True)
class SimPond:
    name: str
    sources: tuple[tuple[str, bool], ...]  # (name, required)
    ripples: tuple[SimRipple, ...]
    windows: tuple[WindowRule, ...] = ()
    immediate_retries: int = 0
    source_retries: int = 0


@dataclass(frozen=True)
class SimEvent:
    at: int  # ms from the clock's start
    do: str
    pond: str
    bound: int | None = None
    every: int | None = None  # wave only: at least this long between taps
    upstream: bool = False
    immediate_retries: int | None = None
    source_retries: int | None = None


@dataclass
class Scenario:
    start: int
    until: int | None
    ponds: list[SimPond] = field(default_factory=list)
    events: list[SimEvent] = field(default_factory=list)


class _Entry:
    """One table of the file, with the words an error should use to name it. A scenario can
    hold tens of thousands of tables, so `where` may be a function, called only to name a
    problem, and the checks cost little when there is none."""

    def __init__(self, problems: list[str], path: str, where: str | Callable[[], str],
                 kind: str, data: Any) -> None:
        self.problems, self.path, self.where, self.kind = problems, path, where, kind
        if not isinstance(data, dict):
            self.fail(f"must be a table, not {type(data).__name__}")
        self.data: dict[str, Any] = data
        if not data.keys() <= _KEYS[kind]:
            allowed = ", ".join(sorted(_KEYS[kind]))
            for key in data:
                if key not in _KEYS[kind]:
                    self.note(f"unknown key {key!r} (allowed: {allowed})")

    def note(self, what: str) -> None:
        """Record a problem and read on."""
        where = self.where if isinstance(self.where, str) else self.where()
        self.problems.append(f"{self.path}: {where}: {what}")

    def fail(self, what: str) -> None:
        """Record a problem that stops this entry."""
        self.note(what)
        raise _Skip

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        if key not in self.data:
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.fail(f"{key} must be {names}, not {value!r}")
        return value

    def require(self, key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in self.data:
            self.fail(f"missing required key {key!r}")
        return self.get(key, kind)

    def duration(self, key: str, default: int | None = None) -> int | None:
        raw = self.get(key, (str, int, float))
        if raw is None:
            return default
        try:
            ms = _parse_duration(raw) if isinstance(raw, str) else round(float(raw) * 1000)
        except ValueError as e:
            self.fail(f"{key}: {e}")
        if ms < 0:
            self.fail(f"{key} must not be negative")
        return ms

    def instant(self, key: str, day: int | None = None) -> int | None:
        raw = self.get(key, str)
        if raw is None:
            return None
        try:
            return parse_instant(raw, day)
        except ValueError as e:
            self.fail(f"{key}: {e}")
        raise AssertionError  # unreachable: fail() raises

    def count(self, key: str) -> int:
        n = self.get(key, int, 0)
        if n < 0:
            self.fail(f"{key} must be 0 or more")
        return int(n)


def load(path: str | Path) -> Scenario:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError(f"{p}: cannot read the scenario: {e.strerror}") from None
    return parse(text, str(p))


def parse(text: str, path: str = "<scenario>") -> Scenario:
    with gc_paused():
        return _parse(text, path)


def _parse(text: str, path: str) -> Scenario:
    try:
        raw = tomlfile.loads(text)
    except tomlfile.TomlSyntaxError as e:
        raise ScenarioError(f"{path}:{e.line}: not valid TOML: {e}; fix the line") from None
    problems: list[str] = []
    top = _Entry(problems, path, "top level", "top", raw)
    start, until = parse_instant(DEFAULT_START), None
    try:
        clock = _Entry(problems, path, "[clock]", "clock", top.get("clock", dict, {}))
        start = clock.instant("start") or start
        until = clock.duration("until")
    except _Skip:
        pass
    scenario = Scenario(start=start, until=until)

    raw_ponds = _list(top, "pond")
    known = {d["name"] for d in raw_ponds if isinstance(d, dict) and isinstance(d.get("name"), str)}
    shared: dict[Any, Any] = {}
    for i, data in enumerate(raw_ponds, 1):
        with contextlib.suppress(_Skip):
            scenario.ponds.append(_pond(problems, path, i, data, start, shared))
    if not raw_ponds and "pond" not in raw:
        problems.append(f"{path}: no [[pond]] entries; a scenario needs at least one Pond")
    _check_graph(problems, path, scenario.ponds, known)

    for i, data in enumerate(_list(top, "event"), 1):
        with contextlib.suppress(_Skip):
            scenario.events.append(_event(problems, path, i, data, known))
    if problems:
        raise ScenarioError("\n".join(problems))
    scenario.events.sort(key=lambda ev: ev.at)  # stable: same instant keeps file order
    return scenario


def _list(top: _Entry, key: str) -> list[Any]:
    try:
        return list(top.get(key, list, []))
    except _Skip:
        return []


def _pond(problems: list[str], path: str, i: int, data: Any, day: int,
          shared: dict[Any, Any]) -> SimPond:
    """One [[pond]]. Names are interned and equal Ripples (and equal lists of them) are one
    object across the scenario, kept in `shared`, as in a scenario built in code: the engine
    then finds names by identity, and a list of Ripples already ordered is not ordered again.
    A list of Ripple tables written exactly as one read before (the same `repr`: same keys,
    values and types) is that list again, without reading it twice."""
    entry = _Entry(problems, path, lambda: f"[[pond]] #{i}", "pond", data)
    name = sys.intern(entry.require("name", str))
    entry.where = lambda: f"[[pond]] {name!r}"
    sources = []
    for s in entry.get("sources", list, ()):
        if not isinstance(s, str) or not s.rstrip("?"):
            entry.fail(f"sources must be Pond names ('name' or 'name?'), not {s!r}")
        sources.append((sys.intern(s.rstrip("?")), not s.endswith("?")))
    tables = entry.get("ripple", list, ())
    key = ("tables", repr(tables))
    these: tuple[SimRipple, ...] | None = shared.get(key)
    bad = these is None and _ripples(problems, path, entry, name, tables, shared, key)
    windows: list[WindowRule] = []
    for j, wdata in enumerate(entry.get("window", list, ()), 1):
        if sources:
            entry.fail("has Sources, so it cannot have Windows (Windows are for Inlets only)")
        try:
            windows.append(_window(problems, path, name, j, wdata, day, windows))
        except _Skip:
            bad = True
    if bad:
        raise _Skip
    return SimPond(
        name=name,
        sources=tuple(sources),
        ripples=shared[key],
        windows=tuple(windows),
        immediate_retries=entry.count("immediate_retries"),
        source_retries=entry.count("source_retries"),
    )


def _ripples(problems: list[str], path: str, entry: _Entry, pond: str, tables: list[Any],
             shared: dict[Any, Any], key: tuple[str, str]) -> bool:
    """Read a Pond's Ripple tables into `shared[key]`; True when one had a problem."""
    bad = False
    ripples = []
    for j, rdata in enumerate(tables, 1):
        try:
            ripple = _ripple(problems, path, pond, j, rdata)
            ripples.append(shared.setdefault(ripple, ripple))
        except _Skip:
            bad = True
    if not ripples and not bad:
        entry.fail("has no [[pond.ripple]]; add at least one Ripple")
    if bad:
        return True
    these = tuple(ripples)
    if these not in shared:
        try:
            order_ripples(r.spec for r in these)
        except TopologyError as e:
            entry.fail(str(e))
        shared[these] = these
    shared[key] = shared[these]
    return False


def _ripple(problems: list[str], path: str, pond: str, j: int, data: Any) -> SimRipple:
    r = _Entry(problems, path, lambda: f"[[pond]] {pond!r} [[pond.ripple]] #{j}", "ripple", data)
    rname = sys.intern(r.require("name", str))
    r.where = lambda: f"[[pond]] {pond!r} ripple {rname!r}"
    fail = r.get("fail", list, ())
    if fail and not all(isinstance(n, int) and n >= 1 for n in fail):
        r.fail("fail must list attempt numbers (1, 2, …)")
    parents = r.get("parents", list, ())
    if parents and not set(map(type, parents)) <= {str}:
        r.fail("parents must list Ripple names")
    return SimRipple(
        name=rname,
        duration=r.duration("duration", 1000) or 0,
        parents=tuple(map(sys.intern, parents)),
        always_run=r.get("always_run", bool, False),
        fail=frozenset(fail),
        unchanged=r.get("unchanged", bool, False),
    )


def _window(problems: list[str], path: str, pond: str, j: int, data: Any, day: int,
            prior: list[WindowRule]) -> WindowRule:
    w = _Entry(problems, path, lambda: f"[[pond]] {pond!r} [[pond.window]] #{j}", "window", data)
    name = w.require("name", str)
    w.where = lambda: f"[[pond]] {pond!r} window {name!r}"
    every = w.duration("every")
    if not every:
        w.fail("needs every (a positive duration like 1d)")
    on = w.get("on", list)
    on_days = None
    if on is not None:
        upper = [str(d).upper() for d in on]
        bad = [d for d in upper if d not in WEEKDAYS]
        if bad or not upper:
            w.fail(f"on must list weekdays from {', '.join(WEEKDAYS)}")
        on_days = frozenset(WEEKDAYS.index(d) for d in upper)
    rule = WindowRule(
        name=name,
        start=w.instant("start", day) if "start" in w.data else day // DAY * DAY,
        every=every or 1,
        duration=w.duration("duration"),
        on_days=on_days,
        until=w.instant("until", day),
    )
    try:
        check_add(prior, rule)
    except WindowError as e:
        w.fail(str(e))
    return rule


def _check_graph(problems: list[str], path: str, ponds: list[SimPond], known: set[str]) -> None:
    """Duplicates, unknown or self Sources, and cycles; `known` names every [[pond]] entry,
    read or not, so a bad Pond does not make its Sinks' Sources unknown too."""
    by_name: dict[str, SimPond] = {}
    for p in ponds:
        if p.name in by_name:
            problems.append(f"{path}: [[pond]] {p.name!r} is declared twice")
        by_name[p.name] = p
    for p in ponds:
        for src, _ in p.sources:
            if src == p.name:
                problems.append(f"{path}: [[pond]] {p.name!r} lists itself as a Source")
            elif src not in known:
                problems.append(f"{path}: [[pond]] {p.name!r} names unknown Source {src!r}")
    state: dict[str, int] = {}

    trail: list[str] = []  # the Sources being visited, outermost first

    def visit(name: str) -> bool:
        """False once a cycle is reported (one is enough to fix first)."""
        if state.get(name) == 2 or name not in by_name:
            return True
        if state.get(name) == 1:
            cycle = " → ".join([*trail[trail.index(name):], name])
            problems.append(f"{path}: Sources form a cycle: {cycle}")
            return False
        state[name] = 1
        trail.append(name)
        for src, _ in by_name[name].sources:
            if src != name and not visit(src):
                return False
        trail.pop()
        state[name] = 2
        return True

    for p in ponds:
        if not visit(p.name):
            break


def _event(problems: list[str], path: str, i: int, data: Any, ponds: set[str]) -> SimEvent:
    e = _Entry(problems, path, lambda: f"[[event]] #{i}", "event", data)
    do = e.require("do", str)
    if do not in VERBS:
        e.fail(f"do = {do!r} is not one of {', '.join(VERBS)}")
    pond = e.require("pond", str)
    if pond not in ponds:
        e.fail(f"names unknown Pond {pond!r}")
    e.where = lambda: f"[[event]] #{i} ({do} {pond})"
    bound = e.duration("bound")
    if do == "tide" and not bound:
        e.fail("a tide needs bound (a positive duration like 10s)")
    every = e.duration("every")
    if "every" in e.data and not every:
        e.fail("every must be a positive duration like 10s")
    for key, verb in (("bound", "tide"), ("every", "wave"), ("upstream", "sleep")):
        if key in e.data and do != verb:
            e.fail(f"{key} applies to {verb} events only")
    if do != "budget" and ({"immediate_retries", "source_retries"} & e.data.keys()):
        e.fail("immediate_retries and source_retries apply to budget events only")
    return SimEvent(
        at=e.duration("at", 0) or 0,
        do=do,
        pond=pond,
        bound=bound,
        every=every,
        upstream=e.get("upstream", bool, False),
        immediate_retries=e.count("immediate_retries") if "immediate_retries" in e.data else None,
        source_retries=e.count("source_retries") if "source_retries" in e.data else None,
    )
