"""What team operations (issue 13) cost on the hot paths, each beside the cheapest thing that
could stand in for it.

    python bench/team.py            # about 10 s
    python bench/team.py --lines 5000

| measured | against |
|---|---|
| a key check (SHA-256 + one constant-time compare per key) | one compare of the raw key (the single key before levels) |
| a metrics hook (labelled counter, histogram) | a dict increment |
| redacting a 64 KiB Ripple log of 10 secrets | `str.replace` per printed form, nothing else |
| the alert rules over every line (per rule) | reading the lines' views from the engine |
"""

from __future__ import annotations

import argparse
import hmac
import random
import string
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from duckstring.embedded.access.keys import KeyRing
from duckstring.embedded.access.levels import Level
from duckstring.embedded.alerts.rules import evaluate, make_rule, views
from duckstring.embedded.metrics import Metrics
from duckstring.embedded.store import Store
from duckstring.engine import Engine, RippleSpec, SourceRef, events
from duckstring.redact import Redactor, forms

T0 = 1_767_225_600_000


def per_call(f: Callable[[], object], seconds: float = 0.5) -> float:
    """Seconds per call of `f`, best of three runs of about `seconds` each."""
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds / 10:
        f()
        n += 1
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            f()
        best = min(best, (time.perf_counter() - start) / n)
    return best


def row(what: str, ours: float, base: float, against: str) -> None:
    print(f"{what:<44} {ours * 1e6:>10.2f} µs  {against:<34} {base * 1e6:>9.2f} µs  "
          f"{ours / base:>6.1f}×")


def keys(n_keys: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "duck.db")
        ring = KeyRing(store, env_key=None)
        made = [ring.add(f"k{i}", Level.FULL, T0) for i in range(n_keys)]
        key = made[-1]
        ours = per_call(lambda: ring.authenticate(key, T0))
        base = per_call(lambda: hmac.compare_digest(key.encode(), key.encode()))
        row(f"key check, {n_keys} keys", ours, base, "raw compare, one key")
        store.close()


def metrics() -> None:
    m = Metrics()
    counts: dict[tuple[str, str], int] = {}

    def bump() -> None:
        counts[("sales@1", "success")] = counts.get(("sales@1", "success"), 0) + 1

    base = per_call(bump)
    row("engine step hook (histogram)", per_call(lambda: m.step(0.001)), base, "dict increment")
    row("run finished hook (counter + histogram)",
        per_call(lambda: m.run_finished("sales@1", "success", 1.5)), base, "dict increment")


def redaction() -> None:
    rnd = random.Random(7)
    values = ["".join(rnd.choices(string.ascii_letters + string.digits + "'\"\\", k=24))
              for _ in range(10)]
    words = ["".join(rnd.choices(string.ascii_lowercase, k=rnd.randint(2, 9)))
             for _ in range(12_000)]
    text = " ".join(words)[: 64 * 1024 - 200] + " " + values[3]
    r = Redactor(values)
    every = sorted({f for v in values for f in forms(v)}, key=len, reverse=True)

    def naive() -> str:
        out = text
        for f in every:
            out = out.replace(f, "***")
        return out

    assert r(text) == naive()  # the same masking: what ours adds is the cut-off tail check
    row("redact a 64 KiB log, 10 secrets", per_call(lambda: r(text)), per_call(naive),
        f"str.replace × {len(every)} forms")


def rules(n_lines: int) -> None:
    eng = Engine()
    deploys = [events.Deploy("l00000@1", (), (RippleSpec("r"),))]
    deploys += [events.Deploy(f"l{i:05d}@1", (SourceRef(f"l{(i - 1) // 3:05d}@1"),),
                              (RippleSpec("r"),)) for i in range(1, n_lines)]
    eng.handle(T0, *deploys)
    eng.handle(T0, events.Kill("l00001@1"))  # a root cause with a third of the graph below it
    lines = views(eng, T0)
    rule = make_rule("ops", "webhook:http://127.0.0.1/", stale_ms=3_600_000)
    memory = evaluate(rule, {}, lines, T0)[1]
    ours = per_call(lambda: evaluate(rule, memory, lines, T0 + 1000), 1.0)
    base = per_call(lambda: views(eng, T0), 1.0)
    row(f"alert rule over {n_lines} lines", ours, base, "reading their views")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1000, help="lines for the rules case")
    parser.add_argument("--keys", type=int, default=20, help="stored keys for the key check")
    args = parser.parse_args()
    print(f"{'measured':<44} {'ours':>13}  {'against':<34} {'theirs':>12}  ratio")
    keys(args.keys)
    metrics()
    redaction()
    rules(args.lines)


if __name__ == "__main__":
    main()
