"""Tracebacks as a Pond's author reads them — the one place that shapes them, for the deploy
probe, the Duck's Ripple attempts and local runs.

Kept: the author's frames and those of the libraries they call. Dropped: duckstring's own frames
and the import machinery's (`<frozen importlib…>`), which say nothing about the author's code.
Paths inside the project are shown relative to it (`src/pond.py`), in frames and messages alike,
so neither the server's temporary deploy directory nor its root appears.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterator
from pathlib import Path

_OWN = str(Path(__file__).resolve().parent) + os.sep


def user_traceback(e: BaseException, project: Path | None = None) -> str:
    """`e` formatted with its cause and context, cleaned as above."""
    te = traceback.TracebackException.from_exception(e)
    bases = _bases(project)
    for t in _chain(te):
        t.stack = traceback.StackSummary.from_list([f for f in t.stack if _authors(f.filename)])
        if getattr(t, "filename", None):  # a SyntaxError's own location
            t.filename = _relative(t.filename, bases)
    return relative_paths("".join(te.format()).rstrip(), project)


def where(e: BaseException, project: Path) -> str | None:
    """`src/pond.py:12`: the innermost place in the project that `e` passed through."""
    bases = _bases(project)
    if isinstance(e, SyntaxError) and e.filename and _inside(e.filename, bases):
        return f"{_relative(e.filename, bases)}:{e.lineno}"
    frames = [f for f in traceback.extract_tb(e.__traceback__) if _inside(f.filename, bases)]
    return f"{_relative(frames[-1].filename, bases)}:{frames[-1].lineno}" if frames else None


def relative_paths(text: str, project: Path | None) -> str:
    """`text` with every mention of the project's directory cut to a relative path."""
    for base in _bases(project):
        text = text.replace(base, "")
    return text


def _bases(project: Path | None) -> list[str]:
    if project is None:
        return []
    forms = {str(Path(project).absolute()), str(Path(project).resolve())}
    return sorted((f.rstrip(os.sep) + os.sep for f in forms), key=len, reverse=True)


def _inside(filename: str, bases: list[str]) -> bool:
    return any(filename.startswith(b) for b in bases)


def _relative(filename: str, bases: list[str]) -> str:
    for base in bases:
        if filename.startswith(base):
            return filename[len(base):]
    return filename


def _authors(filename: str) -> bool:
    return not (filename.startswith(_OWN) or filename.startswith("<frozen "))


def _chain(te: traceback.TracebackException) -> Iterator[traceback.TracebackException]:
    seen: set[int] = set()
    todo = [te]
    while todo:
        t = todo.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        yield t
        todo.extend(x for x in (t.__cause__, t.__context__) if x is not None)
        todo.extend(getattr(t, "exceptions", None) or [])
