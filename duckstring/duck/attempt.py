"""One Ripple attempt on a pool thread: call the author's function, capture its log lines, and
turn an exception into the one-line `error` and the formatted `traceback` the events carry —
each with the Duck's secrets masked (`***`, duckstring/redact.py) before it goes anywhere."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from duckstring.redact import Redactor, from_environ
from duckstring.tracebacks import relative_paths, user_traceback

LOG_LIMIT = 64 * 1024  # keep the tail: an attempt's log travels inside one event
ERROR_LIMIT = 1000
PARENT_LOGGER = "duckstring.pond"


class Capture(logging.Handler):
    """Collects the formatted records of one attempt."""

    def __init__(self, project: Path | None = None) -> None:
        super().__init__(logging.DEBUG)
        self.project = project
        self.lines: list[str] = []
        self.size = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            at = datetime.fromtimestamp(record.created, tz=timezone.utc).strftime("%H:%M:%S.%f")
            line = f"{at[:-3]} {record.levelname} {record.getMessage()}"
            if record.exc_info and record.exc_info[1] is not None:
                line += "\n" + user_traceback(record.exc_info[1], self.project)
        except Exception:  # a bad format string must not fail the Ripple
            self.handleError(record)
            return
        self.lines.append(line)
        self.size += len(line) + 1
        while self.size > LOG_LIMIT and len(self.lines) > 1:
            self.size -= len(self.lines.pop(0)) + 1

    def text(self) -> str:
        return "\n".join(self.lines)


def attempt_logger(pond: str, ripple: str,
                   project: Path | None = None) -> tuple[logging.Logger, Capture]:
    """A logger for one attempt. It is created directly (not via `getLogger`) so it is not kept
    forever in logging's registry; it still propagates to the Duck's stderr via its parent."""
    logger = logging.Logger(f"{PARENT_LOGGER}.{pond}.{ripple}", logging.INFO)
    logger.parent = logging.getLogger(PARENT_LOGGER)
    capture = Capture(project)
    logger.addHandler(capture)
    return logger, capture


@dataclass(frozen=True)
class Outcome:
    ok: bool
    skipped: bool = False
    error: str | None = None
    traceback: str | None = None
    log: str = ""


@functools.cache
def redactor() -> Redactor:
    """The secrets this Duck was launched with (its environment does not change)."""
    return from_environ(os.environ)


def one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    line = f"{type(e).__name__}: {text}" if text else type(e).__name__
    return line if len(line) <= ERROR_LIMIT else line[: ERROR_LIMIT - 1] + "…"


def invoke(func: Callable[[Any], Any], handle: Any, capture: Capture,
           project: Path | None = None) -> Outcome:
    """Call a Ripple; its traceback shows paths relative to `project` (tracebacks.py)."""
    redact = redactor()
    try:
        func(handle)
    except BaseException as e:  # SystemExit or KeyboardInterrupt in a Ripple is its failure too
        return Outcome(False, error=redact(relative_paths(one_line(e), project)),
                       traceback=redact(user_traceback(e, project)), log=redact(capture.text()))
    finally:
        handle._close()
    return Outcome(True, skipped=handle._skipped, log=redact(capture.text()))
