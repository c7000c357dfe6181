"""Pull and push through a graph (model.md §3, §4): which Sources a request reaches, how targets
stack, what a Wave re-taps."""

from __future__ import annotations

from tests.engine.simkit import S, chain, clock, event, gaps, pond, ripple, scenario, simulate


def test_a_pulse_reaches_required_sources_only() -> None:
    out = simulate(scenario(
        pond("A", ripple("a")),
        pond("B", ripple("b")),
        pond("C", ripple("c"), sources=["A", "B?"]),
        event("0s", "pulse", "C"),
    ))
    assert (out.count("A"), out.count("B"), out.fs("C")) == (1, 0, [0])


def test_a_pulse_on_a_pond_with_only_optional_sources_is_served() -> None:
    """With every Source optional, `source_f` is the max of them (§2.1): the target travels to
    them, else the Pond could never reach it (§12.5)."""
    out = simulate(scenario(
        pond("A", ripple("a", "1s")),
        pond("B", ripple("b", "3s")),
        pond("C", ripple("c"), sources=["A?", "B?"]),
        event("0s", "pulse", "C"),
    ))
    assert out.fs("A") == out.fs("B") == [0]
    assert out.runs("C") == [{"f": 0, "started": 1 * S, "finished": 2 * S, "status": "success"}]


def test_pulse_targets_stack_so_a_slow_pond_serves_them_in_turn() -> None:
    out = simulate(scenario(
        *chain(("A", "1s"), ("B", "4s")),
        *(event(f"{t}s", "pulse", "B") for t in (0, 1, 2, 3, 5)),
    ))
    # Every target gets a Pond Run of its own …
    assert out.fs("B") == [0, 1 * S, 2 * S, 3 * S, 5 * S]
    assert out.count("B", "success") == 5
    # … but B's Ripple is busy 4 s at a time and starts at the freshest input, so it skips the
    # intermediate freshnesses; one execution completes every run at or below it.
    assert [a["f"] for a in out.attempts("B", "b")] == [0, 3 * S, 5 * S]
    assert [r["finished"] for r in out.runs("B")] == [5 * S, 9 * S, 9 * S, 9 * S, 13 * S]
    assert out.final("B")["end_f"] == 5 * S
    assert out.state("B").targets.as_list() == []


def test_a_tap_on_a_blocked_pond_is_ignored() -> None:
    out = simulate(scenario(
        pond("A", ripple("a", fail=[1])),
        pond("B", ripple("b"), sources=["A"]),
        event("0s", "tap", "A"),
        event("5s", "tap", "B"),
    ))
    assert out.count("B") == 0 and out.final("B")["status"] == "blocked"
    assert out.state("B").has_pull is False


def test_a_wave_keeps_a_lone_inlet_running_back_to_back() -> None:
    out = simulate(scenario(clock(until="10s"), pond("A", ripple("a", "2s")),
                            event("0s", "wave", "A")))
    assert set(gaps(out.completions("A"))) == {2 * S}
    assert out.fs("A") == [0, 2 * S, 4 * S, 6 * S, 8 * S, 10 * S]


def test_setting_a_tide_replaces_the_wave() -> None:
    out = simulate(scenario(
        clock(until="60s"), pond("A", ripple("a", "1s")),
        event("0s", "wave", "A"),
        event("5500ms", "tide", "A", bound="20s"),
    ))
    assert out.state("A").trigger.bound == 20 * S
    late = [r["f"] for r in out.runs("A") if r["started"] > 6 * S]
    assert late == [25 * S, 45 * S]  # every bound after the last start, F=5 s


def test_a_deep_bottleneck_stays_busy_under_a_wave_started_warm() -> None:
    """The demo's shape: `sales` (2 s and 1 s Ripples feeding a 3 s one) is the bottleneck.
    After a Pulse has run everything once, a Wave on `reports` must still pipeline `sales`:
    its next run starts while `join_lines` works, so `reports` completes every 3 s, not 5."""
    out = simulate(scenario(
        clock(until="80s"),
        pond("transactions", ripple("transaction", "1s")),
        pond("products", ripple("product", "2s")),
        pond("sales", ripple("daily_sales", "2s"), ripple("price_tiers", "1s"),
             ripple("join_lines", "3s", parents=["daily_sales", "price_tiers"]),
             sources=["transactions", "products"]),
        pond("reports", ripple("monthly_summary", "1s"), sources=["sales"]),
        event("0s", "pulse", "reports"),
        event("20s", "wave", "reports"),
    ))
    assert set(gaps(out.completions("reports", after=40 * S))) == {3 * S}
