"""The Ripples of one Pond (docs/concepts.md §2.2, §5).

- §2.2 A root Ripple (no parent Ripples) reads the Pond's `start_f` (`root_f` here); any
  other reads `min(end_f of its parent Ripples)`. All intra-Pond edges are required.
- R1 `has_pull` becomes true: a root Ripple pulls its Pond; any other pulls each parent
  whose `start_f <= this.start_f`.
- R2 target `T` arrives: ignored if `T <= end_f` or held; else added.
- R3 start condition: not running, and `targets` with `source_f >= min(targets)`, or
  `has_pull` with `source_f > start_f`.
- R4 on start: `start_f = source_f`; a held `has_pull` is passed to every parent (R1) and
  cleared; targets `<= start_f` are dropped.

A pull is one request for one more run, and it asks upstream once: when R1 already passed it
on (`pull_sent`), the start that consumes it does not re-arm the parents again. Without this a
pull that lands on a running leaf would be counted twice — once on arrival, once at the leaf's
next start — and a Tap would over-produce depending on which report of an instant came first.
A root's start never re-arms its Pond: the Pond's own re-arm (P5) refills its Sources. Pulls
set on every Ripple of an at-rest Pond (P1) only *prime* the pipeline (`primed`): when such a
re-arm reaches a root, the Pond decides whether anyone wants another run (see `demand`). A real
request that meets a priming pull turns it into a request and carries on upstream.
- R5 on completion: `end_f = start_f`.

One class serves both tiers: the Catchment mirrors a Duck's reports into it (and uses the pull
fields), while a Duck drives it push-only as its executor (`executor.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from duckstring.engine.errors import TopologyError
from duckstring.engine.freshness import NEVER, Targets

Refill = Literal["primed", "demand"] | None  # what a starting Ripple's re-arm asked the Pond


@dataclass(frozen=True)
class RippleSpec:
    """A Ripple as declared: its name, parent Ripples and whether it always executes."""

    name: str
    parents: tuple[str, ...] = ()
    always_run: bool = False


@dataclass(eq=False, slots=True)
class Ripple:
    spec: RippleSpec
    start_f: int = NEVER
    end_f: int = NEVER
    has_pull: bool = False
    pull_sent: bool = False  # this pull already asked the parents (R1)
    primed: bool = False  # this pull only primes the pipeline (P1 at rest), nobody asked for it
    targets: Targets = field(default_factory=Targets)
    running: bool = False

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def parents(self) -> tuple[str, ...]:
        return self.spec.parents


def order_ripples(specs: Iterable[RippleSpec]) -> list[RippleSpec]:
    """Return the specs in topological order; reject duplicates, unknown parents and cycles."""
    by_name: dict[str, RippleSpec] = {}
    for spec in specs:
        if spec.name in by_name:
            raise TopologyError(f"Ripple {spec.name!r} is declared twice")
        by_name[spec.name] = spec
    if not by_name:
        raise TopologyError("a Pond needs at least one Ripple")
    for spec in by_name.values():
        for parent in spec.parents:
            if parent not in by_name:
                raise TopologyError(f"Ripple {spec.name!r} names unknown parent {parent!r}")
            if parent == spec.name:
                raise TopologyError(f"Ripple {spec.name!r} lists itself as a parent")
    ordered: list[RippleSpec] = []
    state: dict[str, int] = {}  # 1 = on the path, 2 = done
    for start in by_name:
        if state.get(start) == 2:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        state[start] = 1
        while stack:
            name, i = stack[-1]
            parents = by_name[name].parents
            if i < len(parents):
                stack[-1] = (name, i + 1)
                parent = parents[i]
                if state.get(parent) == 1:
                    raise TopologyError(f"Ripples form a cycle through {parent!r}")
                if parent not in state:
                    state[parent] = 1
                    stack.append((parent, 0))
            else:
                stack.pop()
                state[name] = 2
                ordered.append(by_name[name])
    return ordered


class RippleGraph:
    """The Ripple states of one Pond line, in topological order."""

    def __init__(self, specs: Iterable[RippleSpec], root_f: int = NEVER) -> None:
        ordered = order_ripples(specs)
        self.root_f = root_f
        self.ripples: dict[str, Ripple] = {s.name: Ripple(s) for s in ordered}
        parents = {parent for s in ordered for parent in s.parents}
        self.leaves = [r for r in self.ripples.values() if r.name not in parents]

    def __iter__(self) -> Iterator[Ripple]:
        return iter(self.ripples.values())

    def __getitem__(self, name: str) -> Ripple:
        return self.ripples[name]

    @property
    def specs(self) -> list[RippleSpec]:
        return [r.spec for r in self.ripples.values()]

    @property
    def always_run(self) -> bool:
        return any(r.spec.always_run for r in self)

    # §2.2
    def source_f(self, r: Ripple) -> int:
        if not r.parents:
            return self.root_f
        return min(self.ripples[p].end_f for p in r.parents)

    def end_f(self) -> int:
        """P6: a Pond's output is as fresh as its stalest leaf Ripple."""
        return min(leaf.end_f for leaf in self.leaves)

    def idle(self) -> bool:
        return not any(r.running or r.targets for r in self)

    # R2
    def stamp(self, f: int) -> None:
        for r in self:
            if f > r.end_f:
                r.targets.add(f)

    # R3
    def start_f_for(self, r: Ripple) -> int | None:
        """The freshness `r` would start at now, or None when it must wait."""
        if r.running:
            return None
        sf = self.source_f(r)
        if r.targets and sf >= r.targets.min():
            return sf
        if r.has_pull and sf > r.start_f:
            return sf
        return None

    # R1
    def pull(self, r: Ripple, primed: bool = False) -> bool:
        """Set `has_pull` on `r`; True when the pull reached a root (the Pond is pulled)."""
        pond_pulled = False
        stack = [r]
        while stack:
            node = stack.pop()
            if node.has_pull and (primed or not node.primed):
                continue  # demand is binary: already asked for
            # a new pull, or a real request meeting a priming one that may have stopped short
            node.has_pull, node.primed = True, primed
            if not node.parents:
                pond_pulled = node.pull_sent = True
            for name in node.parents:
                parent = self.ripples[name]
                if parent.start_f <= node.start_f:
                    node.pull_sent = True
                    stack.append(parent)
        return pond_pulled

    def pull_all(self) -> None:
        """P1 at rest: every Ripple is to run once; each asks its parents when it starts."""
        for r in self:
            if not r.has_pull:
                r.has_pull = r.primed = True

    def leaves_served(self) -> None:
        """The Pond was pulled: the leaves' pulls asked for that run, not one more each."""
        for leaf in self.leaves:
            if leaf.has_pull:
                leaf.pull_sent = True

    def drop_pull(self) -> None:
        for r in self:
            r.has_pull = r.pull_sent = r.primed = False

    # R4
    def start(self, r: Ripple, f: int) -> Refill:
        """Start `r` at `f`; say whether its re-armed pull reached the Pond, and whether that
        pull was a real request or only priming."""
        r.running = True
        r.start_f = f
        r.targets.drop_upto(f)
        refill: Refill = None
        if r.has_pull and not r.pull_sent:
            reached = False
            for name in r.parents:
                reached |= self.pull(self.ripples[name], r.primed)
            if reached:
                refill = "primed" if r.primed else "demand"
        r.has_pull = r.pull_sent = r.primed = False
        return refill

    # R5
    def succeed(self, r: Ripple) -> None:
        r.running = False
        r.end_f = max(r.end_f, r.start_f)

    def settle(self, f: int) -> None:
        """A no-change pass (§6): every Ripple is at `f` without executing."""
        for r in self:
            r.start_f = r.end_f = max(r.end_f, f)
            r.targets.clear()

    def drop_demand(self) -> None:
        """Drop Ripple targets and pull; Ripples already running finish."""
        self.drop_pull()
        for r in self:
            r.targets.clear()

    def halt(self, keep_running: bool = False) -> None:
        """Forget the Ripples' in-flight state (kill); `keep_running` leaves Ripples that are
        still running alone, to finish and report (clear)."""
        for r in self:
            if r.running and keep_running:
                continue
            r.running = False
            r.has_pull = r.pull_sent = False
            r.targets.clear()
            r.start_f = r.end_f
