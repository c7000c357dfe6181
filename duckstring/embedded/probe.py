"""Reading a Pond's Ripple topology at deploy time without trusting its module.

The module is imported in a child process (`python -m duckstring.embedded.probe PROJECT
RIPPLES`), which reports the declared Ripples as JSON; Ripple bodies never run, only the
module's top level. Whatever the module does — fail to parse or import, raise, exit, print,
hang, spawn threads — the server only ever sees a `ProbeError` with a one-line summary and the
full traceback text (→ 422).

The child writes its report to a private copy of stdout and points fd 1 at stderr first, so
whatever the module prints cannot corrupt the report.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from duckstring.engine.errors import TopologyError
from duckstring.engine.ripples import RippleSpec, order_ripples
from duckstring.manifest import Manifest
from duckstring.tracebacks import relative_paths

TIMEOUT_S = 30.0
MODULE_NAME = "pond_ripples"
_STDERR_TAIL = 64 * 1024
_REPORT_MAX = 4 << 20
_MARK = "DUCKSTRING_PROBE"
_ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TEMP", "TMP", "SYSTEMROOT",
             "VIRTUAL_ENV")


class ProbeError(ValueError):
    """A Ripple module whose topology cannot be read (→ 422, with the traceback)."""

    def __init__(self, message: str, traceback: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.traceback = traceback


def read_topology(
    project_dir: Path, manifest: Manifest, *, timeout: float = TIMEOUT_S
) -> list[RippleSpec]:
    """The Ripples declared by `manifest.ripples` under `project_dir`, in topological order."""
    project = Path(project_dir).absolute()
    label = manifest.ripples
    path = project / label
    if not path.is_file():
        raise ProbeError(f"{label} (ripples in pond.toml) does not exist in the project")
    if not path.resolve().is_relative_to(project.resolve()):
        raise ProbeError(f"{label} (ripples in pond.toml) points outside the project")
    report, stderr, code = _run_child(project, label, timeout)
    if report is None:
        stderr = relative_paths(stderr, project)
        why = _last_line(stderr)
        raise ProbeError(
            f"{label}: importing it ended the process (exit code {code})"
            + (f": {why}" if why else ""), stderr,
        )
    if not report.get("ok"):
        raise ProbeError(str(report.get("error") or f"{label}: failed"),
                         str(report.get("traceback") or ""))
    try:
        specs = [
            RippleSpec(str(r["name"]), tuple(str(p) for p in r["parents"]), bool(r["always_run"]))
            for r in report["ripples"]
        ]
        return order_ripples(specs)
    except TopologyError as e:
        raise ProbeError(f"{label}: {e}") from None
    except (KeyError, TypeError):
        raise ProbeError(f"{label}: the probe's report was malformed", stderr) from None


def _run_child(
    project: Path, label: str, timeout: float
) -> tuple[dict[str, Any] | None, str, int]:
    """Run the probe: its report (None if it gave none), the tail of its stderr, its exit code."""
    env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
    env.update(
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),  # this duckstring, installed or not
        PYTHONDONTWRITEBYTECODE="1",  # leave the deployed source exactly as uploaded
        PYTHONIOENCODING="utf-8",
        PYTHONUNBUFFERED="1",
    )
    env[_MARK] = uuid.uuid4().hex  # inherited by whatever the module starts: see _end
    # Files, not pipes: a grandchild that inherits them cannot make us wait forever.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "duckstring.embedded.probe", str(project), label],
            cwd=project, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
            start_new_session=os.name == "posix",
        )
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ProbeError(
                f"{label}: importing it took longer than {timeout:g} s; "
                "a Ripple module must not do work at import",
                relative_paths(_tail(err), project),
            ) from None
        finally:
            _end(child, env[_MARK])
        stderr = _tail(err)
        out.seek(0)
        raw = out.read(_REPORT_MAX)
    try:
        report = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        report = None
    return (report if isinstance(report, dict) else None), stderr, child.returncode


def _end(child: subprocess.Popen[bytes], mark: str) -> None:
    """Stop the probe and everything it started, even a daemon that left its session.

    The process group goes first (the probe leads its own session), then every process still
    carrying the probe's mark in its environment, until a pass finds none: a process killed
    between passes cannot fork again."""
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
    if child.poll() is None:
        child.kill()
    child.wait()
    needle = f"{_MARK}={mark}".encode()
    for _ in range(100):
        strays = [pid for pid in _pids() if needle in _environ(pid)]
        if not strays:
            return
        for pid in strays:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _pids() -> list[int]:
    try:
        return [int(n) for n in os.listdir("/proc") if n.isdigit()]
    except OSError:  # no /proc here: the process group is all we can end
        return []


def _environ(pid: int) -> list[bytes]:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return fh.read().split(b"\0")
    except OSError:  # gone, a zombie, or not ours
        return []


def _tail(fh: Any) -> str:
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    fh.seek(max(0, size - _STDERR_TAIL))
    return fh.read().decode("utf-8", "replace")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


# --- the child ------------------------------------------------------------------------------


def _probe(project: Path, label: str) -> dict[str, Any]:
    from duckstring.authoring import import_file, ripples_of
    from duckstring.tracebacks import user_traceback, where

    path = project / label
    try:
        module = import_file(path, project, MODULE_NAME)
        ripples = ripples_of(module)
    except BaseException as e:  # SystemExit and KeyboardInterrupt too: report, never crash
        error = relative_paths(f"{where(e, project) or label}: {_summary(e)}", project)
        return {"ok": False, "error": error, "traceback": user_traceback(e, project)}
    if not ripples:
        return {"ok": False, "traceback": "",
                "error": f"{label}: declares no Ripples; decorate at least one function "
                         "with @ripple"}
    specs = [RippleSpec(r.name, r.parents, r.always_run) for r in ripples]
    try:
        order_ripples(specs)
    except TopologyError as e:
        return {"ok": False, "error": f"{label}: {e}", "traceback": ""}
    return {"ok": True, "ripples": [
        {"name": s.name, "parents": list(s.parents), "always_run": s.always_run} for s in specs
    ]}


def _summary(e: BaseException) -> str:
    if isinstance(e, SystemExit):
        return f"the module called sys.exit({e.code!r}) at import"
    if isinstance(e, SyntaxError):
        return f"{type(e).__name__}: {e.msg}"
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def main(argv: list[str]) -> None:
    report_fd = os.dup(1)
    os.dup2(2, 1)  # anything the module prints goes to stderr
    sys.stdout = sys.stderr
    project, label = Path(argv[0]), argv[1]
    report = _probe(project, label)
    data = json.dumps(report).encode("utf-8")
    view = memoryview(data)
    while view:
        view = view[os.write(report_fd, view):]
    sys.stderr.flush()
    os._exit(0)  # skip atexit handlers and non-daemon threads the module may have started


if __name__ == "__main__":
    main(sys.argv[1:])
