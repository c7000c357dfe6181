"""Hiding secret values from text: Ripple logs, errors, tracebacks and anything else written
where people (or backups) read it. Light on purpose — the Duck imports it at start.

A `Redactor` knows the values in play and replaces each with `***`:

- in the forms a value takes when it is printed: as is, Python-escaped (`repr`, also inside a
  repr of a repr), JSON-escaped, bytes-escaped, URL-encoded, with its whitespace collapsed
  (one-line error summaries), and each line of a multi-line value (a PEM key) on its own;
- cut off at the very end of a text (a log or error truncated to a size), down to
  `MIN_TAIL` characters;
- values shorter than `MIN_LENGTH` characters are not redacted: masking `ab` everywhere would
  garble every log while hiding nothing (`secret set` warns about them).

A Duck learns which of its environment variables are secrets from `DUCKSTRING_SECRET_NAMES`
(names only, comma-separated): `from_environ` builds its redactor.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_LENGTH = 4
MIN_TAIL = MIN_LENGTH
SECRET_NAMES_ENV = "DUCKSTRING_SECRET_NAMES"


def _escaped(value: str) -> str:
    return repr(value)[1:-1]


def forms(value: str) -> set[str]:
    """Every way `value` shows up in text that we hide (those at least `MIN_LENGTH` long)."""
    out = {
        value,
        _escaped(value),
        _escaped(_escaped(value)),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value.encode("utf-8", "surrogatepass"))[2:-1],
        quote(value, safe=""),
        quote_plus(value),
        " ".join(value.split()),
    }
    if "\n" in value:
        out.update(line.strip() for line in value.splitlines())
    return {f for f in out if len(f) >= MIN_LENGTH}


class Redactor:
    """`redactor(text)` is `text` with every secret value in it replaced by `***`."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        found: set[str] = set()
        for v in values:
            if v and len(v) >= MIN_LENGTH:
                found |= forms(v)
        # longest first, so a value inside another is not left half-masked; one str.replace
        # per form is several times faster than one regex alternation (bench/team.py)
        self._forms = sorted(found, key=len, reverse=True)
        self._tails = [f for f in self._forms if len(f) > MIN_TAIL]

    def __bool__(self) -> bool:
        return bool(self._forms)

    def __call__(self, text: str) -> str:
        if not self._forms or not text:
            return text
        for f in self._forms:
            text = text.replace(f, MASK)
        return self._cut_tail(text)

    def maybe(self, text: str | None) -> str | None:
        return None if text is None else self(text)

    def _cut_tail(self, text: str) -> str:
        """A value cut short by truncation: text ending in its first `MIN_TAIL`+ characters
        (optionally followed by `…`)."""
        end = len(text) - 1 if text.endswith("…") else len(text)
        for f in self._tails:
            start = text.find(f[:MIN_TAIL], max(0, end - len(f)), end)
            while start >= 0:  # the earliest start is the longest cut-off value
                if f.startswith(text[start:end]):
                    return text[:start] + MASK + text[end:]
                start = text.find(f[:MIN_TAIL], start + 1, end)
        return text

    def deep(self, value: Any) -> Any:
        """`value` (JSON-like: dicts, lists, strings) with every string redacted."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.deep(v) for v in value]
        return value


NOTHING = Redactor()


def from_environ(environ: Mapping[str, str]) -> Redactor:
    """The redactor for the secrets a Duck was launched with."""
    names = [n for n in environ.get(SECRET_NAMES_ENV, "").split(",") if n]
    return Redactor(environ[n] for n in names if n in environ)


class RedactingFilter(logging.Filter):
    """Put on a *handler* (handler filters also see records propagated from child loggers):
    its records are written with secrets masked — message, exception text and stack."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.redactor:
            return True
        try:
            record.msg, record.args = self.redactor(record.getMessage()), None
        except Exception:  # a bad format string: leave it to the handler to report
            return True
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor(record.stack_info)
        return True


class RedactingStream(io.TextIOBase):
    """A text stream (`sys.stdout` of a Duck) that writes whole lines with secrets masked;
    a partial last line goes out on `flush`."""

    def __init__(self, inner: Any, redactor: Redactor) -> None:
        self.inner = inner
        self.redactor = redactor
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self._pending += s
        if "\n" in self._pending:
            done, _, self._pending = self._pending.rpartition("\n")
            self.inner.write(self.redactor(done) + "\n")
        return len(s)

    def flush(self) -> None:
        if self._pending:
            self.inner.write(self.redactor(self._pending))
            self._pending = ""
        self.inner.flush()

    def fileno(self) -> int:
        return int(self.inner.fileno())

    def isatty(self) -> bool:
        return bool(self.inner.isatty())

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.inner, "encoding", "utf-8"))
