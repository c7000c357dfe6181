"""Idle Ducks (issue 8 item 9): how much memory a Duck holds at rest, and whether idle Ducks
stop after the idle period (docs/operating.md §3).

A real Catchment (`python -m duckstring.embedded`) with the four demo Ponds at
`DUCKSTRING_DEMO_SPEED=0`: one Pulse of `reports` runs every line once, then the Ducks sit with
no work and no standing trigger. We read each Duck's resident memory (`VmRSS` in
/proc/PID/status) once it is at rest (`DUCKSTRING_DUCK_REST_S` after its run), then wait for
the idle period (`DUCKSTRING_DUCK_IDLE_S`) and see whether every Duck has gone.

Before and after, in one run: RSS right after the run (what a Duck kept for good before it
learnt to shed memory at rest) beside RSS at rest. Targets: a Duck at rest ≤ 60 MB RSS; idle
Ducks stop.

Run: `python bench/idle.py` (about 20 s), `--json` for the figures as JSON. `measure()` answers
the same figures as a dict (bench/load.py calls it).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from duckstring.demo import write_demo  # noqa: E402
from duckstring.packaging import pack_project  # noqa: E402
from tests.e2e.harness import alive, free_port, rss_mb  # noqa: E402

DEMO = ("transactions", "products", "sales", "reports")
TARGET_MB = 60.0


def _duck_pids(root: Path) -> dict[str, int]:
    """Live Ducks on `root` by line, from their command lines (`--root R --line L`)."""
    pids = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if "duckstring.duck" in argv and str(root) in argv and "--line" in argv \
                and alive(int(entry.name)):
            pids[argv[argv.index("--line") + 1]] = int(entry.name)
    return pids


def _wait(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    raise SystemExit(f"bench/idle.py: timed out waiting for {what}")


def measure(idle_s: float = 12.0, rest_s: float = 2.0) -> dict[str, Any]:
    """Run the scenario once; the figures as a dict (MB, seconds). `rest_s` is the Ducks'
    `DUCKSTRING_DUCK_REST_S`: RSS is read 5 s after it has passed (a re-exec waits for the poll in flight)."""
    with tempfile.TemporaryDirectory(prefix="duckstring-idle-") as tmp:
        base = Path(tmp)
        root = base / "root"
        write_demo(base / "demo")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DUCKSTRING_")}
        env.update(DUCKSTRING_DEMO_SPEED="0", DUCKSTRING_DUCK_IDLE_S=str(idle_s),
                   DUCKSTRING_DUCK_REST_S=str(rest_s), DUCKSTRING_HOME=str(base / "home"))
        with open(base / "catchment.log", "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "duckstring.embedded", "--root", str(root),
                 "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                def up() -> bool:
                    try:
                        return client.get("/api/health").status_code == 200
                    except httpx.HTTPError:
                        return False

                _wait(up, 30, "the Catchment")
                for name in DEMO:
                    project = base / "demo" / name
                    r = client.post("/api/deploy", files={
                        "manifest": ("pond.toml", (project / "pond.toml").read_bytes()),
                        "archive": ("project.zip", pack_project(project), "application/zip")})
                    r.raise_for_status()
                target = client.post("/api/ponds/reports/pulse").json()["target"]

                def settled() -> bool:
                    ponds = client.get("/api/status").json()["ponds"]
                    return all(p["status"] == "idle" and (p["end_f"] or 0) >= target
                               for p in ponds if p["name"] == "reports")

                _wait(settled, 60, "the Pulse to settle")
                settled_at = time.monotonic()
                # before: what a Duck holds after its run — and, before the rest re-exec, kept
                after_run = {name: rss_mb(pid) or 0.0
                             for name, pid in sorted(_duck_pids(root).items())}
                time.sleep(rest_s + 5)  # at rest: leaving takes a poll and a flush
                pids = _duck_pids(root)
                rss = {name: rss_mb(pid) or 0.0 for name, pid in sorted(pids.items())}
                stopped = None
                try:
                    _wait(lambda: not _duck_pids(root), idle_s + 30, "idle Ducks to stop")
                    stopped = time.monotonic() - settled_at
                except SystemExit:
                    pass
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
            for pid in _duck_pids(root).values():
                os.kill(pid, signal.SIGKILL)
    values = list(rss.values())
    before = list(after_run.values())
    return {
        "rss_after_run_mb": after_run,
        "rss_after_run_median_mb": round(statistics.median(before), 1) if before else None,
        "ducks": len(values),
        "rss_mb": rss,
        "rss_median_mb": round(statistics.median(values), 1) if values else None,
        "rss_max_mb": round(max(values), 1) if values else None,
        "target_mb": TARGET_MB,
        "idle_s": idle_s,
        "rest_s": rest_s,
        "idle_ducks_stopped": stopped is not None,
        "stopped_after_s": None if stopped is None else round(stopped, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle-s", type=float, default=12.0, help="the Ducks' idle period")
    parser.add_argument("--rest-s", type=float, default=2.0,
                        help="how long a Duck waits after a run before it sheds its memory")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = measure(args.idle_s, args.rest_s)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"Ducks at rest: {figures['ducks']}  "
          + "  ".join(f"{k} {v:.1f} MB" for k, v in figures["rss_mb"].items()))
    print(f"RSS median {figures['rss_median_mb']} MB, max {figures['rss_max_mb']} MB "
          f"(target ≤ {TARGET_MB:g} MB); right after the run (what a Duck kept before it "
          f"shed its memory at rest): median {figures['rss_after_run_median_mb']} MB")
    if figures["idle_ducks_stopped"]:
        print(f"idle Ducks stopped {figures['stopped_after_s']} s after the Pulse settled "
              f"(idle period {figures['idle_s']:g} s)")
    else:
        print(f"idle Ducks did NOT stop within {figures['idle_s'] + 30:g} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
