"""`python -m duckstring.duck --root ROOT --line NAME@MAJOR`: start the Duck of one line.

Secrets never go on the command line (it shows in `ps`): the Catchment's address comes from
`DUCKSTRING_CATCHMENT_URL` and the Duck token from `DUCKSTRING_DUCK_TOKEN`. Logs go to stderr,
which the Catchment redirects to the line's `duck.log`. The secrets the Duck was launched with
(their names in `DUCKSTRING_SECRET_NAMES`) are masked in everything it writes there.

`--work DIR` instead of `--root`: a Duck on another machine (duck/remote.py). Its environment
holds the address and a one-time `DUCKSTRING_DUCK_BOOTSTRAP`, redeemed at start for the token and
secrets; it keeps its state in DIR and writes its log to DIR's `duck.log` itself.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
from pathlib import Path
from typing import IO, Any, NoReturn

from duckstring import protocol
from duckstring.duck import line_lock

_LINE = re.compile(r"^([a-z][a-z0-9_]*)@(0|[1-9]\d*)$")
_held: IO[str] | None = None  # the line lock, kept open for the life of the process


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m duckstring.duck",
        description="Run the Duck worker of one Pond line (started by the Catchment).",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--root", type=Path, help="the Catchment root (a local Duck)")
    where.add_argument("--work", type=Path,
                       help="a work directory of this Duck's own (a Duck on another machine)")
    parser.add_argument("--line", required=True, help="the line to run, as NAME@MAJOR")
    args = parser.parse_args(argv)
    if not _LINE.match(args.line):
        parser.error(f"--line {args.line!r} must look like sales@1")
    return args


def main(argv: list[str] | None = None) -> int:
    global _held
    args = parse_args(argv)
    m = _LINE.match(args.line)
    assert m is not None
    name, major = m.group(1), int(m.group(2))

    from duckstring.layout import Layout

    remote = args.work is not None
    layout = Layout(args.work if remote else args.root)
    if remote:
        _log_to(layout.duck_log(name, major))
    lock_path = layout.duck_lock(name, major)
    _held = line_lock.acquire(lock_path)
    if _held is None:
        print(f"duckstring duck: {args.line} already has a Duck (pid {line_lock.holder(lock_path)}); "
              "exiting", file=sys.stderr)
        return 0
    url = os.environ.get(protocol.URL_ENV, "").strip()
    if not url:
        print(f"duckstring duck: set {protocol.URL_ENV} to the Catchment's address",
              file=sys.stderr)
        return 2
    launched = remote and bool(os.environ.get(protocol.BOOTSTRAP_ENV))  # not a re-exec
    if remote:
        problem = _redeem(url, layout, name, major)
        if problem:
            print(f"duckstring duck: {args.line}: {problem}", file=sys.stderr)
            return 2
    _redact_output()  # after the redemption: the secrets are known from here on
    from duckstring.duck.worker import DuckSettings, Worker

    settings = DuckSettings.from_env()  # after the redemption too: it brings Duck knobs
    logging.basicConfig(
        level=settings.log_level.upper(),
        stream=sys.stderr,
        format=f"%(asctime)s %(levelname)s duck[{args.line} %(process)d] %(name)s: %(message)s",
    )
    for chatty in ("httpx", "httpcore"):  # one line per long-poll would drown duck.log
        logging.getLogger(chatty).setLevel(logging.WARNING)
    if launched:  # a re-exec stays light: it reads no table
        problem = _rebuild(layout, name, major)
        if problem:
            print(f"duckstring duck: {args.line}: {problem}", file=sys.stderr)
            return 2
    token = os.environ.get(protocol.TOKEN_ENV, "")

    import secrets

    from duckstring.duck.channel import Channel
    from duckstring.wake import fifo_path

    pid = os.getpid()
    instance = secrets.token_hex(8)  # this process image; a re-exec is a new instance
    acked = os.environ.pop(protocol.ACKED_ENV, "")
    url_file = None if remote else layout.catchment_url  # a remote Duck knows one address
    worker = Worker(
        layout, name, major,
        poll_channel=Channel(url, token, name, major, pid, url_file, instance, acked),
        send_channel=Channel(url, token, name, major, pid, url_file, instance),
        settings=settings,
        reexec=lambda: reexec(layout.root, args.line, "--work" if remote else "--root"),
        # a remote Duck long-polls: the Catchment's wake-up FIFO is on another machine
        waker=None if remote else _waker(fifo_path(layout.root, name, major)),
        fetch=_fetcher(layout, url, token, name, major) if remote else None,
    )
    # SIGTERM (a Catchment insisting, systemd, docker stop): leave as on `shutdown`
    signal.signal(signal.SIGTERM, lambda signum, frame: worker.inbox.put(("signal", "SIGTERM")))
    return worker.run()


def _log_to(path: Path) -> None:
    """A remote Duck's stdout and stderr go to its work directory's duck.log (never to the
    launcher's logs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _redeem(url: str, layout: Any, name: str, major: int) -> str | None:
    """Redeem the bootstrap (unless a re-exec of this process already did: the grant is in
    its environment); the reason the Duck cannot start, or None."""
    from duckstring.duck import remote

    bootstrap = os.environ.get(protocol.BOOTSTRAP_ENV, "")
    if not bootstrap and os.environ.get(protocol.TOKEN_ENV):
        return None  # a re-exec: the grant is in the environment already
    if not bootstrap:
        return (f"a Duck started with --work needs {protocol.BOOTSTRAP_ENV}, a one-time "
                "credential its launcher mints")
    try:
        remote.apply(remote.redeem(url, name, major, bootstrap), layout)
    except remote.RemoteError as e:
        return str(e)
    return None


def _rebuild(layout: Any, name: str, major: int) -> str | None:
    """The registry of a work directory that is new or behind, from the line's published
    tables."""
    from duckstring.duck import remote

    try:
        remote.rebuild(layout, name, major)
    except Exception as e:  # the tables are unreachable: say so (the launcher's retry)
        from duckstring.duck.attempt import one_line

        return f"cannot rebuild the registry from the published tables: {one_line(e)}"
    return None


def _fetcher(layout: Any, url: str, token: str, name: str, major: int) -> Any:
    from duckstring.duck import remote

    remote.clear_scratch(layout, name, major)  # the line lock is held: leftovers of a crash
    return lambda version, digest: remote.fetch(layout, url, token, name, major, version,
                                                digest)


def _waker(path: Path) -> Any:
    """The line's wake-up FIFO, or None (then the Duck long-polls) where one cannot be made."""
    from duckstring.wake import Waker

    try:
        return Waker(path)
    except OSError as e:
        logging.getLogger("duckstring.duck").warning("no wake-up FIFO at %s (%s): long-polling",
                                                     path, e)
        return None


def _redact_output() -> None:
    """stdout and stderr (a Ripple's print, a log line, a traceback) with secrets masked."""
    from duckstring.duck.attempt import redactor
    from duckstring.redact import RedactingStream

    redact = redactor()
    if redact:
        sys.stdout = RedactingStream(sys.stdout, redact)
        sys.stderr = RedactingStream(sys.stderr, redact)


def reexec(root: Path, line: str, mode: str = "--root") -> NoReturn:
    """Replace this process with a fresh Duck (same pid, same environment)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable,
             [sys.executable, "-m", "duckstring.duck", mode, str(root), "--line", line])


def run() -> NoReturn:
    try:
        code = main()
    except Exception:
        logging.getLogger("duckstring.duck").exception("the Duck failed")
        code = 1
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    # leave without joining Ripple threads: a killed one may sleep for a long time
    os._exit(code)
