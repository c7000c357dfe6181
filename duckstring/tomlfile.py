"""Reading TOML that is never written back (scenarios, `pond.toml`): the standard library's
`tomllib` (`tomli`, the same parser, on 3.10), about 14× faster than tomlkit, which stays for the
registration file because its comments must survive an edit (`config.py`). Where tomli happens
to be installed on a newer Python its compiled wheel is used: the same grammar and errors, about
twice as fast (a 10,000-Pond scenario: bench/toml.py)."""

from __future__ import annotations

import re
import sys
from typing import Any

try:
    import tomli as tomllib
except ImportError:  # pragma: no cover - depends on what is installed
    if sys.version_info < (3, 11):
        raise
    import tomllib

PARSER = tomllib.__name__  # which one reads, for the benchmark

_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$|\s*\(at end of document\)$")


class TomlSyntaxError(ValueError):
    """Text that is not valid TOML: `line` (1-based, None when unknown) and the parser's
    message without its position."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message, self.line = message, line


def loads(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raw = str(getattr(e, "msg", None) or e)
        line: int | None = getattr(e, "lineno", None)
        m = _AT.search(raw)
        if m is not None:
            raw = raw[: m.start()]
            if line is None and m.group(1):
                line = int(m.group(1))
        if line is None:  # "at end of document"
            line = text.count("\n") + 1
        raise TomlSyntaxError(raw, line) from None
