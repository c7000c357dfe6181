"""What every command that talks to a Catchment shares: the common options of docs/cli.md, the
Pond a command targets, and opening the Catchment (a running one, or a local one on demand)."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import typer

from duckstring.target import Target

if TYPE_CHECKING:
    from duckstring.session import Session

CATCHMENT = typer.Option(
    None, "--catchment", "-c", metavar="NAME",
    help="Registration to use (default: $DUCKSTRING_CATCHMENT, the default, or the only one).",
)
MAJOR = typer.Option(None, "--major", "-m", metavar="N", min=0,
                     help="Major line (default: the highest deployed).")
VERSION = typer.Option(None, "--version", "-v", metavar="X.Y.Z",
                       help="Exact version; must be its line's selected version.")
SILENT = typer.Option(False, "--silent", help="Submit and return without the live view.")
WATCH = typer.Option(False, "--watch", help="Keep the live view open after the Pond settles.")
JSON = typer.Option(False, "--json", help="Machine-readable output (one JSON document).")
DRY_RUN = typer.Option(False, "--dry-run",
                       help="Predict what it would run and when, from the live state; change nothing.")
DRY_JSON = typer.Option(False, "--json", help="With --dry-run: the prediction as JSON.")
YES = typer.Option(False, "--yes", "-y", help="Answer yes to every question.")
POND = typer.Argument(..., metavar="POND", help="Pond name, or NAME@MAJOR as output prints it.")


def parse_pond(pond: str, major: int | None = None, version: str | None = None) -> Target:
    """A Pond as typed: `name`, or `name@major` as every output prints it (then `-m`, if
    given too, must agree)."""
    name, at, raw = pond.partition("@")
    if not at:
        return Target(pond, major, version)
    if not name or not raw.isdigit():
        raise typer.BadParameter(f"{pond!r} is not NAME or NAME@MAJOR (e.g. sales@1)",
                                 param_hint="POND")
    if major is not None and major != int(raw):
        raise typer.BadParameter(f"{pond} names major {raw} but -m says {major}",
                                 param_hint="POND / -m")
    return Target(name, int(raw), version)


@contextlib.contextmanager
def open_catchment(name: str | None, target: Target | None = None) -> Iterator[Session]:
    """The resolved registration's Catchment for the duration of a command. With a `target`
    pinned by `-v`, a version that was never deployed is "not found" (exit 5) rather than
    "not the selected one" (exit 2)."""
    from duckstring.config import Config
    from duckstring.session import open_session
    from duckstring.terminal import console

    reg = Config.load(warn=console.warn).resolve(name)
    with open_session(reg, note=console.note) as session:
        if target is not None and target.version is not None:
            session.client.version(target)
        yield session


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
