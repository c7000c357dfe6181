"""Wall time of `duckstring --version` and `--help` side by side with the duckstring 0.7.0
release's CLI, a bare interpreter and the heavy imports the CLI defers (duckdb, pyarrow,
falcon, waitress). Target (issue 14): each at most half 0.7.0's time.

    python bench/cli_startup.py [-n 20] [--release-venv DIR]

0.7.0 is installed from the package index with pip into a throwaway venv (kept in DIR, by
default under the user cache, so later runs reuse it). The commands are timed interleaved,
round by round, so that load on the machine hits each of them alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path

RELEASE = "0.7.0"
TARGET = 0.5


def release_exe(folder: Path) -> Path:
    exe = folder / "bin" / "duckstring"
    if not exe.exists():
        print(f"installing duckstring {RELEASE} into {folder} …", file=sys.stderr)
        venv.create(folder, with_pip=True, clear=True)
        subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        f"duckstring=={RELEASE}"], check=True)
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    if RELEASE not in out.stdout:
        sys.exit(f"{exe} is not duckstring {RELEASE}: {out.stdout.strip()}")
    return exe


def once(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=20, help="rounds (each command once a round)")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    parser.add_argument("--release-venv", type=Path,
                        default=cache / "duckstring-bench" / f"duckstring-{RELEASE}")
    args = parser.parse_args()
    ours = str(Path(sys.executable).parent / "duckstring")  # the one installed with this Python
    old = str(release_exe(args.release_venv))
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "duckstring --version": [ours, "--version"],
        f"duckstring {RELEASE} --version": [old, "--version"],
        "duckstring --help": [ours, "--help"],
        f"duckstring {RELEASE} --help": [old, "--help"],
        "python -c 'import duckdb, pyarrow, falcon, waitress'":
            [sys.executable, "-c", "import duckdb, pyarrow, falcon, waitress"],
    }
    times: dict[str, list[float]] = {label: [] for label in cases}
    for cmd in cases.values():  # warm the file cache
        once(cmd)
    for _ in range(args.n):
        for label, cmd in cases.items():
            times[label].append(once(cmd))
    print(f"| command | median | best |  (n = {args.n})")
    print("|---|---|---|")
    for label, ts in times.items():
        print(f"| `{label}` | {statistics.median(ts) * 1000:.0f} ms | {min(ts) * 1000:.0f} ms |")
    print()
    for flag in ("--version", "--help"):
        new = statistics.median(times[f"duckstring {flag}"])
        ref = statistics.median(times[f"duckstring {RELEASE} {flag}"])
        verdict = "ok" if new / ref <= TARGET else "MISSED"
        print(f"duckstring {flag}: {new / ref:.2f} of {RELEASE}'s median (target ≤ {TARGET}) "
              f"{verdict}")


if __name__ == "__main__":
    main()
