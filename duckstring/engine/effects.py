"""What the engine asks its caller to do. `BeginRun` is the one instruction it ever issues;
the others report how runs ended so the caller can record history and stop work."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BeginRun:
    """Begin Pond Run `(line, f)`. With `execute` false it is a no-change pass that is already
    complete (no Duck work); `force` tells the Duck to discard what it did at `f` before;
    `sources_changed` is what `pond.sources_changed()` answers inside the run."""

    line: str
    f: int
    execute: bool
    retries: int = 0
    force: bool = False
    sources_changed: bool = True


@dataclass(frozen=True)
class ResendRun:
    """Send run `(line, f)` to the line's Duck again: its Duck was lost and the run still has
    immediate budget, so a fresh Duck resumes it from its ledger (no new run begins)."""

    line: str
    f: int
    retries: int


@dataclass(frozen=True)
class RunCompleted:
    line: str
    f: int
    changed: bool
    passed: bool = False


@dataclass(frozen=True)
class RunFailed:
    line: str
    f: int
    error: str


@dataclass(frozen=True)
class RunKilled:
    line: str
    f: int
    reason: str = "killed"


@dataclass(frozen=True)
class StopWork:
    """Terminate the Duck's in-flight work for this line (kill)."""

    line: str


Effect = BeginRun | ResendRun | RunCompleted | RunFailed | RunKilled | StopWork
