"""Posting a verb to a Pond (`POST /api/ponds/{name}/{verb}`) and following what it set off:
the flows shared by `trigger` and `control`.

- One-shots (tap, pulse, wake, force) open the live view of the target's lineage and close it
  when the target settles; exit 0 only on success, 1 with the failing Ripple's error and
  traceback otherwise, 130 when the view is closed first (the demand stays in place).
  `--silent` returns at once, except on a local Catchment started for this command: that one
  stops with the command, so the command waits (without the view) for the outcome.
- Standing triggers (wave, tide) keep the view until Ctrl+C and never cancel the trigger.
- Plain verbs (remove, sleep, kill, clear) answer with one line.
- `--dry-run` (tap, pulse, wave, tide, wake, force) prints the prediction instead
  (docs/concepts.md §14): which Ponds would run or pass, in order, and when the target settles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

from duckstring.cli_errors import FAILED, CliError
from duckstring.commands._context import (
    CATCHMENT,
    DRY_JSON,
    DRY_RUN,
    MAJOR,
    POND,
    SILENT,
    VERSION,
    WATCH,
    open_catchment,
    parse_pond,
)
from duckstring.target import Target

if TYPE_CHECKING:
    from duckstring.session import Session

LABELS = {"tap": "Tap", "pulse": "Pulse", "wake": "Wake", "force": "Force", "wave": "Wave",
          "tide": "Tide"}


def one_shot(target: Target, verb: str, *, name: str | None, silent: bool, watch: bool,
             body: dict[str, Any] | None = None, at: str | None = None,
             dry: bool = False, json_out: bool = False) -> None:
    if _dry(dry, json_out):
        dry_run(target, verb, name=name, body=body, at=at, json_out=json_out)
        return
    with open_catchment(name, target) as s:
        follow_one_shot(s, target, verb, silent=silent, watch=watch, body=body, at=at)


def follow_one_shot(s: Session, target: Target, verb: str, *, silent: bool, watch: bool,
                    body: dict[str, Any] | None = None, at: str | None = None) -> None:
    from duckstring.terminal import console
    from duckstring.terminal.live import INTERRUPTED, Goal, failure, follow

    label = LABELS[verb]
    runs_before = 0
    if verb != "pulse":
        doc = s.client.status(target.pond, **target.params())
        mine = [p for p in doc["ponds"] if p["name"] == target.pond]
        runs_before = int(mine[-1]["runs_completed"]) if mine else 0
    resp = s.client.verb(target, verb, body, at=at)
    line = resp["pond"]
    goal = Goal(line, label, target_f=resp.get("target"), runs_before=runs_before)
    if silent and not s.on_demand:
        console.say(f"{goal.describe()}: sent")
        return
    outcome = follow(
        s, heading=goal.describe(), pond=target.pond, major=int(line.rpartition("@")[2]),
        goal=goal, keep_open=watch, quiet=silent,
        footer=f"Ctrl+C closes the view; the {label} stays in place",
    )
    if outcome is None:
        console.note(f"stopped watching before {line} settled; the {label} stays in place"
                     + (" and resumes when the Catchment next runs" if s.on_demand else ""))
        raise typer.Exit(INTERRUPTED)
    if outcome.waiting:
        raise CliError(outcome.summary, FAILED,
                       hint=f"`duckstring status {line}` shows it; Ctrl+C or --silent leave "
                            "sooner, --watch keeps watching")
    if not outcome.ok:
        raise failure(s, line, outcome)
    console.out().print(f"[green]✓[/] {console.escape(outcome.summary)}", soft_wrap=True)


def standing(target: Target, verb: str, *, name: str | None, silent: bool,
             body: dict[str, Any] | None = None, what: str = "", dry: bool = False,
             json_out: bool = False) -> None:
    if _dry(dry, json_out):
        dry_run(target, verb, name=name, body=body, json_out=json_out)
        return
    from duckstring.terminal import console
    from duckstring.terminal.live import follow

    label = LABELS[verb]
    with open_catchment(name, target) as s:
        resp = s.client.verb(target, verb, body)
        line = resp["pond"]
        console.say(f"{label}{what} set on {line}; it stays until "
                            f"`duckstring trigger remove {target.pond}`")
        if s.on_demand:
            console.note(
                f"the {label} is stored in {s.reg.root} and runs whenever the Catchment "
                f"runs; this one stops with the command — keep it running with "
                f"`duckstring catchment start {s.reg.name}`"
            )
        if silent:
            return
        follow(s, heading=f"{label}{what} on {line}", pond=target.pond,
               major=int(line.rpartition("@")[2]),
               footer=f"Ctrl+C closes the view; the {label} stays set")


def one_shot_command(verb: str, doc: str) -> Callable[..., None]:
    """A command whose only options are the shared ones of a one-shot verb (tap, wake, force):
    declared once here, registered by each group under its own name and help."""

    def command(
        pond: str = POND, catchment: str | None = CATCHMENT, major: int | None = MAJOR,
        version: str | None = VERSION, silent: bool = SILENT, watch: bool = WATCH,
        dry: bool = DRY_RUN, json_out: bool = DRY_JSON,
    ) -> None:
        one_shot(parse_pond(pond, major, version), verb, name=catchment, silent=silent,
                 watch=watch, dry=dry, json_out=json_out)

    command.__doc__ = doc
    return command


def plain_command(verb: str, doc: str, done: str) -> Callable[..., None]:
    """A plain verb with only the Pond's options (kill, clear, remove): one line when done."""

    def command(
        pond: str = POND, catchment: str | None = CATCHMENT, major: int | None = MAJOR,
        version: str | None = VERSION,
    ) -> None:
        plain(parse_pond(pond, major, version), verb, name=catchment, body=None, done=done)

    command.__doc__ = doc
    return command


def plain(target: Target, verb: str, *, name: str | None, body: dict[str, Any] | None,
          done: str) -> None:
    from duckstring.terminal import console

    with open_catchment(name, target) as s:
        resp = s.client.verb(target, verb, body)
        console.say(done.format(line=resp["pond"]))


def _dry(dry: bool, json_out: bool) -> bool:
    if json_out and not dry:
        raise typer.BadParameter("goes with --dry-run (a trigger's own answer is its live view)",
                                 param_hint="--json")
    return dry


def dry_run(target: Target, verb: str, *, name: str | None, body: dict[str, Any] | None,
            json_out: bool, at: str | None = None) -> None:
    """Ask for the prediction (`?dry_run=true`) and print it; nothing is triggered."""
    from duckstring.commands._context import print_json
    from duckstring.terminal import console

    with open_catchment(name, target) as s:
        plan = s.client.verb(target, verb, body, at=at, dry_run=True)
    if json_out:
        print_json(plan)
        return
    out = console.out()
    for text in plan_lines(plan, LABELS[verb]):
        out.print(text, soft_wrap=True, markup=False, highlight=False)


def plan_lines(plan: dict[str, Any], label: str) -> list[str]:
    from duckstring.times import clock_time, format_duration, format_offset, parse_instant

    now = parse_instant(plan["now"])
    out = [f"dry-run: a {label} on {plan['pond']} (nothing was triggered)"]
    if not plan["runs"]:
        out.append("  nothing would run")
    for r in plan["runs"]:
        took = ("" if r["duration_s"] is None
                else f"  {format_duration(round(r['duration_s'] * 1000))}")
        verb = "run " if r["executed"] else "pass"
        out.append(f"  {format_offset(round(r['starts_in_s'] * 1000))}  {verb}  {r['pond']}{took}")
    if plan["settles_at"] is None:
        out.append(f"{plan['pond']} would not settle ({plan['status']}); "
                   f"`duckstring why {plan['pond']}` says why")
    else:
        settle = parse_instant(plan["settles_at"])
        out.append(f"{plan['pond']} would settle in {format_duration(settle - now)} "
                   f"(at {clock_time(settle, now)})")
    if plan["default_durations"]:
        out.append(f"never run, so taken as {format_duration(plan['default_ms'])} each: "
                   + ", ".join(plan["default_durations"]))
    return out
