"""`duckstring puddle`: the local snapshots a Pond project tests against (`pond hydrate`) and
its last run's output (`pond run`), read on this machine; no Catchment involved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from duckstring.commands._context import JSON, print_json
from duckstring.commands.pond import PROJECT, local_project

app = typer.Typer(name="puddle", no_args_is_help=True,
                  help="Local snapshots and run output of a Pond project: list, show, query.")


def _print_rows(result: dict[str, Any], as_json: bool, title: str | None = None) -> None:
    from duckstring.local.snapshots import records
    from duckstring.terminal import console
    from duckstring.terminal.views import rows_table

    if as_json:
        print_json(records(result))
    else:
        console.out().print(rows_table(result, title=title))


@app.command(name="ls")
def ls(path: Path = PROJECT, as_json: bool = JSON) -> None:
    """List the hydrated Source tables, the seeds and the run's output, with rows and size.

    Example: [bold]duckstring puddle ls[/]
    """
    from rich.table import Table

    from duckstring.local.snapshots import snapshots
    from duckstring.terminal import console

    found = snapshots(local_project(path))
    if as_json:
        print_json([s.as_json() for s in found])
        return
    table = Table(header_style="bold", box=None, pad_edge=False)
    for col, justify in (("table", "left"), ("kind", "left"), ("rows", "right"),
                         ("size", "right"), ("file", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for s in found:
        table.add_row(f"{s.pond}.{s.table}", s.kind, f"{s.rows:,}", console.human_bytes(s.bytes),
                      s.as_json()["path"])
    if not found:
        table.add_row("(nothing yet: run `duckstring pond hydrate`)", "", "", "", "")
    console.out().print(table)


@app.command()
def show(
    name: str = typer.Argument(..., metavar="POND.TABLE",
                               help="A Source table, or this Pond's output table."),
    rows: int = typer.Option(10, "-n", "--rows", metavar="N", min=0, help="Rows to print."),
    path: Path = PROJECT, as_json: bool = JSON,
) -> None:
    """Print the first rows of a hydrated Source table or of this Pond's run output.

    Example: [bold]duckstring puddle show transactions.transaction -n 5[/]
    """
    from duckstring.local import snapshots

    file = snapshots.table_file(local_project(path), name)
    _print_rows(snapshots.show(file, rows), as_json, title=name)


@app.command()
def query(
    sql: str = typer.Argument(..., metavar="SQL",
                              help="DuckDB SQL, or @file.sql to read it from a file."),
    path: Path = PROJECT, as_json: bool = JSON,
) -> None:
    """Run DuckDB SQL over the local snapshots and run output, as POND.TABLE (or bare TABLE).

    Example: [bold]duckstring puddle query "SELECT count(*) FROM transactions.transaction"[/]
    """
    from duckstring.commands.query import SHOW_ROWS, sql_text
    from duckstring.local import snapshots
    from duckstring.terminal import console

    result = snapshots.query(local_project(path), sql_text(sql), SHOW_ROWS + 1)
    shown = dict(result, rows=result["rows"][:SHOW_ROWS])
    _print_rows(shown, as_json)
    if len(result["rows"]) > SHOW_ROWS:
        console.note(f"showing the first {SHOW_ROWS} rows; narrow the query with LIMIT")
