"""Redaction (duckstring/redact.py) on real text: tracebacks of real exceptions, log files
written through logging, a Duck's stdout, and values in the forms printing gives them."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import quote

from duckstring.duck.attempt import attempt_logger, invoke, one_line
from duckstring.redact import (
    MASK,
    SECRET_NAMES_ENV,
    RedactingFilter,
    RedactingStream,
    Redactor,
    from_environ,
)
from duckstring.tracebacks import user_traceback

SECRET = "pw'with\"quotes\\and\nnewline-é"
TOKEN = "xoxb-1234567890-abcdefghij"


def leaks(text: str, *values: str) -> list[str]:
    """Every substring of at least 5 characters of a value that `text` still shows."""
    found = []
    for v in values:
        for part in (v, *v.split("\n")):
            for i in range(len(part) - 4):
                if part[i:i + 5] in text and part[i:i + 5].strip():
                    found.append(part[i:i + 5])
    return found


def test_every_printed_form_of_a_value_is_masked() -> None:
    r = Redactor([SECRET, TOKEN])
    texts = [
        f"plain {SECRET} and {TOKEN}",
        repr({"password": SECRET, "nested": [repr(SECRET)]}),
        json.dumps({"password": SECRET}),
        json.dumps({"password": SECRET}, ensure_ascii=False),
        f"postgres://user:{quote(SECRET, safe='')}@db/x",
        repr(SECRET.encode()),
        " ".join(f"error: {SECRET}".split()),  # a one-line summary collapses whitespace
    ]
    for text in texts:
        out = r(text)
        assert MASK in out and leaks(out, SECRET, TOKEN) == [], (text, out)


def test_a_value_cut_off_at_the_end_is_masked_and_short_values_are_left_alone() -> None:
    r = Redactor([TOKEN, "ab"])
    assert r(f"ends with {TOKEN[:15]}…") == f"ends with {MASK}…"
    assert r(f"ends with {TOKEN[:6]}") == f"ends with {MASK}"
    assert r(f"{TOKEN[:3]}") == TOKEN[:3]  # too short to tell from ordinary text
    assert r("about a cab") == "about a cab"  # "ab" is under the minimum: not redacted
    assert not Redactor(["ab", ""])


def test_the_traceback_of_a_real_exception_is_redacted(tmp_path: Path) -> None:
    config = {"host": "db", "password": SECRET}

    def connect(cfg: dict[str, str]) -> None:
        raise ConnectionError(f"cannot log in with {cfg!r} using token {TOKEN}")

    try:
        try:
            connect(config)
        except ConnectionError as e:
            raise RuntimeError(f"load failed ({TOKEN})") from e
    except RuntimeError as e:
        tb, line = user_traceback(e), one_line(e)
    assert TOKEN in tb and repr(SECRET)[1:-1] in tb  # what would have leaked
    r = Redactor([SECRET, TOKEN])
    for text in (r(tb), r(line)):
        assert leaks(text, SECRET, TOKEN) == [] and MASK in text
    assert "ConnectionError" in r(tb) and "connect(config)" in r(tb)  # still a traceback


def test_a_ripple_attempt_redacted_leaves_no_value_in_error_log_or_traceback() -> None:
    logger, capture = attempt_logger("sales", "load")

    class Handle:
        _skipped = False

        def _close(self) -> None:
            pass

    def ripple(handle: object) -> None:
        logger.info("using %s", TOKEN)
        raise ValueError(f"rejected {TOKEN}")

    outcome = invoke(ripple, Handle(), capture)
    r = Redactor([TOKEN])
    assert TOKEN in (outcome.error or "")
    for text in (outcome.error, outcome.traceback, outcome.log):
        assert text and TOKEN not in r(text) and MASK in r(text)


def test_a_log_file_written_through_the_filter_holds_no_value(tmp_path: Path) -> None:
    log = tmp_path / "duck.log"
    handler = logging.FileHandler(log)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter(Redactor([SECRET, TOKEN])))
    logger = logging.Logger("test.redact")
    logger.addHandler(handler)
    child = logging.Logger("test.redact.child")
    child.parent = logger  # records propagated from a Ripple's logger pass the filter too
    try:
        child.info("connecting with %s and %r", TOKEN, {"password": SECRET})
        try:
            raise KeyError(TOKEN)
        except KeyError:
            child.exception("failed")
        child.info("%d%%", 5)  # formatting still works
    finally:
        handler.close()
    text = log.read_text()
    assert leaks(text, SECRET, TOKEN) == [] and text.count(MASK) >= 3
    assert "Traceback" in text and "5%" in text


def test_a_duck_stdout_is_redacted_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    with open(path, "w") as fh:
        out = RedactingStream(fh, Redactor([TOKEN]))
        print("token:", TOKEN[:10], end="", file=out)  # a value split across writes
        print(TOKEN[10:], file=out)
        print("partial", TOKEN, end="", file=out)
        out.flush()
    assert path.read_text() == f"token: {MASK}\npartial {MASK}"


def test_a_duck_builds_its_redactor_from_its_environment() -> None:
    env = {SECRET_NAMES_ENV: "A,B", "A": TOKEN, "B": SECRET, "C": "not-a-secret-value"}
    r = from_environ(env)
    assert r(f"{TOKEN} {SECRET} not-a-secret-value") == f"{MASK} {MASK} not-a-secret-value"
    assert not from_environ({"A": TOKEN})
    assert r.deep({"e": [TOKEN, 3, None]}) == {"e": [MASK, 3, None]}
