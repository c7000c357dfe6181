"""A registered local Catchment that is not running is started inside the command, used, and
shut down when the command ends — pulse, failure, concurrent commands, download."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from duckstring.config import Config
from duckstring.embedded.root_lock import lock_root
from duckstring.layout import Layout
from duckstring.session import Session, root_identity
from tests.commands.conftest import Cli, assert_nothing_running, local_demo, make_cli, stop
from tests.e2e.harness import free_port

BROKEN = '''
from duckstring import ripple


@ripple
def monthly_summary(pond):
    pond.read_table("sales.sale_line")
    return 1 / 0
'''


@dataclass
class Local:
    cli: Cli
    root: Path
    port: int

    def status(self, *args: str) -> dict[str, dict[str, Any]]:
        doc = json.loads(self.cli.ok("status", "--json", *args).out)
        return {p["name"]: p for p in doc["ponds"]}


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Local]:
    cli = make_cli(tmp_path_factory.mktemp("ondemand"))
    root, port = local_demo(cli)
    assert_nothing_running(root)
    yield Local(cli, root, port)
    assert_nothing_running(root)


def test_pulse_starts_the_catchment_settles_and_leaves_nothing_running(local: Local) -> None:
    r = local.cli.ok("trigger", "pulse", "reports")
    assert "started the local Catchment 'dev' for this command" in r.err
    assert "✓ reports@1 is fresh as of" in r.out
    target = re.search(r"Pulse reports@1 → fresh as of (\S+)", r.out).group(1)  # type: ignore[union-attr]
    assert_nothing_running(local.root)

    ponds = local.status()
    assert all(p["status"] == "idle" for p in ponds.values())
    assert ponds["reports"]["end_f"] >= target
    rows = local.cli.ok("query", "reports", "monthly_summary").out
    assert "monthly_summary" in rows and re.search(r"\d{4}-\d{2}-01", rows)
    assert_nothing_running(local.root)


def test_a_standing_trigger_set_on_demand_says_it_persists(local: Local) -> None:
    r = local.cli.ok("trigger", "wave", "reports", "--silent")
    assert "runs whenever the Catchment runs" in r.err
    assert local.status()["reports"]["trigger"] == {"type": "wave"}
    local.cli.ok("trigger", "remove", "reports")
    assert local.status()["reports"]["trigger"] is None


def read_until(proc: subprocess.Popen[str], text: str) -> str:
    seen = ""
    assert proc.stdout is not None
    while text not in seen:
        line = proc.stdout.readline()
        assert line, f"the command ended before printing {text!r}: {seen}"
        seen += line
    return seen


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_standing_view_closes_on_a_signal_and_the_trigger_stays(local: Local, sig: int) -> None:
    proc = local.cli.popen("trigger", "wave", "reports")
    read_until(proc, "Wave on reports@1")
    read_until(proc, "reports@1")  # the first progress line: the view is following
    code, _, err = stop(proc, sig)
    assert code == 0, err
    assert_nothing_running(local.root)
    assert local.status()["reports"]["trigger"] == {"type": "wave"}
    local.cli.ok("trigger", "remove", "reports")

    view = local.cli.popen("status")
    read_until(view, "reports@1")
    code, _, err = stop(view, sig)
    assert code == 0, err
    assert_nothing_running(local.root)


def test_two_commands_at_once_share_or_wait(local: Local) -> None:
    first = local.cli.popen("trigger", "pulse", "reports")
    time.sleep(0.3)
    second = local.cli.popen("trigger", "pulse", "reports")
    for proc in (first, second):
        out, err = proc.communicate(timeout=100)
        assert proc.returncode == 0, f"{out}\n{err}"
        assert "✓ reports@1 is fresh" in out
    assert_nothing_running(local.root)


def test_a_second_process_waits_for_the_first_ones_server(local: Local) -> None:
    """While another process owns the root (its lock held) and its server is not up yet, the
    session waits for it instead of failing, then talks to it."""
    reg = Config.load(local.cli.home / "config.toml").get("dev")
    ident = root_identity(local.root)

    def app(environ: dict[str, Any], start: Any) -> list[bytes]:
        body = {"/api/health": {"status": "ok"}, "/api/catchment": {"id": ident}}.get(
            environ["PATH_INFO"], {})
        start("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    servers: list[Any] = []

    def serve_later() -> None:
        servers.append(make_server("127.0.0.1", local.port, app, handler_class=Quiet))
        servers[0].serve_forever()

    import duckstring.embedded.app  # noqa: F401 - imported now, so only the wait takes time

    lock = lock_root(Layout(local.root).lock)
    later = threading.Timer(1.5, serve_later)
    notes: list[str] = []
    try:
        later.start()
        started = time.monotonic()
        session = Session(reg, notes.append).connect()
        assert time.monotonic() - started >= 1.4
        assert not session.on_demand
        assert any("waiting for its server" in n for n in notes), notes
        session.close()
    finally:
        later.cancel()
        while later.is_alive() and not servers:
            time.sleep(0.05)
        for server in servers:
            server.shutdown()
            server.server_close()
        later.join()
        lock.release()


def test_a_failing_ripple_exits_1_with_its_traceback(local: Local, tmp_path: Path) -> None:
    broken = tmp_path / "reports"
    (broken / "src").mkdir(parents=True)
    (broken / "pond.toml").write_text(
        (local.cli.base / "demo/reports/pond.toml").read_text().replace('"1.0.0"\ntype', '"1.1.0"\ntype'))
    (broken / "src/pond.py").write_text(BROKEN)
    local.cli.ok("pond", "deploy", str(broken))

    r = local.cli("trigger", "pulse", "reports")
    assert r.code == 1, r
    assert "reports@1 failed in Ripple monthly_summary (attempt 1): ZeroDivisionError" in r.err
    assert "Traceback (most recent call last)" in r.err and "return 1 / 0" in r.err
    assert_nothing_running(local.root)
    history = local.cli.ok("runs", "reports", "--failed").out
    assert "ZeroDivisionError" in history and "return 1 / 0" in history

    # wake clears the failure and runs it again: it fails again, the same way
    r = local.cli("control", "wake", "reports")
    assert r.code == 1 and "ZeroDivisionError" in r.err

    local.cli.ok("pond", "deploy", str(local.cli.base / "demo/reports"), "-y")  # back to 1.0.0
    local.cli.ok("trigger", "pulse", "reports")
    assert_nothing_running(local.root)


def test_download_then_start_the_copy_gives_the_same_status_and_data(local: Local) -> None:
    cli = local.cli
    r = cli.ok("catchment", "download", "--path", "copy", "-y")
    assert "verified" in r.out
    assert_nothing_running(local.root)
    again = cli("catchment", "download", "--path", "copy")  # no terminal, no -y: refused
    assert again.code == 2 and "-y" in again.err

    cli.ok("catchment", "init", "-n", "copy", "--root", str(cli.base / "copy"),
           "-p", str(free_port()), "--no-start")

    def view(name: str) -> dict[str, tuple[Any, ...]]:
        ponds = local.status("-c", name)
        return {n: (p["version"], p["end_f"], p["changed_f"], p["runs_completed"], p["status"])
                for n, p in ponds.items()}

    assert view("copy") == view("dev")
    sql = ["--sql", "SELECT * FROM monthly_summary ORDER BY ALL", "--json", "-"]
    assert cli.ok("query", "reports", *sql, "-c", "copy").out == \
        cli.ok("query", "reports", *sql, "-c", "dev").out
    assert_nothing_running(cli.base / "copy")
