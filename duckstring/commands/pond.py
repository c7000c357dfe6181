"""`duckstring pond`: Pond projects on this machine — scaffold, demo, deploy, and test them
locally against Puddles (`hydrate`, `run`; the logic is in `duckstring.local`, deploying in
`duckstring.deploying`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from duckstring import known
from duckstring.api_error import ApiError
from duckstring.cli_errors import NOT_FOUND, USAGE, CliError, from_api
from duckstring.commands._context import CATCHMENT, MAJOR, POND, YES, open_catchment, parse_pond
from duckstring.deploying import deploy_project, load_manifest, sources_first

if TYPE_CHECKING:
    from duckstring.local.project import LocalProject

app = typer.Typer(name="pond", no_args_is_help=True,
                  help="Pond projects: scaffold one, write the demo, deploy to a Catchment, "
                       "test locally.")
PROJECT = typer.Option(Path("."), "--path", metavar="DIR",
                       help="The Pond project directory (default: here).")


@app.command()
def init(
    name: str = typer.Argument(..., metavar="NAME", help="Pond name ([a-z][a-z0-9_]*)."),
    directory: Path | None = typer.Argument(
        None, metavar="[DIR]", help="Where to write it (default: NAME/; `.` for here)."),
) -> None:
    """Scaffold a new Pond project in NAME/ (or in DIR; `.` writes it here).

    Writes pond.toml, src/pond.py (one Ripple), src/puddles.py, .gitignore and README.md; a
    README.md or .gitignore already there is kept. A directory that already holds a
    pond.toml or src/pond.py is left alone.

    Example: [bold]duckstring pond init hello && cd hello[/]
    Example: [bold]duckstring pond init hello .[/]
    """
    import os

    from duckstring.manifest import NAME, NAME_MAX
    from duckstring.scaffold import existing, write_project
    from duckstring.terminal import console

    if not NAME.match(name) or len(name) > NAME_MAX:
        raise typer.BadParameter(
            f"{name!r}: use lowercase letters, digits and _, starting with a letter "
            f"(max {NAME_MAX})", param_hint="NAME")
    dest = Path(name) if directory is None else directory
    if dest.exists() and not dest.is_dir():
        raise CliError(f"{dest} is a file, not a directory", USAGE)
    taken = existing(dest)
    if taken:
        raise CliError(f"{dest} already holds a Pond project ({', '.join(taken)}); pick an "
                       "empty directory or another DIR", USAGE)
    _, kept = write_project(dest, name)
    for path in kept:
        console.note(f"kept your {path.relative_to(dest)}")
    here = dest.absolute() == Path.cwd()
    where = "here" if here else f"{dest}{os.sep}"
    step = "" if here else f"cd {dest} && "
    console.say(f"created Pond {name!r} {'' if here else 'in '}{where} — next: "
                f"`{step}duckstring pond deploy`")


@app.command()
def demo(
    directory: Path = typer.Argument(Path("."), metavar="[DIR]",
                                     help="Where to write the Ponds (default: here)."),
    yes: bool = YES,
) -> None:
    """Write the four demo Ponds (transactions, products, sales, reports) as subdirectories.

    Example: [bold]duckstring pond demo demo && duckstring pond deploy demo --all[/]
    """
    from duckstring.demo import PONDS, write_demo
    from duckstring.terminal import console

    existing = [n for n in PONDS if (directory / n).exists()]
    if existing and not console.confirm(
        f"{', '.join(existing)} already exist in {directory}; overwrite their files?", yes=yes,
        refusal=f"{', '.join(existing)} already exist in {directory}; pass -y to overwrite",
    ):
        raise typer.Exit(1)
    written = write_demo(directory)
    console.say(f"wrote {', '.join(p.name for p in written)} in {directory}/ — next: "
                        f"`duckstring pond deploy {directory} --all`")


def projects_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if (p / "pond.toml").is_file())


@app.command()
def deploy(
    path: Path = typer.Argument(Path("."), metavar="[PATH]",
                                help="The project directory (with --all: a directory of them)."),
    all_: bool = typer.Option(False, "--all", help="Deploy every subdirectory with a pond.toml."),
    catchment: str | None = CATCHMENT, yes: bool = YES,
) -> None:
    """Package a Pond project and upload it to the Catchment.

    Says first whether that version exists (redeploying an existing version replaces it, and
    says whether its code changed); validation problems are listed per file and line, a module
    that fails to import with its traceback, and declared Sources that are not deployed yet are
    warnings. With --all, Sources deploy before their Sinks.

    Example: [bold]duckstring pond deploy[/]
    Example: [bold]duckstring pond deploy demo --all -y[/]
    """
    from duckstring.terminal import console

    if not path.is_dir():
        raise CliError(f"{path} is not a directory", USAGE)
    projects = projects_under(path) if all_ else [path]
    if not projects:
        raise CliError(f"no subdirectory of {path} has a pond.toml", USAGE)
    # every manifest is checked before anything is uploaded; Sources go before their Sinks
    projects = sources_first({project: load_manifest(project) for project in projects})
    failed: list[CliError] = []
    with open_catchment(catchment) as s:
        for project in projects:
            try:
                deploy_project(s, project, yes=yes)
            except (CliError, ApiError) as raised:
                e = from_api(raised) if isinstance(raised, ApiError) else raised
                if not all_ or e.code not in (USAGE, NOT_FOUND):
                    raise
                console.report(e)
                failed.append(e)
    if failed:
        raise CliError(f"{len(failed)} of {len(projects)} deploys failed", failed[0].code)


@app.command()
def remove(
    pond: str = POND, major: int | None = MAJOR,
    wipe: bool = typer.Option(False, "--wipe",
                              help="Also delete its deployed versions and published data."),
    catchment: str | None = CATCHMENT, yes: bool = YES,
) -> None:
    """Retire a Pond line: stop its work and its Duck, and take it out of the graph.

    Says first what it will stop and which Sinks it blocks (they show it as a missing
    Source until it is deployed again), then asks. Its run history stays; [bold]--wipe[/]
    also deletes its versions and data. A Pond with several live majors needs NAME@MAJOR.

    Example: [bold]duckstring pond remove hello[/]
    Example: [bold]duckstring pond remove sales@2 --wipe -y[/]
    """
    from duckstring.terminal import console

    t = parse_pond(pond, major)
    with open_catchment(catchment) as s:
        if t.major is None:
            majors = [p["major"] for p in s.client.ponds() if p["name"] == t.pond]
            if len(majors) > 1:
                listed = ", ".join(f"{t.pond}@{m}" for m in majors)
                raise CliError(f"{t.pond} has {len(majors)} live majors ({listed}); name one",
                               USAGE, hint=f"e.g. `duckstring pond remove {t.pond}@{majors[-1]}`")
        plan = s.client.remove(t.pond, major=t.major, wipe=wipe, dry_run=True)
        line = plan["pond"]
        for text in removal_plan(plan):
            console.say(text)
        question = f"Remove {line}" + (" and delete its versions and data" if wipe else "") + "?"
        if not console.confirm(question, yes=yes, refusal=f"pass -y to remove {line}"):
            console.note(f"{line}: left as it is")
            raise typer.Exit(1)
        done = s.client.remove(t.pond, major=int(line.rpartition("@")[2]), wipe=wipe)
        known.forget(s.reg.name, line)
    console.say(f"removed {line}" + (" and its versions and data" if wipe else "")
                + f"; its run history stays (`duckstring runs {line}`)")
    if not done.get("duck_stopped", True):
        console.warn(f"{line}'s Duck did not stop in time; it was killed")


def removal_plan(plan: dict[str, Any]) -> list[str]:
    """What `pond remove` will do, in a few lines."""
    from duckstring.terminal.console import human_bytes
    from duckstring.terminal.views import trigger_text

    line = plan["pond"]
    stops = []
    if plan.get("running"):
        stops.append("its run in flight")
    if plan.get("trigger"):
        stops.append(f"its standing {trigger_text(plan['trigger'])}")
    if plan.get("windows"):
        n = plan["windows"]
        stops.append(f"its {n} Window rule{'s' * (n != 1)}")
    if plan.get("duck"):
        stops.append("its Duck")
    out = [f"{line} is {plan['status']}; removing it stops "
           + (", ".join(stops) if stops else "nothing (it is at rest)")]
    if plan.get("blocks"):
        out.append(f"it blocks {', '.join(plan['blocks'])}: they will show {line} as a missing "
                   "Source until it is deployed again")
    optional = sorted(set(plan.get("sinks") or []) - set(plan.get("blocks") or []))
    if optional:
        out.append(f"{', '.join(optional)} read it as an optional Source and carry on")
    versions = ", ".join(plan.get("versions") or []) or "none"
    if plan.get("wipe"):
        out.append(f"--wipe deletes versions {versions} and its data "
                   f"({human_bytes(plan.get('bytes') or 0)}); its run history stays")
    else:
        out.append(f"its versions ({versions}), data and run history stay; --wipe deletes "
                   "the versions and data")
    return out


def rows(n: int) -> str:
    return f"{n:,} row{'s' * (n != 1)}"


def local_project(directory: Path) -> LocalProject:
    from duckstring.local.project import LocalProject

    return LocalProject(directory.absolute(), load_manifest(directory))


@app.command()
def hydrate(
    sources: list[str] = typer.Option([], "--source", "-s", metavar="SOURCE",
                                      help="Only this Source (repeatable)."),
    from_catchment: bool = typer.Option(
        False, "--from-catchment",
        help="Download the Sources' published tables instead of running the Puddles."),
    path: Path = PROJECT, catchment: str | None = CATCHMENT,
) -> None:
    """Materialise the Puddles into puddles/ponds/SOURCE/data/TABLE.parquet.

    Calls each @puddle of src/puddles.py; a Puddle of this Pond itself seeds its prior state
    for [bold]pond run[/]. With [bold]--from-catchment[/], downloads the declared Sources'
    published tables from the Catchment instead.

    Example: [bold]duckstring pond hydrate -s transactions[/]
    """
    from duckstring.cli_errors import FAILED
    from duckstring.local import hydrate as h
    from duckstring.local.project import shown
    from duckstring.terminal import console

    project = local_project(path)
    only = h.check_selection(project, sources, own=not from_catchment)
    written: list[h.Written] = []
    failed: list[h.Failed] = []

    def said(item: h.Written | h.Failed) -> None:
        if isinstance(item, h.Failed):
            failed.append(item)
            console.report(h.failure(item))
            return
        written.append(item)
        console.say(f"{item.target}: {rows(item.rows)} → {shown(item.path)}")

    if from_catchment:
        with open_catchment(catchment) as s:
            for item in h.from_catchment(project, s.client, only):
                said(item)
    else:
        defs = h.puddles(project)
        for item in h.hydrate(project, defs, only):
            said(item)
    if failed:
        raise CliError(f"{len(failed)} of {len(written) + len(failed)} Puddles failed; nothing "
                       f"was written for {', '.join(f.target for f in failed)}", FAILED)
    if not written:
        console.note(f"nothing to hydrate: {shown(project.puddles_file)} declares no "
                     f"@puddle{' for ' + ', '.join(only) if only else ''}")


@app.command()
def run(
    ripple: str | None = typer.Option(None, "--ripple", metavar="NAME",
                                      help="Run only this Ripple (its parents ran before)."),
    fresh: bool = typer.Option(False, "--fresh",
                               help="Start from an empty registry, without the seeds."),
    path: Path = PROJECT,
) -> None:
    """One local Pond Run against the Puddles; output in puddles/out/.

    Runs every Ripple in topological order with the real pond handle, on a local registry
    (puddles/out/registry.duckdb), then exports each table to puddles/out/TABLE.parquet. A
    failing Ripple prints its traceback and exits 1.

    Example: [bold]duckstring pond hydrate && duckstring pond run[/]
    """
    from duckstring.cli_errors import FAILED
    from duckstring.local.project import shown
    from duckstring.local.run import LocalRun
    from duckstring.terminal import console

    project = local_project(path)
    with LocalRun(project, only=ripple, fresh=fresh) as local:
        seeded = local.seed()
        if seeded:
            console.note(f"seeded {', '.join(seeded)} from {shown(project.seed_dir)}/")
        for r in local.execute():
            console.say(f"{r.name}: {'ok' if r.ok else 'failed'} in {r.seconds:.2f} s")
            if r.log:
                console.note("\n".join(f"  {line}" for line in r.log.splitlines()))
            if not r.ok:
                raise CliError(f"Ripple {r.name} failed: {r.error}", FAILED,
                               (r.traceback or "").splitlines())
        published = local.export()
    for table, info in published.tables.items():
        console.say(f"{project.name}.{table}: {rows(info['rows'])} → "
                    f"{shown(project.out / f'{table}.parquet')}")
    if not published.tables:
        console.note("the run wrote no table")
