"""Property tests: model.md §12 on random graphs and event sequences (hypothesis, derandomized
so the suite is deterministic)."""

from __future__ import annotations

import dataclasses
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duckstring.simulator import Simulation, parse
from tests.engine.invariants import Watch
from tests.engine.simkit import S, event, pond, ripple, scenario, simulate
from tests.engine.strategies import (
    EventDraw,
    PondDraw,
    event_lists,
    graphs,
    ripples,
    to_toml,
)

STRESS = int(os.environ.get("DUCKSTRING_STRESS", "0"))  # N: N times the examples, random seeds


def examples(n: int) -> settings:
    return settings(max_examples=n * (STRESS or 1), deadline=None, derandomize=not STRESS,
                    database=None, suppress_health_check=[HealthCheck.too_slow])


def watched(text: str) -> Watch:
    sim = Simulation(parse(text))
    watch = Watch(sim)
    sim.run()
    return watch


# §12.1-3 (and no spinning) under anything a user can do -------------------------------------
@examples(150)
@given(st.data())
def test_invariants_hold_on_random_graphs_and_events(data: st.DataObject) -> None:
    graph = data.draw(graphs(max_ponds=6, faults=True, passes=True, windows=True))
    evs = data.draw(event_lists([p.name for p in graph]))
    text = to_toml(graph, evs, until="60s")
    watch = watched(text)
    assert not watch.violations, text + "\n" + "\n".join(watch.violations[:10])
    assert not watch.undemanded_runs(), text


# §12.4: pull never over-produces on a chain under a Wave ----------------------------------
@st.composite
def chains(draw: st.DrawFn, *, flat: bool) -> list[PondDraw]:
    """2-4 Ponds in a chain; `flat` Ponds have Ripple depth 1 (parallel Ripples only)."""
    out: list[PondDraw] = []
    for i in range(draw(st.integers(2, 4))):
        rs = draw(ripples(f"p{i}r", faults=False, passes=False))
        if flat:
            rs = [dataclasses.replace(r, parents=[]) for r in rs]
        out.append(PondDraw(f"P{i}", [(f"P{i - 1}", True)] if i else [], rs))
    return out


def steady_counts(chain: list[PondDraw]) -> tuple[dict[str, int], int]:
    """Completions per Pond over the second half of a run long enough for dozens of cycles."""
    horizon = 30 * sum(r.duration for p in chain for r in p.ripples)  # seconds
    out = simulate(to_toml(chain, [EventDraw(0, "wave", chain[-1].name)], until=f"{horizon}s"))
    half = horizon * S // 2
    return {p.name: len(out.completions(p.name, after=half)) for p in chain}, horizon


@examples(40)
@given(chains(flat=True))
def test_pull_never_over_produces_on_a_chain_under_a_wave(chain: list[PondDraw]) -> None:
    """In steady state no Pond completes more runs than its slowest downstream consumer, plus
    its Ripple depth (the batches it may hold ready or in flight at either end of the window)."""
    counts, _ = steady_counts(chain)
    assert counts[chain[-1].name] >= 5  # the measure covers many cycles
    for i, p in enumerate(chain[:-1]):
        slowest = min(counts[q.name] for q in chain[i + 1:])
        assert counts[p.name] <= slowest + p.depth, (p.name, counts)


def test_a_deep_pond_does_not_over_produce_under_a_slow_consumer() -> None:
    out = simulate(scenario(
        pond("P0", ripple("r0"), ripple("r1", parents=["r0"])),
        pond("P1", ripple("s", "5s"), sources=["P0"]),
        event("0s", "wave", "P1"),
    ), until="100s")
    assert out.count("P0") <= out.count("P1") + 2


def test_a_source_at_rest_is_not_re_primed_each_cycle_of_a_deep_sink() -> None:
    """P0 comes to rest between the runs of its deep Sink P1; the pipeline its at-rest pull
    primes must not add a run per cycle on top of P1's own re-arm."""
    out = simulate(scenario(
        pond("P0", ripple("a"), ripple("b", parents=["a"]), ripple("c")),
        pond("P1", ripple("x"), ripple("y", parents=["x"]), ripple("z", parents=["x", "y"]),
             sources=["P0"]),
        event("0s", "wave", "P1"),
    ), until="120s")
    half = 60 * S
    assert len(out.completions("P0", after=half)) <= len(out.completions("P1", after=half)) + 2


def test_a_deep_source_behind_a_fast_middle_pond_does_not_over_produce() -> None:
    """The fast middle Pond P1 sits idle holding the pull P2's start left it; P2 is busy, so
    P1 is not starved and P0 must not prime ahead of it (was ~47 P0 runs per 40 of P2)."""
    out = simulate(scenario(
        pond("P0", ripple("a"), ripple("b", parents=["a"]), ripple("c", parents=["a", "b"])),
        pond("P1", ripple("m"), sources=["P0"]),
        pond("P2", ripple("x"), ripple("y", "2s", parents=["x"]),
             ripple("z", parents=["x", "y"]), sources=["P1"]),
        event("0s", "wave", "P2"),
    ), until="240s")
    half = 120 * S
    assert len(out.completions("P0", after=half)) <= len(out.completions("P2", after=half)) + 3


# §12.5: a push target is eventually satisfied ---------------------------------------------
@examples(80)
@given(st.data())
def test_every_pulse_is_eventually_served(data: st.DataObject) -> None:
    graph = data.draw(graphs(max_ponds=6, optional=True))
    names = [p.name for p in graph]
    evs = data.draw(event_lists(names, verbs=("pulse", "pulse", "tap", "wave", "remove")))
    last = max(e.at for e in evs)
    until = last // S + 10 * sum(r.duration for p in graph for r in p.ripples) + 1
    text = to_toml(graph, evs, until=f"{until}s")
    watch = watched(text)
    assert not watch.violations, text
    sim = watch.sim
    for e in evs:
        if e.do == "pulse":
            end_f = sim.engine.ponds[f"{e.pond}@1"].end_f - sim.scenario.start
            assert end_f >= e.at, (e, text)
    if not any(e.do == "wave" for e in evs):
        assert sim.settled_at is not None, text


# §12.6: diamond consistency ------------------------------------------------------------------
@examples(40)
@given(st.lists(st.integers(1, 5), min_size=4, max_size=4),
       st.sampled_from(["wave", "tide", "pulses"]))
def test_a_diamond_sink_is_as_fresh_as_its_stalest_path(durations: list[int], how: str) -> None:
    a, b, c, d = (f"{x}s" for x in durations)
    demand = {
        "wave": [event("0s", "wave", "D")],
        "tide": [event("0s", "tide", "D", bound="3s")],
        "pulses": [event(f"{t}s", "pulse", "D") for t in (0, 2, 7, 8, 20)],
    }[how]
    text = scenario(
        "[clock]\nuntil = \"60s\"",
        pond("A", ripple("a", a)),
        pond("B", ripple("b", b), sources=["A"]),
        pond("C", ripple("c", c), sources=["A"]),
        pond("D", ripple("d", d), sources=["B", "C"]),
        *demand,
    )
    watch = watched(text)
    assert not watch.violations, text
    a_fs = {eff.f for _, eff, _ in watch.begun_by("A@1")}
    d_runs = watch.begun_by("D@1")
    assert d_runs, text
    for _, eff, srcs in d_runs:
        # D starts at the min of its two paths, and that is a freshness A actually had.
        assert eff.f == min(srcs["B@1"], srcs["C@1"]), text
        assert eff.f in a_fs


@examples(40)
@given(chains(flat=False))
def test_deep_ponds_never_over_produce_on_a_chain_under_a_wave(chain: list[PondDraw]) -> None:
    """The same with Ripple chains inside the Ponds: a Sink re-arming a warm Source asks for
    one run, not one per Ripple level. A deep consumer pipelines: up to its depth of runs in
    flight, each holding an output of `p` it read, so at the window's end `p` may be ahead by
    that much as well — a fixed lead, not a rate (the excess of a 450 s run does not grow
    over 3,600 s)."""
    counts, _ = steady_counts(chain)
    for i, p in enumerate(chain[:-1]):
        slowest = min(counts[q.name] for q in chain[i + 1:])
        in_transit = max(q.depth for q in chain[i + 1:])
        assert counts[p.name] <= slowest + p.depth + in_transit - 1, (p.name, counts)



# §12.5 with faults: once nothing on the lineage is failed, held demand is served -----------
@examples(150)
@given(st.data())
def test_held_demand_is_served_once_nothing_upstream_is_failed(data: st.DataObject) -> None:
    """Sources fail and are killed, cleared, woken, forced, redeployed; at the end every Pond is
    recovered by a verb that resumes it (deploy, wake, force). When the simulation settles, a
    Pond still holding a push target or pull must have a failed or killed Pond on its
    lineage — otherwise a recovery left the demand stranded (issue 8 item 2)."""
    graph = data.draw(graphs(max_ponds=5, faults=True, optional=True))
    names = [p.name for p in graph]
    evs = data.draw(event_lists(names, verbs=("pulse", "pulse", "tap"), last_at=10_000))
    evs += data.draw(event_lists(names, verbs=("kill", "clear", "deploy", "wake", "force"),
                                 max_events=3, last_at=20_000))
    # then every Pond is recovered, one after the other, the way a user mops up
    recover = st.sampled_from(("deploy", "deploy", "wake", "force"))
    evs += [EventDraw(40_000 + 5_000 * i, data.draw(recover), name)
            for i, name in enumerate(names)]
    text = to_toml(graph, evs, until="600s")
    watch = watched(text)
    assert not watch.violations, text
    eng = watch.sim.engine
    assert watch.sim.settled_at is not None, text
    for line, p in eng.ponds.items():
        lineage = [p, *eng.ancestors(p)]
        if any(q.is_failed or q.is_killed for q in lineage):
            continue
        held = [t for t in p.targets if t > p.end_f] if p.targets else []
        assert not held and not p.has_pull, (line, held, p.has_pull, text)
