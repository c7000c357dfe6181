"""The command tree: one Typer app per group in `duckstring/commands/`, assembled here.

Keep imports light: `--help`, `--version` and completion must not import duckdb, pyarrow,
falcon or waitress; commands import what they need inside their functions.
"""

from __future__ import annotations

import typer

from duckstring import __version__
from duckstring.commands import simulate

app = typer.Typer(
    name="duckstring",
    help="Data pipelines as packages: Ponds of DuckDB transforms, run by freshness and demand.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"duckstring {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Data pipelines as packages: Ponds of DuckDB transforms, run by freshness and demand."""


app.command(name="simulate")(simulate.simulate)


def main() -> None:
    app()
