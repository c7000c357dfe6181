"""Hypothesis strategies: random Pond graphs and event sequences, written as scenario TOML."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from tests.engine.simkit import clock, event, pond, ripple, scenario, window


@dataclass
class RippleDraw:
    name: str
    duration: int  # seconds
    parents: list[str]
    fail: list[int] = field(default_factory=list)
    unchanged: bool = False
    always_run: bool = False

    def toml(self) -> str:
        return ripple(
            self.name, f"{self.duration}s", parents=self.parents or None,
            fail=self.fail or None, unchanged=self.unchanged or None,
            always_run=self.always_run or None,
        )


@dataclass
class PondDraw:
    name: str
    sources: list[tuple[str, bool]]  # (name, required)
    ripples: list[RippleDraw]
    immediate_retries: int = 0
    source_retries: int = 0
    window: tuple[int, int, int] | None = None  # (offset, every, duration) in seconds

    @property
    def depth(self) -> int:
        """Ripples on the longest path through the Pond."""
        depth: dict[str, int] = {}
        for r in self.ripples:  # drawn in topological order
            depth[r.name] = 1 + max((depth[p] for p in r.parents), default=0)
        return max(depth.values())

    def toml(self) -> str:
        windows = []
        if self.window is not None:
            offset, every, duration = self.window
            windows.append(window("w", f"2026-01-01T00:00:{offset:02d}Z", f"{every}s",
                                  duration=f"{duration}s"))
        return pond(
            self.name, *(r.toml() for r in self.ripples), *windows,
            sources=[s if req else f"{s}?" for s, req in self.sources],
            immediate_retries=self.immediate_retries or None,
            source_retries=self.source_retries or None,
        )


@st.composite
def ripples(draw: st.DrawFn, prefix: str, *, faults: bool, passes: bool,
            max_ripples: int = 3, max_duration: int = 4) -> list[RippleDraw]:
    out: list[RippleDraw] = []
    for i in range(draw(st.integers(1, max_ripples))):
        names = [r.name for r in out]
        parents = draw(st.lists(st.sampled_from(names), unique=True, max_size=2)) if names else []
        out.append(RippleDraw(
            name=f"{prefix}{i}",
            duration=draw(st.integers(1, max_duration)),
            parents=sorted(parents),
            fail=sorted(draw(st.sets(st.integers(1, 6), max_size=2))) if faults else [],
            unchanged=draw(st.booleans()) if passes else False,
            always_run=draw(st.integers(0, 5)) == 0 if passes else False,
        ))
    return out


@st.composite
def graphs(draw: st.DrawFn, *, min_ponds: int = 1, max_ponds: int = 5, faults: bool = False,
           passes: bool = False, optional: bool = True, windows: bool = False) -> list[PondDraw]:
    """A random DAG of Ponds: each may read any earlier Pond, required or optional."""
    out: list[PondDraw] = []
    for i in range(draw(st.integers(min_ponds, max_ponds))):
        name = f"P{i}"
        earlier = [p.name for p in out]
        chosen = draw(st.lists(st.sampled_from(earlier), unique=True, max_size=3)) if earlier else []
        sources = [(s, draw(st.booleans()) if optional else True) for s in sorted(chosen)]
        if sources and not any(req for _, req in sources) and draw(st.booleans()):
            sources[0] = (sources[0][0], True)
        out.append(PondDraw(
            name=name,
            sources=sources,
            ripples=draw(ripples(name.lower() + "r", faults=faults, passes=passes)),
            immediate_retries=draw(st.integers(0, 2)) if faults else 0,
            source_retries=draw(st.integers(0, 2)) if faults else 0,
            window=draw(_windows()) if windows and not sources else None,
        ))
    return out


@st.composite
def _windows(draw: st.DrawFn) -> tuple[int, int, int] | None:
    if draw(st.booleans()):
        return None
    every = draw(st.integers(2, 20))
    return draw(st.integers(0, 30)), every, draw(st.integers(1, every))


@dataclass
class EventDraw:
    at: int  # ms
    do: str
    pond: str
    bound: int | None = None
    upstream: bool = False

    def toml(self) -> str:
        return event(
            f"{self.at}ms", self.do, self.pond,
            bound=f"{self.bound}ms" if self.bound is not None else None,
            upstream=True if self.upstream else None,
            source_retries=1 if self.do == "budget" else None,
        )


ALL_VERBS = ("tap", "pulse", "wave", "tide", "remove", "wake", "force", "sleep", "kill", "clear",
             "budget")


@st.composite
def event_lists(draw: st.DrawFn, ponds: list[str], verbs: tuple[str, ...] = ALL_VERBS,
                max_events: int = 8, last_at: int = 30_000) -> list[EventDraw]:
    out = []
    for _ in range(draw(st.integers(1, max_events))):
        do = draw(st.sampled_from(verbs))
        out.append(EventDraw(
            at=draw(st.integers(0, last_at // 500)) * 500,
            do=do,
            pond=draw(st.sampled_from(ponds)),
            bound=draw(st.integers(1, 20)) * 1000 if do == "tide" else None,
            upstream=draw(st.booleans()) if do == "sleep" else False,
        ))
    return out


def to_toml(graph: list[PondDraw], evs: list[EventDraw], until: str | None = None) -> str:
    parts = [clock(until=until)] if until else []
    return scenario(*parts, *(p.toml() for p in graph), *(e.toml() for e in evs))
