"""The terminal: stdout and stderr consoles, notes, warnings, the one-line error report and
confirmations. Off a terminal (CI, pipes) rich turns colour off by itself; prompts are never
shown there: a question without `-y` is a refusal with a one-line reason."""

from __future__ import annotations

import functools
import os
import sys
from typing import TYPE_CHECKING

from duckstring.cli_errors import USAGE, CliError

if TYPE_CHECKING:
    from rich.console import Console

WIDE = 120


@functools.cache
def _console(stderr: bool) -> Console:
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = WIDE  # logs and pipes do not wrap at 80
    return console


def out() -> Console:
    return _console(False)


def err() -> Console:
    return _console(True)


def reset() -> None:
    """Forget the consoles (tests swap sys.stdout/sys.stderr between invocations)."""
    _console.cache_clear()


def note(message: str) -> None:
    """A side remark on stderr (dim on a terminal), so stdout stays clean for data."""
    err().print(message, style="dim", markup=False, soft_wrap=True)


def warn(message: str) -> None:
    err().print(f"[yellow]warning:[/] {escape(message)}", soft_wrap=True)


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def report(error: CliError) -> None:
    """`error: …` on one line, then the details and a hint."""
    console = err()
    console.print(f"[bold red]error:[/] {escape(error.message)}", soft_wrap=True)
    for line in error.details:
        console.print(f"  {line}" if line else "", markup=False, soft_wrap=True)
    if error.hint:
        console.print(f"hint: {error.hint}", style="dim", markup=False, soft_wrap=True)


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def confirm(question: str, *, yes: bool, default: bool = False, refusal: str = "") -> bool:
    """`-y` answers yes; a terminal asks; anything else is a refusal (CliError, exit 2) when
    `refusal` says why, else a plain no."""
    if yes:
        return True
    if not interactive():
        if refusal:
            raise CliError(refusal, USAGE)
        return False
    from rich.prompt import Confirm

    return Confirm.ask(question, default=default, console=err())


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def say(message: str) -> None:
    """A plain line on stdout: no markup, never wrapped."""
    out().print(message, markup=False, soft_wrap=True)
