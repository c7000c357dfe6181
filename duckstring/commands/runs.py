"""`duckstring runs`: run history, newest first, with every Ripple attempt."""

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


def runs(
    pond: str | None = typer.Argument(None, metavar="[POND]", help="Only this Pond's runs."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=10_000, help="How many runs."),
    failed: bool = typer.Option(False, "--failed", help="Only failed runs."),
    lineage: bool = typer.Option(False, "--lineage", help="With POND: its upstream runs too."),
    logs: bool = typer.Option(False, "--logs",
                              help="Show every attempt's pond.log lines (failed ones always do)."),
    catchment: str | None = CATCHMENT, major: int | None = MAJOR, json_out: bool = JSON,
) -> None:
    """Run history, newest first, with every Ripple attempt.

    Failed attempts show their error, traceback and pond.log lines; --logs shows the log of
    every attempt. Consecutive no-change passes of a Pond share one row. The history of a
    removed Pond stays readable here.

    Example: [bold]duckstring runs sales --failed[/]
    Example: [bold]duckstring runs sales@1 --logs -n 5[/]
    """
    from duckstring.terminal import console
    from duckstring.terminal.views import run_lines

    if pond is not None:
        t = parse_pond(pond, major)
        pond, major = t.pond, t.major
    with open_catchment(catchment) as s:
        doc = s.client.runs(pond=pond, major=major, lineage=lineage if pond else None,
                           ripples=True, status="failed" if failed else None, limit=limit)
    if json_out:
        print_json(doc)
        return
    out = console.out()
    if not doc["runs"]:
        out.print("no runs yet" if not failed else "no failed runs", markup=False)
        return
    for line in run_lines(doc["runs"], logs=logs):
        out.print(line, soft_wrap=True)
