"""`python -m duckstring.duck` as a real process: the line lock, its environment, and one run
through a tiny HTTP server that speaks duckstring/protocol.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from duckstring import protocol
from duckstring.duck import line_lock
from tests.duck.duckkit import F1, deploy

pytestmark = pytest.mark.timeout(60)
TOKEN = "duck-secret"


def duck(root: Path, env: dict[str, str], line: str = "p@1") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "duckstring.duck", "--root", str(root), "--line", line],
        env={**os.environ, **env}, stderr=subprocess.PIPE, text=True,
    )


def test_a_second_duck_for_a_line_exits_at_once(layout):
    held = line_lock.acquire(layout.duck_lock("p", 1))
    assert held is not None
    try:
        p = duck(layout.root, {protocol.URL_ENV: "http://127.0.0.1:9"})
        _, err = p.communicate(timeout=20)
        assert p.returncode == 0
        assert f"p@1 already has a Duck (pid {os.getpid()})" in err
    finally:
        held.close()


def test_the_catchment_address_is_required(layout):
    env = {k: v for k, v in os.environ.items() if k != protocol.URL_ENV}
    p = subprocess.run([sys.executable, "-m", "duckstring.duck", "--root", str(layout.root),
                        "--line", "p@1"], env=env, capture_output=True, text=True, timeout=20)
    assert p.returncode == 2 and protocol.URL_ENV in p.stderr


class Catchment(BaseHTTPRequestHandler):
    """Just enough of the Duck channel: hands out queued jobs, records events."""

    jobs: list[dict] = []
    events: list[dict] = []
    auth: set[str] = set()
    lock = threading.Lock()

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, body: dict) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the Duck left while its long-poll was open

    def do_GET(self) -> None:
        self.auth.add(self.headers.get("Authorization", ""))
        assert self.path.startswith(protocol.jobs_path("p", 1) + "?wait=")
        with self.lock:
            jobs, Catchment.jobs = Catchment.jobs, []
        if not jobs:
            time.sleep(0.05)
        self._answer({"jobs": jobs, "heartbeat_s": 1})

    def do_POST(self) -> None:
        self.auth.add(self.headers.get("Authorization", ""))
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        for e in body["events"]:
            assert protocol.check_event(e) is None, e
        with self.lock:
            self.events.extend(body["events"])
            if any(e["type"] == "run_finished" for e in body["events"]):
                Catchment.jobs.append({"type": "shutdown"})
        self._answer({"ok": True})


def test_one_run_over_http(layout):
    deploy(layout, "p", "1.0.0", """
        from duckstring import ripple

        @ripple
        def only(pond):
            pond.log.warning("hello from %s", pond.name)
            pond.write_table("t", pond.con.sql("SELECT 1 AS x"))
    """)
    Catchment.jobs = [protocol.begin_run(F1, "1.0.0", 0, False, True)]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Catchment)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        p = duck(layout.root, {protocol.URL_ENV: url, protocol.TOKEN_ENV: TOKEN})
        _, err = p.communicate(timeout=30)
    finally:
        server.shutdown()
        server.server_close()
    assert p.returncode == 0, err
    kinds = [e["type"] for e in Catchment.events if e["type"] != "heartbeat"]
    assert kinds == ["ripple_started", "ripple_succeeded", "run_finished"]
    assert "WARNING hello from p" in Catchment.events[1]["log"]
    assert Catchment.auth == {f"Bearer {TOKEN}"}
    assert TOKEN not in err  # never logged
    assert "hello from p" in err  # Ripple logs reach duck.log too
    assert (layout.data_dir("p", 1) / "t" / "_delta_log").is_dir()
    assert line_lock.holder(layout.duck_lock("p", 1)) == p.pid
