"""Wall time of `duckstring --version` and `--help` against a bare interpreter and the heavy
imports the CLI defers (duckdb, pyarrow, falcon, waitress).

    python bench/cli_startup.py [-n 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def wall(cmd: list[str], n: int) -> tuple[float, float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=20, help="runs per command")
    n = parser.parse_args().n
    exe = str(Path(sys.executable).parent / "duckstring")  # the one installed with this Python
    cases = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("duckstring --version", [exe, "--version"]),
        ("duckstring --help", [exe, "--help"]),
        ("python -c 'import duckdb, pyarrow, falcon, waitress'",
         [sys.executable, "-c", "import duckdb, pyarrow, falcon, waitress"]),
    ]
    print(f"| command | median | best |  (n = {n})")
    print("|---|---|---|")
    for label, cmd in cases:
        median, best = wall(cmd, n)
        print(f"| `{label}` | {median * 1000:.0f} ms | {best * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
