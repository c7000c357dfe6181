"""`duckstring simulate`: run a scenario on the engine's virtual clock (docs/simulate.md)."""

from __future__ import annotations

from pathlib import Path

import typer


def simulate(
    scenario: Path = typer.Argument(..., help="Scenario file (TOML).", metavar="SCENARIO.toml"),
    until: str = typer.Option(
        None, "--until", help="Stop after this much virtual time (e.g. 60s, 1h30m, 7d)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Run a pipeline offline on a virtual clock and show what would run, when, and why.

    Example: [bold]duckstring simulate examples/scenarios/wave-bottleneck.toml --until 30s[/]
    """
    from duckstring.simulator import ScenarioError, Simulation, load
    from duckstring.simulator.gcpause import gc_paused
    from duckstring.simulator.report import to_json, to_text
    from duckstring.times import parse_duration

    try:
        horizon = parse_duration(until) if until is not None else None
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--until") from None
    with gc_paused():  # reading, simulating and reporting alike hold long-lived objects only
        try:
            sim = Simulation(load(scenario), until=horizon).run()
        except ScenarioError as e:
            for problem in str(e).splitlines():
                typer.echo(f"error: {problem}", err=True)
            raise typer.Exit(2) from None
        typer.echo(to_json(sim) if json_out else to_text(sim), nl=json_out)
