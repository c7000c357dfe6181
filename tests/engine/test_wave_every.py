"""A paced Wave (`trigger wave POND --every D`, model.md §7 as extended by issue 9): it re-taps
no sooner than D after its last tap; without `every` the cadence stays emergent."""

from __future__ import annotations

import pytest

from duckstring.engine import Engine, RippleSpec, WaveTrigger, codec, events
from tests.engine.simkit import S, chain, clock, event, gaps, pond, ripple, scenario, simulate


def test_a_paced_wave_on_a_fast_inlet_runs_once_per_every() -> None:
    out = simulate(scenario(clock(until="10s"), pond("A", ripple("a", "10ms")),
                            event("0s", "wave", "A", every="2s")))
    starts = [r["started"] for r in out.runs("A")]
    assert starts == [0, 2 * S, 4 * S, 6 * S, 8 * S, 10 * S]


def test_without_every_the_same_wave_is_a_hot_loop() -> None:
    out = simulate(scenario(clock(until="10s"), pond("A", ripple("a", "10ms")),
                            event("0s", "wave", "A")))
    assert out.count("A") > 500


def test_a_paced_wave_slower_than_the_pipeline_paces_the_whole_lineage() -> None:
    out = simulate(scenario(clock(until="60s"), *chain(("A", "1s"), ("B", "1s"), ("C", "1s")),
                            event("0s", "wave", "C", every="10s")))
    # Taps at 0 s, 10 s, 20 s …: the cold first run takes the lead time, later ones start at
    # the tap (their Sources were re-armed by the previous run, §4 P5).
    assert [r["started"] for r in out.runs("C")] == [2 * S, *(k * 10 * S for k in range(1, 7))]
    for name in "AB":  # after the cold Tap's priming (model.md §13), one run per tap
        assert set(gaps(out.completions(name, after=5 * S))) == {10 * S}, name


def test_a_paced_wave_faster_than_its_bottleneck_keeps_the_emergent_cadence_at_most() -> None:
    out = simulate(scenario(clock(until="60s"), *chain(("A", "1s"), ("B", "3s"), ("C", "1s")),
                            event("0s", "wave", "C", every="1s")))
    done = out.completions("C")
    assert min(gaps(done)) >= 1 * S
    assert len(done) >= 8  # it still runs, paced by the lineage's lead time


def test_a_paced_wave_on_a_multi_ripple_pond_does_not_keep_its_pipeline_primed() -> None:
    p = pond("A", ripple("r1", "100ms"), ripple("r2", "100ms", parents=["r1"]),
             ripple("r3", "100ms", parents=["r2"]))
    out = simulate(scenario(clock(until="20s"), p, event("0s", "wave", "A", every="5s")))
    assert [r["started"] for r in out.runs("A")] == [0, 5 * S, 10 * S, 15 * S, 20 * S]


def test_a_paced_wave_waits_for_the_clock_and_says_when() -> None:
    eng = Engine()
    eng.handle(0, events.Deploy("a@1", (), (RippleSpec("r"),)))
    effects = eng.handle(1000, events.Wave("a@1", every=5000))
    assert [type(e).__name__ for e in effects] == ["BeginRun"]
    eng.handle(1010, events.RippleStarted("a@1", "r", 1000),
               events.RippleSucceeded("a@1", "r", 1000), events.RunFinished("a@1", 1000))
    assert eng.next_deadline() == 6000
    assert eng.handle(5999, events.Tick()) == []
    assert [type(e).__name__ for e in eng.handle(6000, events.Tick())] == ["BeginRun"]


def test_the_pacing_survives_a_restart() -> None:
    eng = Engine()
    eng.handle(0, events.Deploy("a@1", (), (RippleSpec("r"),)))
    eng.handle(1000, events.Wave("a@1", every=5000))
    back = codec.restore([codec.pond_to_dict(p) for p in eng.ponds.values()])
    assert back.ponds["a@1"].trigger == WaveTrigger(5000, 1000)
    back.handle(1010, events.RippleStarted("a@1", "r", 1000),
                events.RippleSucceeded("a@1", "r", 1000), events.RunFinished("a@1", 1000))
    assert back.next_deadline() == 6000


@pytest.mark.parametrize(("extra", "message"), [
    ({"every": "0s"}, "every must be a positive duration"),
])
def test_a_bad_every_is_refused(extra: dict[str, str], message: str) -> None:
    from duckstring.simulator import ScenarioError

    text = scenario(pond("A", ripple("a")), event("0s", "wave", "A", **extra))
    with pytest.raises(ScenarioError, match=message):
        simulate(text)
    with pytest.raises(ScenarioError, match="every applies to wave events only"):
        simulate(scenario(pond("A", ripple("a")), event("0s", "tap", "A", every="1s")))
