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
import resource
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


def case(kind: str, path: str) -> tuple[float, float]:
    """One measurement in this process: wall and CPU seconds for `kind`."""
    t, c = time.perf_counter(), time.process_time()
    if kind == "code":
        sc = built(GRAPH, "pulse")
        # building the dataclasses is not part of the reference
        t, c = time.perf_counter(), time.process_time()
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
    return time.perf_counter() - t, time.process_time() - c


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best(kind: str, path: str, tries: int = 3) -> tuple[float, float]:
    """The fastest of `tries` fresh interpreters: (wall, CPU) seconds, each its own minimum."""
    walls, cpus = [], []
    for _ in range(tries):
        if kind == "cli":
            t, c = time.perf_counter(), children_cpu()
            subprocess.run([str(Path(sys.executable).parent / "duckstring"), "simulate", path],
                           check=True, stdout=subprocess.DEVNULL)
            walls.append(time.perf_counter() - t)
            cpus.append(children_cpu() - c)
        else:
            out = subprocess.run([sys.executable, __file__, "--case", kind, path],
                                 check=True, capture_output=True, text=True)
            wall, cpu = out.stdout.split()
            walls.append(float(wall))
            cpus.append(float(cpu))
    return min(walls), min(cpus)


def main() -> None:
    if sys.argv[1:2] == ["--case"]:
        print(*case(sys.argv[2], sys.argv[3]))
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
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
          f"{GRAPH}: {len(sc.ponds):,} Ponds, {size / 1e6:.1f} MB of TOML, a Pulse on every "
          f"Outlet; best of 5 (code, file) or 3, fresh interpreters; scenarios read with "
          f"{tomlfile.PARSER}")
    rows = [
        ("simulation built in code", "code", "", ""),
        ("simulation loaded from the file", "file", "code", "of code"),
        ("duckstring simulate FILE", "cli", "", ""),
        ("parse alone: tomllib", "tomllib", "", ""),
    ]
    if "tomli" in results:
        rows.append(("parse alone: tomli (compiled)", "tomli", "tomllib", "of tomllib"))
    rows.append(("parse alone: tomlkit (before)", "tomlkit", "tomllib", "of tomllib"))
    print(f"{'':34} {'wall':>7}  {'cpu':>7}")
    for label, kind, ref, note in rows:
        (wall, cpu), ratio = results[kind], ""
        if ref:
            ratio = f"x{wall / results[ref][0]:.2f} (cpu x{cpu / results[ref][1]:.2f}) {note}"
        print(f"{label:34} {wall:6.2f} s {cpu:6.2f} s  {ratio}")
    # On a busy machine wall time is mostly waiting for a core; CPU time is what a quiet one
    # would show, so both are judged.
    for i, clock in enumerate(("wall", "cpu")):
        cli, ratio = results["cli"][i], results["file"][i] / results["code"][i]
        print(f"targets ({clock}): simulate from TOML {cli:.2f} s "
              f"(< {TARGETS['simulate from TOML']} s, "
              f"{'ok' if cli < TARGETS['simulate from TOML'] else 'MISSED'}); "
              f"file / code x{ratio:.2f} (<= {TARGETS['file / code']}, "
              f"{'ok' if ratio <= TARGETS['file / code'] else 'MISSED'})")


if __name__ == "__main__":
    main()
