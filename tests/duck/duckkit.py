"""Helpers for the Duck tests: tiny Pond projects written into a root as deployed versions,
an in-memory Duck channel, and a worker running on a thread."""

from __future__ import annotations

import queue
import shutil
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from duckstring.duck.channel import Unreachable, Verdict
from duckstring.duck.worker import DuckSettings, Worker
from duckstring.layout import Layout

F1 = 1_767_600_000_000  # 2026-01-05T08:00:00Z
F2 = F1 + 60_000
F3 = F2 + 60_000


def deploy(layout: Layout, name: str, version: str, ripples: str, sources: str = "",
           kind: str = "pond", retries: int = 0) -> Path:
    """Write a deployed version `ponds/{name}/{version}/` with the given Ripple module."""
    d = layout.version_dir(name, version)
    (d / "src").mkdir(parents=True, exist_ok=True)
    if kind == "pond" and not sources:
        kind = "inlet"
    toml = f'[pond]\nname = "{name}"\nversion = "{version}"\ntype = "{kind}"\n'
    toml += f"immediate_retries = {retries}\n"
    if sources:
        toml += f"\n[sources]\n{sources}\n"
    (d / "pond.toml").write_text(toml)
    (d / "src" / "pond.py").write_text(textwrap.dedent(ripples))
    return d


def deploy_dir(layout: Layout, project: Path) -> Path:
    from duckstring import manifest

    m = manifest.load(project)
    d = layout.version_dir(m.name, str(m.version))
    shutil.copytree(project, d, dirs_exist_ok=True)
    return d


class FakeChannel:
    """Speaks duckstring/protocol.py in memory: jobs are queued by the test, events recorded."""

    def __init__(self, heartbeat_s: float = 5.0) -> None:
        self.jobs_q: queue.Queue[dict[str, Any]] = queue.Queue()
        self.events: list[dict[str, Any]] = []
        self.batches = 0
        self.heartbeat_s = heartbeat_s
        self.down = False  # posts are not accepted and polls fail
        self.lock = threading.Lock()

    # the test side
    def acked(self) -> str:
        return ""  # jobs here are not numbered

    def send(self, *jobs: dict[str, Any]) -> None:
        for job in jobs:
            self.jobs_q.put(job)

    def of(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.events if e["type"] == kind]

    def wait_for(self, pred: Callable[[list[dict[str, Any]]], bool], timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if pred(list(self.events)):
                    return
            time.sleep(0.01)
        raise AssertionError(f"timed out; events so far: {self.events}")

    # the Duck side
    def jobs(self, wait: float) -> tuple[list[dict[str, Any]], float | None, float]:
        if self.down:
            time.sleep(0.02)
            raise Unreachable("down")
        try:
            first = self.jobs_q.get(timeout=min(wait, 0.05))
        except queue.Empty:
            return [], self.heartbeat_s, 0.0
        out = [first]
        while not self.jobs_q.empty():
            out.append(self.jobs_q.get_nowait())
        return out, self.heartbeat_s, 0.0

    def post(self, events: list[dict[str, Any]]) -> Verdict:
        if self.down:
            return Verdict.RETRY
        with self.lock:
            self.batches += 1
            for e in events:
                key = (e["type"], e.get("f"), e.get("ripple"), e.get("attempt"))
                if e["type"] != "heartbeat" and any(
                    (x["type"], x.get("f"), x.get("ripple"), x.get("attempt")) == key
                    for x in self.events
                ):
                    continue  # replay is idempotent
                self.events.append(e)
        return Verdict.OK


class Running:
    """A Worker on a background thread, with its fake channel."""

    def __init__(self, layout: Layout, name: str, channel: FakeChannel, **settings: Any) -> None:
        self.reexecs: list[bool] = []
        self.worker = Worker(
            layout, name, 1, channel, channel,  # type: ignore[arg-type]
            settings=DuckSettings(**{"tick_s": 0.02, **settings}),
            reexec=lambda: self.reexecs.append(True),
        )
        self.channel = channel
        self.code: int | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.code = self.worker.run()

    def stop(self, timeout: float = 10) -> int | None:
        if self.thread.is_alive():
            self.channel.send({"type": "shutdown"})
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the worker did not stop"
        self.worker.pool.shutdown(wait=True, cancel_futures=True)
        self.worker.publisher.shutdown(wait=True)
        return self.code


def begin(f: int, version: str = "1.0.0", retries: int = 0, force: bool = False,
          sources_changed: bool = True, digest: str = "") -> dict[str, Any]:
    from duckstring import protocol

    return protocol.begin_run(f, version, retries, force, sources_changed, digest)
