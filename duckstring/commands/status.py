"""`duckstring status`: the state of every line, or of one Pond and its upstream lineage."""

from __future__ import annotations

import typer

from duckstring.commands._context import (
    CATCHMENT,
    JSON,
    MAJOR,
    open_catchment,
    parse_pond,
    print_json,
)


def status(
    pond: str | None = typer.Argument(None, metavar="[POND]",
                                      help="Show this Pond and its upstream lineage only."),
    once: bool = typer.Option(False, "--once", help="Print the table once instead of following."),
    catchment: str | None = CATCHMENT, major: int | None = MAJOR, json_out: bool = JSON,
) -> None:
    """Live view of every Pond, or of one Pond and its lineage, until Ctrl+C.

    Per Pond: state, version, freshness age, staleness (where a Window makes it differ from
    the age), standing trigger, runs done/started and what it is doing — an error in full, to
    the terminal's width. Redrawn on every change, at most ten times a second.

    Example: [bold]duckstring status reports --once[/]
    """
    from duckstring.terminal import console
    from duckstring.terminal.live import follow, poll
    from duckstring.terminal.views import StatusTable

    if pond is not None:
        t = parse_pond(pond, major)
        pond, major = t.pond, t.major
    with open_catchment(catchment) as s:
        if json_out or once:
            doc = poll(s, {"pond": pond, "major": major}, None)
            if json_out:
                print_json(doc)
            else:
                title = f"Catchment {doc['catchment']['name']} · {doc['now']}"
                console.out().print(StatusTable(doc, title=title))
            return
        if s.on_demand:
            console.note("standing triggers and pending demand run while this view is open")
        where = f"{pond} and its lineage" if pond else "every line"
        follow(s, heading=f"{s.reg.name}: {where}", pond=pond, major=major)
