"""Benchmark reading scenarios from TOML against building them in code (see bench/README.md).

The 10,000-Pond layered DAG of `bench/engine.py` (100 layers x 100 Ponds, Ripples
`r1, r2 -> r3` of 1 s each, a Pulse on every Outlet) is written out as a scenario file laid
out as `examples/scenarios/` are (an Inlet lists no `sources`; durations such as `"1s"`),
then simulated three ways, each in a fresh interpreter, best of 5 or 3:

- `code`:    the `Scenario` built in code and simulated (`Simulation(sc).run()`), the reference;
- `file`:    `simulator.load()` of the file, then the same simulation;
- `cli`:     `duckstring simulate FILE` end to end, as a user runs it (start-up, parse,
             simulate, print the timeline and summary to /dev/null).

`file` and `cli` are measured with the standard library's `tomllib` (the `tomli` package
hidden from the interpreter, as on a Python 3.11+ without it: CI, most installs), and again
with `tomli`'s compiled wheel when it is installed (`duckstring.tomlfile` prefers it). The
targets are judged on `tomllib`. It also times parsing the file alone with `tomllib`, `tomli`
and `tomlkit` (what reading used before), side by side.

    python bench/toml.py
"""

from __future__ import annotations

import sys

if sys.argv[1:2] == ["--case"] and sys.argv[3:4] == ["tomllib"]:
    sys.modules["tomli"] = None  # type: ignore[assignment]  # `import tomli` now fails

import importlib.util
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from engine import scenario as built

from duckstring.simulator import Scenario, Simulation, load
from duckstring.times import format_duration, iso

GRAPH = "dag-10000"
TARGETS = {"simulate from TOML": 2.0, "file / code": 1.5}


def to_toml(sc: Scenario) -> str:
    """The scenario as a person would write it (the layout of examples/scenarios/)."""
    out = ["[clock]", f'start = "{iso(sc.start)}"', ""]
    for p in sc.ponds:
        out += ["[[pond]]", f'name = "{p.name}"']
        if p.sources:
            out.append("sources = [" + ", ".join(f'"{s}"' for s, _ in p.sources) + "]")
        for r in p.ripples:
            out += ["", "  [[pond.ripple]]", f'  name = "{r.name}"',
                    f'  duration = "{format_duration(r.duration)}"']
            if r.parents:
                out.append("  parents = [" + ", ".join(f'"{x}"' for x in r.parents) + "]")
        out.append("")
    for ev in sc.events:
        out += ["[[event]]", f'at = "{format_duration(ev.at) if ev.at else "0s"}"', f'do = "{ev.do}"',
                f'pond = "{ev.pond}"', ""]
    return "\n".join(out)


CLI = "import sys; sys.modules['tomli'] = None; from duckstring.entry import main; main()"


def case(kind: str, reader: str, path: str) -> tuple[float, float]:
    """One measurement in this process: wall and CPU seconds for `kind`, scenarios read
    with `reader` (`tomllib` has already hidden tomli, see the top of this file)."""
    from duckstring import tomlfile

    if kind == "file" and reader != tomlfile.PARSER:
        raise SystemExit(f"asked for {reader}, reading with {tomlfile.PARSER}")
    t, c = time.perf_counter(), time.process_time()
    if kind == "code":
        sc = built(GRAPH, "pulse")
        # building the dataclasses is not part of the reference
        t, c = time.perf_counter(), time.process_time()
        Simulation(sc).run()
    elif kind == "file":
        Simulation(load(path)).run()
    elif kind == "parse":
        text = Path(path).read_text(encoding="utf-8")
        t, c = time.perf_counter(), time.process_time()
        if reader == "tomlkit":
            import tomlkit

            tomlkit.parse(text).unwrap()
        else:
            importlib.import_module(reader).loads(text)
    return time.perf_counter() - t, time.process_time() - c


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best(kind: str, reader: str, path: str, tries: int = 3) -> tuple[float, float]:
    """The fastest of `tries` fresh interpreters: (wall, CPU) seconds, each its own minimum."""
    walls, cpus = [], []
    for _ in range(tries):
        if kind == "cli":
            exe = Path(sys.executable).parent / "duckstring"
            argv = [sys.executable, "-c", CLI] if reader == "tomllib" else [str(exe)]
            t, c = time.perf_counter(), children_cpu()
            subprocess.run([*argv, "simulate", path], check=True, stdout=subprocess.DEVNULL)
            walls.append(time.perf_counter() - t)
            cpus.append(children_cpu() - c)
        else:
            out = subprocess.run([sys.executable, __file__, "--case", kind, reader, path],
                                 check=True, capture_output=True, text=True)
            wall, cpu = out.stdout.split()
            walls.append(float(wall))
            cpus.append(float(cpu))
    return min(walls), min(cpus)


def main() -> None:
    if sys.argv[1:2] == ["--case"]:
        print(*case(sys.argv[2], sys.argv[3], sys.argv[4]))
        return
    sc = built(GRAPH, "pulse")
    readers = ["tomllib"] + (["tomli"] if importlib.util.find_spec("tomli") else [])
    cases = [("code", "-"), *((k, r) for k in ("file", "cli") for r in readers),
             *(("parse", r) for r in [*readers, "tomlkit"])]
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "dag-10000.toml")
        Path(path).write_text(to_toml(sc), encoding="utf-8")
        size = os.path.getsize(path)
        results = {(k, r): best(k, r, path, 5 if k in ("code", "file") else 3) for k, r in cases}
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
          f"{GRAPH}: {len(sc.ponds):,} Ponds, {size / 1e6:.1f} MB of TOML, a Pulse on every "
          f"Outlet; best of 5 (code, file) or 3, fresh interpreters")
    code = ("code", "-")
    rows = [("simulation built in code", code, None, "")]
    for r in readers:
        rows.append((f"loaded from the file ({r})", ("file", r), code, "of code"))
    for r in readers:
        rows.append((f"duckstring simulate FILE ({r})", ("cli", r), None, ""))
    rows.append(("parse alone: tomllib", ("parse", "tomllib"), None, ""))
    if "tomli" in readers:
        rows.append(("parse alone: tomli (compiled)", ("parse", "tomli"), ("parse", "tomllib"),
                     "of tomllib"))
    rows.append(("parse alone: tomlkit (before)", ("parse", "tomlkit"), ("parse", "tomllib"),
                 "of tomllib"))
    print(f"{'':38} {'wall':>7}  {'cpu':>7}")
    for label, key, ref, note in rows:
        (wall, cpu), ratio = results[key], ""
        if ref:
            ratio = f"x{wall / results[ref][0]:.2f} (cpu x{cpu / results[ref][1]:.2f}) {note}"
        print(f"{label:38} {wall:6.2f} s {cpu:6.2f} s  {ratio}")
    # On a busy machine wall time is mostly waiting for a core; CPU time is what a quiet one
    # would show, so both are judged.
    for r in readers:
        for i, clock in enumerate(("wall", "cpu")):
            cli, ratio = results[("cli", r)][i], results[("file", r)][i] / results[code][i]
            print(f"targets with {r} ({clock}): simulate from TOML {cli:.2f} s "
                  f"(< {TARGETS['simulate from TOML']} s, "
                  f"{'ok' if cli < TARGETS['simulate from TOML'] else 'MISSED'}); "
                  f"file / code x{ratio:.2f} (<= {TARGETS['file / code']}, "
                  f"{'ok' if ratio <= TARGETS['file / code'] else 'MISSED'})")


if __name__ == "__main__":
    main()
