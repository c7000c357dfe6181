"""A real Ray cluster on 127.0.0.1 for the tests and bench/ray.py: a head and worker nodes,
each a `ray start` of this interpreter (so its workers import this duckstring), in a temp dir
of its own, ended by pid — never `ray stop`, which would end every Ray process on the machine.

Ray rewrites 127.0.0.1 to the machine's address once a second node joins unless every node is
started with `--node-ip-address 127.0.0.1`; the head's health check is lowered so a dead node
is seen in about a second."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.e2e.harness import free_port, processes_under

RAY_MAIN = "from ray.scripts.scripts import main; main()"
HEALTH = {"health_check_period_ms": 200, "health_check_failure_threshold": 3,
          "health_check_timeout_ms": 200, "health_check_initial_delay_ms": 0}


def available() -> str | None:
    """Why Ray tests cannot run here, or None."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return "ray is not installed (pip install 'duckstring[ray]')"
    return None


class Cluster:
    def __init__(self, env: dict[str, str] | None = None, cpus: int = 1) -> None:
        # short: Ray's unix sockets live under it (108 bytes at most)
        self.dir = Path(tempfile.mkdtemp(prefix="dsray", dir="/tmp"))
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.cpus = cpus
        self.env = {**os.environ, **(env or {}), "RAY_USAGE_STATS_ENABLED": "0",
                    "DUCKSTRING_WORK_DIR": str(self.dir / "work")}
        self.env.pop("RAY_ADDRESS", None)
        self.nodes: list[dict[str, object]] = []

    def _ray(self, *args: str) -> None:
        out = subprocess.run([sys.executable, "-c", RAY_MAIN, *args], env=self.env,
                             capture_output=True, text=True, timeout=120,
                             stdin=subprocess.DEVNULL)
        if out.returncode != 0:
            raise RuntimeError(f"ray {' '.join(args[:2])} failed:\n{out.stdout}\n{out.stderr}")

    @staticmethod
    def _ports() -> list[str]:
        """Every port Ray would otherwise take by default, free ones (other clusters run)."""
        return ["--dashboard-agent-listen-port", str(free_port()),
                "--dashboard-agent-grpc-port", str(free_port()),
                "--metrics-export-port", str(free_port()),
                "--runtime-env-agent-port", str(free_port())]

    def start_head(self, resources: dict[str, float] | None = None) -> None:
        self._ray("start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(self.port),
                  "--temp-dir", str(self.dir), "--num-cpus", str(self.cpus),
                  "--include-dashboard", "false", "--disable-usage-stats",
                  "--dashboard-port", str(free_port()),
                  "--ray-client-server-port", str(free_port()), *self._ports(),
                  "--resources", json.dumps({"head": 1, **(resources or {})}),
                  "--system-config", json.dumps(HEALTH))

    def add_worker(self, resources: dict[str, float] | None = None) -> None:
        before = set(self.raylets())
        self._ray("start", "--address", self.address, "--node-ip-address", "127.0.0.1",
                  "--num-cpus", str(self.cpus), "--resources", json.dumps(resources or {}),
                  "--disable-usage-stats", *self._ports())
        new = sorted(set(self.raylets()) - before)
        self.nodes.append({"raylet": new[0] if new else None, "resources": resources,
                           "id": self.node_id(new[0]) if new else None})

    @staticmethod
    def node_id(raylet: int) -> str | None:
        for arg in Path(f"/proc/{raylet}/cmdline").read_bytes().decode().split("\0"):
            if arg.startswith("--node_id="):
                return arg.partition("=")[2]
        return None

    def raylets(self) -> list[int]:
        return [pid for pid in processes_under(self.dir)
                if b"raylet" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]]

    def kill_worker(self, index: int = 0) -> int:
        """SIGKILL a worker node's raylet (the node dies; its workers follow)."""
        pid = self.nodes[index]["raylet"]
        assert isinstance(pid, int)
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        """End every process of this cluster (and the Ducks under it), by pid."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = processes_under(self.dir)
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + 10
            while processes_under(self.dir) and time.monotonic() < deadline:
                time.sleep(0.1)
        shutil.rmtree(self.dir, ignore_errors=True)

    def logs(self) -> list[Path]:
        return [p for p in self.dir.rglob("*") if p.is_file() and "work" not in p.parts]
