"""`duckstring control`: act on one Pond, never propagating (docs/concepts.md §10)."""

from __future__ import annotations

import typer

from duckstring.commands._context import (
    CATCHMENT,
    JSON,
    MAJOR,
    POND,
    VERSION,
    open_catchment,
    parse_pond,
    print_json,
)
from duckstring.commands._verbs import one_shot_command, plain, plain_command

app = typer.Typer(
    name="control", no_args_is_help=True,
    help="Wake, force, sleep, kill or clear one Pond; show or set its failure budget.",
)


app.command("wake")(one_shot_command("wake", """Clear a failure and run the Pond once, when its Sources have something newer.

    Example: [bold]duckstring control wake sales[/]
    """))
app.command("force")(one_shot_command("force", """Clear a failure and re-run the Pond now, at its current freshness.

    Example: [bold]duckstring control force sales[/]
    """))


@app.command()
def sleep(
    pond: str = POND,
    upstream: bool = typer.Option(False, "--upstream", help="Also every Pond upstream of it."),
    catchment: str | None = CATCHMENT, major: int | None = MAJOR, version: str | None = VERSION,
) -> None:
    """Stop new work: drop the Pond's demand and standing trigger (a started run completes).

    Example: [bold]duckstring control sleep reports --upstream[/]
    """
    plain(parse_pond(pond, major, version), "sleep", name=catchment, body={"upstream": upstream},
          done="{line} is asleep" + (" with everything upstream" if upstream else ""))


app.command("kill")(plain_command("kill", """Terminate the Pond's running work and mark it killed (clear or wake revives it).

    Example: [bold]duckstring control kill sales[/]
    """, done="{line} is killed; `duckstring control clear` or `wake` revives it"))
app.command("clear")(plain_command("clear", """Reset a failed or killed Pond to idle without running it.

    Example: [bold]duckstring control clear sales[/]
    """, done="{line} is cleared"))


@app.command("failure-budget")
def failure_budget(
    pond: str = POND,
    immediate: int | None = typer.Option(None, "--immediate", "-i", metavar="N", min=0,
                                         help="Retries within a failing run."),
    on_change: int | None = typer.Option(None, "--on-change", "-o", metavar="N", min=0,
                                         help="Failed runs retried when a Source changes."),
    catchment: str | None = CATCHMENT, major: int | None = MAJOR, version: str | None = VERSION,
    json_out: bool = JSON,
) -> None:
    """Show the Pond's live failure budget, or set it with -i / -o.

    Example: [bold]duckstring control failure-budget sales -i 2 -o 1[/]
    """
    from duckstring.terminal import console

    target = parse_pond(pond, major, version)
    with open_catchment(catchment, target) as s:
        if immediate is None and on_change is None:
            resp = s.client.budget(target)
        else:
            resp = s.client.verb(target, "budget",
                                 {"immediate_retries": immediate, "source_retries": on_change})
    if json_out:
        print_json(resp)
        return
    console.say(f"{resp['pond']}: immediate retries {resp['immediate_retries']}, "
                        f"on-change retries {resp['source_retries']}")
