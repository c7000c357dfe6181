"""Benchmark reading scenarios from TOML against building them in code (see bench/README.md).

The 10,000-Pond layered DAG of `bench/engine.py` (100 layers x 100 Ponds, Ripples
`r1, r2 -> r3`, a Pulse on every Outlet) is written out as a scenario file, then simulated
three ways, each in a fresh interpreter, best of 3:

- `code`:    the `Scenario` built in code and simulated (`Simulation.run()`), the reference;
- `file`:    `simulator.load()` of the file, then the same simulation;
- `cli`:     `duckstring simulate FILE` end to end, as a user runs it (start-up, parse,
             simulate, print the timeline and summary).

It also times parsing the file alone with the standard library's `tomllib`, with the `tomli`
package's compiled wheel when it is installed (`duckstring.tomlfile` prefers it), and with
`tomlkit` (what reading used before), side by side.

    python bench/toml.py
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from engine import scenario as built

from duckstring import tomlfile
from duckstring.simulator import Scenario, Simulation, load
from duckstring.times import iso

GRAPH = "dag-10000"
TARGETS = {"simulate from TOML": 2.0, "file / code": 1.5}


def to_toml(sc: Scenario) -> str:
    out = ["[clock]", f'start = "{iso(sc.start)}"', ""]
    for p in sc.ponds:
        out.append("[[pond]]")
        out.append(f'name = "{p.name}"')
        out.append("sources = [" + ", ".join(f'"{s}"' for s, _ in p.sources) + "]")
        for r in p.ripples:
            out += ["  [[pond.ripple]]", f'  name = "{r.name}"', f'  duration = "{r.duration}ms"']
            if r.parents:
                out.append("  parents = [" + ", ".join(f'"{x}"' for x in r.parents) + "]")
        out.append("")
    for ev in sc.events:
        out += ["[[event]]", f'at = "{ev.at}ms"', f'do = "{ev.do}"', f'pond = "{ev.pond}"', ""]
    return "\n".join(out)


def case(kind: str, path: str) -> float:
    """One measurement in this process: seconds for `kind`."""
    t = time.perf_counter()
    if kind == "code":
        sc = built(GRAPH, "pulse")
        t = time.perf_counter()  # building the dataclasses is not part of the reference
        Simulation(sc).run()
    elif kind == "file":
        Simulation(load(path)).run()
    elif kind == "tomllib":
        import tomllib

        tomllib.loads(Path(path).read_text(encoding="utf-8"))
    elif kind == "tomli":
        import tomli

        tomli.loads(Path(path).read_text(encoding="utf-8"))
    elif kind == "tomlkit":
        import tomlkit

        tomlkit.parse(Path(path).read_text(encoding="utf-8")).unwrap()
    return time.perf_counter() - t


def best(kind: str, path: str, tries: int = 3) -> float:
    times = []
    for _ in range(tries):
        if kind == "cli":
            t = time.perf_counter()
            subprocess.run([str(Path(sys.executable).parent / "duckstring"), "simulate", path],
                           check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - t)
        else:
            out = subprocess.run([sys.executable, __file__, "--case", kind, path],
                                 check=True, capture_output=True, text=True)
            times.append(float(out.stdout))
    return min(times)


def main() -> None:
    if sys.argv[1:2] == ["--case"]:
        print(case(sys.argv[2], sys.argv[3]))
        return
    sc = built(GRAPH, "pulse")
    kinds = ["code", "file", "cli", "tomllib", "tomlkit"]
    if importlib.util.find_spec("tomli") is not None:
        kinds.append("tomli")
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "dag-10000.toml")
        Path(path).write_text(to_toml(sc), encoding="utf-8")
        size = os.path.getsize(path)
        results = {kind: best(kind, path, 5 if kind in ("code", "file") else 3) for kind in kinds}
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {GRAPH}: {len(sc.ponds):,} "
          f"Ponds, {size / 1e6:.1f} MB of TOML, a Pulse on every Outlet; best of 5 (code, file) or 3, fresh "
          f"interpreters; scenarios read with {tomlfile.PARSER}")
    rows = [
        ("simulation built in code", results["code"], ""),
        ("simulation loaded from the file", results["file"],
         f"x{results['file'] / results['code']:.2f} of code"),
        ("duckstring simulate FILE", results["cli"], ""),
        ("parse alone: tomllib", results["tomllib"], ""),
    ]
    if "tomli" in results:
        rows.append(("parse alone: tomli (compiled)", results["tomli"],
                     f"x{results['tomli'] / results['tomllib']:.2f} of tomllib"))
    rows.append(("parse alone: tomlkit (before)", results["tomlkit"],
                 f"x{results['tomlkit'] / results['tomllib']:.1f} of tomllib"))
    for label, secs, note in rows:
        print(f"{label:34} {secs:6.2f} s  {note}")
    ratio = results["file"] / results["code"]
    print(f"targets: simulate from TOML {results['cli']:.2f} s (< {TARGETS['simulate from TOML']} "
          f"s, {'ok' if results['cli'] < TARGETS['simulate from TOML'] else 'MISSED'}); "
          f"file / code x{ratio:.2f} (<= {TARGETS['file / code']}, "
          f"{'ok' if ratio <= TARGETS['file / code'] else 'MISSED'})")


if __name__ == "__main__":
    main()
