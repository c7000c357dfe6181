"""The Ray side of a Duck (docs/scale.md): a detached actor, one per line, that starts the
remote-mode Duck (`duckstring.duck.remote`) as its child and reports on it. Runs on the Ray
workers, so it imports only the standard library (and the remote Duck's command on start).

- The child gets the dial-back address and a one-time bootstrap credential in its own
  environment (never argv, never Ray's `runtime_env`, which Ray writes to its logs); its token
  and secrets come over the dial-back channel.
- The child dies with the actor (PR_SET_PDEATHSIG), so `ray.kill` or a dead node never leaves
  an orphan; the actor leaves as soon as its child has (the Duck stopped when idle or told to).
- Its work directory is per node (`$DUCKSTRING_WORK_DIR`, else the temp dir), so the line's
  registry and ledger stay where the Duck runs and two nodes sharing a disk never share them.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

PR_SET_PDEATHSIG = 1
LEAVE_AFTER_S = 1.0  # the actor's grace after its child exits (its last answers go out)


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def work_dir(scope: str, line: str, node: str) -> Path:
    base = Path(os.environ.get("DUCKSTRING_WORK_DIR") or Path(tempfile.gettempdir()) / "duckstring-work")
    return base / node[:12] / scope / line.replace("@", "-m")


class DuckActor:
    """Created with `max_concurrency` above 1: `wait_exit` blocks while the others answer."""

    def __init__(self, line: str, scope: str, env: dict[str, str],
                 argv: list[str] | None = None) -> None:
        import ray

        ctx = ray.get_runtime_context()
        self.node_id = ctx.get_node_id()
        self.node = f"{socket.gethostname()} ({self.node_id[:8]})"
        self.work = work_dir(scope, line, self.node_id)
        self.work.mkdir(parents=True, exist_ok=True)
        if argv is None:
            from duckstring.duck.remote import command

            argv = command(line, self.work)
        self.code: int | None = None
        self.error = ""
        self.done = threading.Event()
        started = threading.Event()
        # The child's death signal follows the thread that forked it: a thread that lives as
        # long as the child starts and waits for it.
        self.proc: subprocess.Popen[bytes] | None = None
        threading.Thread(target=self._run, args=(argv, env, started), daemon=True).start()
        started.wait()
        if self.proc is None:
            raise RuntimeError(f"could not start the Duck: {self.error}")

    def _run(self, argv: list[str], env: dict[str, str], started: threading.Event) -> None:
        try:
            with open(self.work / "duck.log", "ab") as log:
                self.proc = subprocess.Popen(
                    argv, env={**os.environ, **env}, cwd=self.work, stdin=subprocess.DEVNULL,
                    stdout=log, stderr=subprocess.STDOUT, close_fds=True,
                    preexec_fn=_die_with_parent)
        except OSError as e:
            self.error = str(e)
            started.set()
            return
        started.set()
        self.code = self.proc.wait()
        self.done.set()
        threading.Timer(LEAVE_AFTER_S, os._exit, (0,)).start()

    def info(self) -> dict[str, Any]:
        assert self.proc is not None
        return {"pid": self.proc.pid, "node": self.node, "node_id": self.node_id,
                "exited": self.done.is_set(), "work": str(self.work)}

    def wait_exit(self) -> int | None:
        self.done.wait()
        return self.code

    def versions(self) -> dict[str, Any]:
        """`duck check` on the node this Duck runs on."""
        from duckstring.duck.versions import found

        return found()

    def signal(self, sig: int) -> None:
        if self.proc is not None and not self.done.is_set():
            with contextlib.suppress(OSError):
                self.proc.send_signal(sig)

