"""`duckstring trigger`: demand on a Pond (docs/concepts.md §7) and its Window rules (§8).

|        | once  | standing |
|--------|-------|----------|
| push   | pulse | tide     |
| pull   | tap   | wave     |
"""

from __future__ import annotations

from typing import Any

import typer

from duckstring.commands._context import (
    CATCHMENT,
    DRY_JSON,
    DRY_RUN,
    JSON,
    MAJOR,
    POND,
    SILENT,
    VERSION,
    WATCH,
    open_catchment,
    parse_pond,
    print_json,
)
from duckstring.commands._verbs import one_shot, one_shot_command, plain_command, standing
from duckstring.target import Target

app = typer.Typer(
    name="trigger", no_args_is_help=True,
    help="Ask for fresh data: Tap and Pulse once, Wave and Tide standing, Windows for Inlets.",
)


app.command("tap")(one_shot_command("tap", """Pull once: run the Pond when its Sources have something newer, pulling them first.

    Example: [bold]duckstring trigger tap sales[/]
    """))


@app.command()
def pulse(
    pond: str = POND,
    at: str | None = typer.Option(None, "--at", metavar="TIME",
                                  help="Target freshness (ISO-8601; default: now)."),
    catchment: str | None = CATCHMENT, major: int | None = MAJOR,
    version: str | None = VERSION, silent: bool = SILENT, watch: bool = WATCH,
    dry: bool = DRY_RUN, json_out: bool = DRY_JSON,
) -> None:
    """Push once: bring the Pond to data as fresh as now, running its lineage once.

    Exits 0 when the Pond is fresh, 1 (with the failing Ripple's traceback) when something on
    its lineage fails.

    Example: [bold]duckstring trigger pulse reports[/]
    Example: [bold]duckstring trigger pulse reports --dry-run[/]
    """
    one_shot(parse_pond(pond, major, version), "pulse", name=catchment, silent=silent, watch=watch,
             at=at, dry=dry, json_out=json_out)


@app.command()
def wave(
    pond: str = POND,
    every: str | None = typer.Option(
        None, "--every", "-e", metavar="D",
        help="Re-tap no sooner than D after the last tap (30s, 5m); default: as fast as the "
             "lineage runs."),
    catchment: str | None = CATCHMENT, major: int | None = MAJOR,
    version: str | None = VERSION, silent: bool = SILENT,
    dry: bool = DRY_RUN, json_out: bool = DRY_JSON,
) -> None:
    """Standing pull: keep the Pond supplied, paced by its slowest Ripple upstream.

    Without --every the cadence is emergent: the Pond runs again as soon as its lineage can
    feed it, a hot loop on fast Ponds. --every D re-taps it no sooner than D after the last
    tap.

    Example: [bold]duckstring trigger wave reports --every 30s[/]
    """
    from duckstring.times import format_duration

    body, what = None, ""
    if every is not None:
        every_ms = _positive(every, "--every")
        body, what = {"every_s": every_ms / 1000}, f" (every {format_duration(every_ms)})"
    standing(parse_pond(pond, major, version), "wave", name=catchment, silent=silent,
             body=body, what=what, dry=dry, json_out=json_out)


def _positive(raw: str, hint: str) -> int:
    """A compound duration in ms, longer than 0."""
    from duckstring.times import parse_duration

    try:
        ms = parse_duration(raw)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint=hint) from None
    if ms <= 0:
        raise typer.BadParameter("must be longer than 0", param_hint=hint)
    return ms


@app.command()
def tide(
    pond: str = POND,
    bound: str = typer.Argument(..., metavar="BOUND",
                                help="Most staleness allowed: a compound duration (30s, 90m, 1h30m)."),
    catchment: str | None = CATCHMENT, major: int | None = MAJOR,
    version: str | None = VERSION, silent: bool = SILENT,
    dry: bool = DRY_RUN, json_out: bool = DRY_JSON,
) -> None:
    """Standing push: Pulse the Pond whenever its staleness would pass BOUND.

    Example: [bold]duckstring trigger tide reports 1h30m[/]
    """
    from duckstring.times import format_duration

    bound_ms = _positive(bound, "BOUND")
    standing(parse_pond(pond, major, version), "tide", name=catchment, silent=silent,
             body={"bound_s": bound_ms / 1000}, what=f" ({format_duration(bound_ms)})",
             dry=dry, json_out=json_out)


app.command("remove")(plain_command("untrigger", """Drop the Pond's standing trigger (demand already in the graph drains).

    Example: [bold]duckstring trigger remove reports[/]
    """, done="standing trigger removed from {line}"))


# -- windows -------------------------------------------------------------------------------

window_app = typer.Typer(
    name="window", no_args_is_help=True,
    help="Window rules of an Inlet: when it may mint fresh data (docs/concepts.md §8).",
)
app.add_typer(window_app)


@window_app.callback()
def window(
    ctx: typer.Context,
    pond: str = typer.Argument(..., metavar="POND", help="Inlet Pond name."),
    catchment: str | None = CATCHMENT, major: int | None = MAJOR,
) -> None:
    """Window rules of an Inlet: add, list, remove.

    Example: [bold]duckstring trigger window transactions add -n nightly -e 1d -s 02:00 -d 1h[/]
    """
    ctx.obj = {"target": parse_pond(pond, major), "catchment": catchment}


def _window_rows(windows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from duckstring.terminal import console
    from duckstring.times import format_duration

    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("name", "start", "every", "duration", "days", "until"):
        table.add_column(col)
    for w in windows:
        table.add_row(
            w["name"], w["start"], format_duration(round(w["every_s"] * 1000)),
            format_duration(round(w["duration_s"] * 1000)),
            ",".join(_DAYS[d] for d in w.get("on_days") or []) or "every day",
            w.get("until") or "—",
        )
    if not windows:
        table.add_row("(no Windows: the Inlet may run at any time)", "", "", "", "", "")
    console.out().print(table)


_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


@window_app.command("add")
def window_add(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", "-n", help="Rule name (unique on the Pond)."),
    every: str = typer.Option(..., "--every", "-e", metavar="EVERY",
                              help="Period, one unit: 10s, 12h, 1d, 1w."),
    start: str | None = typer.Option(None, "--start", "-s", metavar="START",
                                     help="First opening: ISO-8601 or HH:MM UTC (default 00:00 today)."),
    duration: str | None = typer.Option(None, "--duration", "-d", metavar="DURATION",
                                        help="How long each occurrence stays open (default: EVERY)."),
    on: str | None = typer.Option(None, "--on", "-o", metavar="MON,WED",
                                  help="Only on these weekdays (UTC)."),
    until: str | None = typer.Option(None, "--until", "-u", metavar="UNTIL",
                                     help="No occurrence starts after this (ISO-8601)."),
    json_out: bool = JSON,
) -> None:
    """Add a Window rule; rules on one Pond must not overlap.

    Example: [bold]duckstring trigger window transactions add -n nightly -e 1d -s 02:00 -d 1h[/]
    """
    import time

    from duckstring.terminal import console
    from duckstring.times import iso, parse_duration, parse_instant, parse_single_unit

    def parsed(fn: Any, value: str, hint: str, *args: Any) -> int:
        try:
            return int(fn(value, *args))
        except ValueError as e:
            raise typer.BadParameter(str(e), param_hint=hint) from None

    body: dict[str, Any] = {"name": name,
                            "every_s": parsed(parse_single_unit, every, "--every") / 1000}
    if start is not None:
        body["start"] = iso(parsed(parse_instant, start, "--start", int(time.time() * 1000)))
    if duration is not None:
        body["duration_s"] = parsed(parse_duration, duration, "--duration") / 1000
    if on:
        days = [d.strip().upper()[:3] for d in on.split(",") if d.strip()]
        bad = [d for d in days if d not in _DAYS]
        if bad:
            raise typer.BadParameter(f"{', '.join(bad)} is not a weekday (MON … SUN)",
                                     param_hint="--on")
        body["on_days"] = days
    if until is not None:
        body["until"] = iso(parsed(parse_instant, until, "--until"))
    target: Target = ctx.obj["target"]
    with open_catchment(ctx.obj["catchment"]) as s:
        resp = s.client.add_window(target, body)
    if json_out:
        print_json(resp)
        return
    console.say(f"Window {name!r} added to {resp['pond']}")
    _window_rows(resp["windows"])


@window_app.command("list")
def window_list(ctx: typer.Context, json_out: bool = JSON) -> None:
    """List the Pond's Window rules.

    Example: [bold]duckstring trigger window transactions list[/]
    """
    target: Target = ctx.obj["target"]
    with open_catchment(ctx.obj["catchment"]) as s:
        resp = s.client.windows(target)
    if json_out:
        print_json(resp)
    else:
        _window_rows(resp["windows"])


@window_app.command("remove")
def window_remove(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="Rule to remove."),
) -> None:
    """Remove a Window rule.

    Example: [bold]duckstring trigger window transactions remove nightly[/]
    """
    from duckstring.terminal import console

    target: Target = ctx.obj["target"]
    with open_catchment(ctx.obj["catchment"]) as s:
        resp = s.client.remove_window(target, name)
    console.say(f"Window {name!r} removed from {resp['pond']}")
