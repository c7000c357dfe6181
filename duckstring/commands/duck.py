"""`duckstring duck`: where a Pond's Ducks run (docs/scale.md) — its launcher and the resources
its Duck asks for, stored in the Catchment (like triggers, not in pond.toml)."""

from __future__ import annotations

import json
from typing import Any

import typer

from duckstring.commands._context import CATCHMENT, JSON, open_catchment, print_json

app = typer.Typer(name="duck", no_args_is_help=True,
                  help="Where a Pond's Ducks run: launcher (local or Ray) and resources.")

POND = typer.Argument(..., metavar="POND", help="Pond name.")


def _show(doc: dict[str, Any]) -> None:
    from duckstring.terminal import console

    p = doc["placement"]
    asked = []
    if p["cpus"] is not None:
        asked.append(f"{p['cpus']:g} CPUs")
    if p["memory_mb"] is not None:
        asked.append(f"{p['memory_mb']} MiB")
    asked += [f"{name}={amount:g}" for name, amount in sorted(p["resources"].items())]
    how = "" if p["launcher"] else " (the Catchment's default)"
    console.say(f"{doc['pond']}: launcher {doc['launcher']}{how}; resources: "
                f"{', '.join(asked) or 'none asked'}")
    for duck in doc["ducks"]:
        where = (f"running on {duck['launcher']}, node {duck['node'] or '(starting)'}"
                 if duck["launcher"] else "no Duck running")
        console.say(f"  {duck['line']}: {where}")


@app.command("set")
def set_(
    pond: str = POND,
    launcher: str | None = typer.Option(
        None, "--launcher", "-l", metavar="local|ray|default",
        help="Where its Ducks start; `default` follows the Catchment's launcher."),
    cpus: float | None = typer.Option(None, "--cpus", metavar="N", min=0.01,
                                      help="CPUs its Duck reserves on the launcher."),
    memory: str | None = typer.Option(None, "--memory", metavar="SIZE",
                                      help="Memory its Duck reserves (4GB, 512MB)."),
    resources: str | None = typer.Option(
        None, "--resources", metavar="JSON",
        help='Custom resources its Duck needs, e.g. \'{"gpu_node": 1}\' (Ray places it on a '
             "node that has them); '{}' clears them."),
    reset: bool = typer.Option(False, "--reset", help="Forget everything set before."),
    catchment: str | None = CATCHMENT, json_out: bool = JSON,
) -> None:
    """Choose where a Pond's Ducks run and what they reserve.

    A remote launcher (ray) needs the Catchment's tables on an object store (catchment init
    --data-url s3://…). A running idle Duck leaves, so the next one starts as set.

    Example: [bold]duckstring duck set sales --launcher ray --cpus 2 --memory 4GB[/]
    Example: [bold]duckstring duck set train --resources '{"gpu_node": 1}'[/]
    """
    body: dict[str, Any] = {}
    if reset:
        body["reset"] = True
    if launcher is not None:
        body["launcher"] = launcher
    if cpus is not None:
        body["cpus"] = cpus
    if memory is not None:
        body["memory"] = memory
    if resources is not None:
        try:
            body["resources"] = json.loads(resources)
        except json.JSONDecodeError as e:
            raise typer.BadParameter(f"not JSON: {e.msg}", param_hint="--resources") from None
    if not body:
        raise typer.BadParameter("nothing to set; give --launcher, --cpus, --memory, "
                                 "--resources or --reset", param_hint="POND")
    with open_catchment(catchment) as s:
        doc = s.client.set_duck(pond, body)
    if json_out:
        print_json(doc)
    else:
        _show(doc)


@app.command()
def show(pond: str = POND, catchment: str | None = CATCHMENT, json_out: bool = JSON) -> None:
    """Show where a Pond's Ducks run: its launcher, resources, and each running Duck's node.

    Example: [bold]duckstring duck show sales[/]
    """
    with open_catchment(catchment) as s:
        doc = s.client.duck(pond)
    if json_out:
        print_json(doc)
    else:
        _show(doc)


@app.command()
def check(pond: str = POND, catchment: str | None = CATCHMENT, json_out: bool = JSON) -> None:
    """Run a no-op where the Pond's Duck would run and report the versions found there.

    Exits 1 when nothing could run it (no node with the Pond's resources) or duckstring is
    missing there.

    Example: [bold]duckstring duck check sales[/]
    """
    from duckstring.cli_errors import FAILED, CliError
    from duckstring.terminal import console

    with open_catchment(catchment) as s:
        doc = s.client.check_duck(pond)
    if json_out:
        print_json(doc)
    if doc.get("error"):
        raise CliError(f"{pond} ({doc['launcher']}): {doc['error']}", FAILED)
    packages = doc.get("packages") or {}
    if json_out:
        if not packages.get("duckstring"):
            raise typer.Exit(FAILED)
        return
    found = ", ".join(f"{name} {version or 'MISSING'}" for name, version in packages.items())
    console.say(f"{pond}: {doc['launcher']} on {doc['node']}: Python {doc['python']}; {found}")
    if not packages.get("duckstring"):
        raise CliError(f"{pond}: duckstring is not installed where its Duck would run", FAILED)
