"""The command tree: one Typer app per group in `duckstring/commands/`, assembled here.

Keep imports light: `--help`, `--version` and completion must not import duckdb, pyarrow,
falcon or waitress; commands import what they need inside their functions.

Errors: a command raises `CliError` (or a usage error); `Root.invoke` prints it as one line on
stderr and exits with its code (docs/cli.md). Anything unexpected is one line too, unless
`DUCKSTRING_DEBUG=1` asks for the traceback.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from duckstring import __version__
from duckstring.api_error import ApiError
from duckstring.cli_errors import FAILED, CliError, from_api, reader_gone
from duckstring.commands import (
    catchment,
    control,
    duck,
    pond,
    puddle,
    query,
    quickstart,
    runs,
    simulate,
    status,
    team,
    trigger,
    why,
)
from duckstring.config import CliSettings


def _click_exceptions() -> Any:
    try:  # recent typer vendors click
        from typer._click import exceptions
    except ImportError:  # pragma: no cover - older typer with click installed
        from click import exceptions  # type: ignore[no-redef]
    return exceptions


class Root(TyperGroup):
    """The root group: turns every error into one line and an exit code."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return _one_line(lambda: super(Root, self).parse_args(ctx, args))  # type: ignore[no-any-return]

    def invoke(self, ctx: Any) -> Any:
        return _one_line(lambda: super(Root, self).invoke(ctx))


def _one_line(call: Any) -> Any:
    from duckstring.terminal import console

    exc = _click_exceptions()
    try:
        return call()
    except (typer.Exit, typer.Abort):
        raise
    except BrokenPipeError:
        reader_gone()
    except ApiError as e:  # the one place a failed request becomes an exit code
        report = from_api(e)
        console.report(report)
        raise typer.Exit(report.code) from None
    except CliError as e:
        console.report(e)
        raise typer.Exit(e.code) from None
    except exc.ClickException as e:
        if type(e).__name__ == "NoArgsIsHelpError":
            raise
        hint = None
        ctx = getattr(e, "ctx", None)
        if ctx is not None:
            hint = f"see `{ctx.command_path} --help`"
        console.report(CliError(e.format_message(), e.exit_code, hint=hint))
        raise typer.Exit(e.exit_code) from None
    except Exception as e:
        if CliSettings.from_env().debug:
            raise
        console.report(CliError(f"unexpected {type(e).__name__}: {e}", FAILED,
                                hint="set DUCKSTRING_DEBUG=1 to see the traceback"))
        raise typer.Exit(FAILED) from None


app = typer.Typer(
    name="duckstring",
    cls=Root,
    help="Data pipelines as packages: Ponds of DuckDB transforms, run by freshness and demand.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"duckstring {__version__}")
        raise typer.Exit()


def _show_completion(value: bool) -> None:
    if value:
        from duckstring.reference.completions import detect_shell, script
        from duckstring.reference.tree import load

        typer.echo(script(detect_shell(), load(app)), nl=False)
        raise typer.Exit()


def _install_completion(value: bool) -> None:
    if value:
        from duckstring.reference.completions import detect_shell, install
        from duckstring.reference.tree import load

        shell = detect_shell()
        for line in install(shell, load(app)):
            typer.echo(line)
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    install_completion: bool = typer.Option(
        False, "--install-completion", callback=_install_completion, is_eager=True,
        help="Install tab completion for the current shell (bash, zsh, fish).",
    ),
    show_completion: bool = typer.Option(
        False, "--show-completion", callback=_show_completion, is_eager=True,
        help="Print the completion script for the current shell.",
    ),
) -> None:
    """Data pipelines as packages: Ponds of DuckDB transforms, run by freshness and demand.

    Start with [bold]duckstring quickstart[/]; every command has --help and an example. The
    guides (concepts, writing Ponds, running a Catchment) are in docs/README.md of the
    duckstring repository.
    """


app.command(name="quickstart")(quickstart.quickstart)
catchment.app.add_typer(team.key_app)
app.add_typer(catchment.app)
app.add_typer(pond.app)
app.add_typer(puddle.app)
app.add_typer(trigger.app)
app.add_typer(control.app)
app.add_typer(duck.app)
app.command(name="status")(status.status)
app.command(name="runs")(runs.runs)
app.command(name="why")(why.why)
app.command(name="query")(query.query)
app.command(name="get")(query.get)
app.command(name="simulate")(simulate.simulate)
app.add_typer(team.secret_app)
app.add_typer(team.alert_app)
app.command(name="audit")(team.audit)


def main(prog_name: str | None = None) -> None:
    """Run the command tree (`duckstring/entry.py` is the console entry point, which answers
    the root `--version` and `--help` without it)."""
    try:
        app(prog_name=prog_name)
    except BrokenPipeError:
        reader_gone()
