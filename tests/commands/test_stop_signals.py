"""`duckstring catchment start` and a Catchment a command started on demand, stopped with
SIGTERM or SIGINT mid-run (issue 8 item 4): every Duck is gone within a few seconds, and the
root is free."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.commands.conftest import Cli, answers, stop
from tests.e2e.conftest import write_pond
from tests.e2e.harness import free_port, processes_under, wait_until
from tests.e2e.test_signals import GATED, STOP_WITHIN_S


def _second_running(url: str) -> bool:
    try:
        doc = httpx.get(f"{url}/api/status", timeout=5).json()
    except httpx.HTTPError:
        return False
    return any(r["name"] == "second" and r["running"]
               for p in doc["ponds"] if p["name"] == "steady" for r in p["ripples"])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("how", ["catchment-start", "on-demand"])
def test_a_signal_mid_run_stops_the_catchment_and_every_duck(
        cli: Cli, tmp_path: Path, how: str, sig: int) -> None:
    cli.env["GATE_FILE"] = str(tmp_path / "gate")  # never opened: the Ripple runs on
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cli.ok("catchment", "init", "-n", "dev", "-p", str(port), "--no-start", "-y")
    cli.ok("pond", "deploy", str(write_pond(tmp_path, "steady", "1.0.0", GATED, kind="inlet")),
           "-y")
    if how == "catchment-start":
        proc = cli.popen("catchment", "start", "dev")
        wait_until(lambda: answers(url), 30, what="catchment start to serve")
        cli.ok("trigger", "pulse", "steady", "--silent")
    else:  # the command starts the Catchment for itself and follows the run
        proc = cli.popen("trigger", "pulse", "steady")
    wait_until(lambda: _second_running(url), 60, what="the second Ripple to run")
    began = time.monotonic()
    code, _, err = stop(proc, sig, timeout=STOP_WITHIN_S + 20)
    took = time.monotonic() - began
    assert took < STOP_WITHIN_S, f"stopping took {took:.1f} s: {err}"
    if how == "catchment-start":
        assert code == 0, err
    assert processes_under(cli.home / "dev") == [], "a Duck outlived its Catchment"
    assert not answers(url)


def test_ctrl_c_stops_catchment_start_even_when_sigint_was_inherited_ignored(
        cli: Cli, tmp_path: Path) -> None:
    """Started in the background of a non-interactive shell (a script's `cmd &`, or a test
    run started that way), a process inherits SIGINT ignored and Python leaves it so: Ctrl+C
    then stopped nothing, and `catchment start` had to be killed."""
    import subprocess
    import sys

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cli.ok("catchment", "init", "-n", "dev", "-p", str(port), "--no-start", "-y")
    proc = subprocess.Popen(
        [sys.executable, "-m", "duckstring", "catchment", "start", "dev"], cwd=cli.base,
        env=cli.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    wait_until(lambda: answers(url), 30, what="catchment start to serve")
    code, _, err = stop(proc, signal.SIGINT, timeout=STOP_WITHIN_S)
    assert code == 0, err
    assert not answers(url)
