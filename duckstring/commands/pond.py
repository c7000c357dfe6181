"""`duckstring pond`: Pond projects on this machine — scaffold, demo, deploy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from duckstring.cli_errors import NOT_FOUND, USAGE, CliError
from duckstring.commands._context import CATCHMENT, YES, open_catchment

if TYPE_CHECKING:
    from duckstring.manifest import Manifest
    from duckstring.session import Session

app = typer.Typer(name="pond", no_args_is_help=True,
                  help="Pond projects: scaffold one, write the demo, deploy to a Catchment.")


@app.command()
def init(name: str = typer.Argument(..., metavar="NAME", help="Pond name ([a-z][a-z0-9_]*).")) -> None:
    """Scaffold a new Pond project.

    Writes pond.toml, src/pond.py (one Ripple), src/puddles.py, .gitignore and README.md in
    the current directory when it is empty, else in NAME/.

    Example: [bold]duckstring pond init sales[/]
    """
    from duckstring.manifest import NAME, NAME_MAX
    from duckstring.scaffold import write_project
    from duckstring.terminal import console

    if not NAME.match(name) or len(name) > NAME_MAX:
        raise typer.BadParameter(
            f"{name!r}: use lowercase letters, digits and _, starting with a letter "
            f"(max {NAME_MAX})", param_hint="NAME")
    here = Path.cwd()
    dest = here if not any(here.iterdir()) else here / name
    if dest.exists() and any(dest.iterdir()):
        raise CliError(f"{dest} is not empty; run `pond init` in an empty directory", USAGE)
    write_project(dest, name)
    where = "." if dest == here else name
    console.say(f"created Pond {name!r} in {where}/ — next: "
                        f"`{'' if dest == here else f'cd {name} && '}duckstring pond deploy`")


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


def load_manifest(project: Path) -> Manifest:
    from duckstring.manifest import FILENAME, ManifestError, load

    if not (project / FILENAME).is_file():
        raise CliError(f"{project} has no {FILENAME}; is it a Pond project? "
                       "(`duckstring pond init NAME` makes one)", USAGE)
    try:
        return load(project)
    except ManifestError as e:
        count = len(e.problems)
        raise CliError(f"{project / FILENAME} is not valid ({count} problem{'s' * (count != 1)})",
                       USAGE, [str(p) for p in e.problems]) from None


def version_exists(s: Session, m: Manifest) -> bool:
    try:
        s.client.get(f"/api/ponds/{m.name}/versions/{m.version}")
    except CliError as e:
        if e.code == NOT_FOUND:
            return False
        raise
    return True


def deploy_project(s: Session, project: Path, *, yes: bool,
                   skip_existing: bool = False) -> dict[str, Any] | None:
    """Deploy one project; None when it was left alone (existing version not replaced)."""
    from duckstring.packaging import pack_project
    from duckstring.terminal import console

    m = load_manifest(project)
    label = f"{m.name} {m.version}"
    if version_exists(s, m):
        if skip_existing:
            console.note(f"{label} is already deployed on {s.reg.name!r}; reusing it")
            return None
        if not console.confirm(
            f"{label} is already deployed on {s.reg.name!r}; redeploying replaces it. Continue?",
            yes=yes, refusal=f"{label} is already deployed on {s.reg.name!r}; "
                             "pass -y to replace it",
        ):
            console.note(f"{label}: left as it is")
            return None
    else:
        console.note(f"{label} is new on {s.reg.name!r}")
    archive = pack_project(project, on_skip=lambda rel, why: console.warn(f"{rel}: skipped, {why}"))
    manifest_text = (project / "pond.toml").read_bytes()
    try:
        resp = s.client.json(s.client.request("POST", "/api/deploy", files={
            "manifest": ("pond.toml", manifest_text, "text/plain"),
            "archive": ("project.zip", archive, "application/zip"),
        }, timeout=300))
    except CliError as e:
        e.message = f"{project}: deploy refused: {e.message}"
        raise
    verb = "replaced" if resp.get("replaced") else "deployed"
    console.say(f"{verb} {resp['name']} {resp['version']} "
                        f"(line {resp['name']}@{resp['major']}) on {s.reg.name!r}")
    return dict(resp)


@app.command()
def deploy(
    path: Path = typer.Argument(Path("."), metavar="[PATH]",
                                help="The project directory (with --all: a directory of them)."),
    all_: bool = typer.Option(False, "--all", help="Deploy every subdirectory with a pond.toml."),
    catchment: str | None = CATCHMENT, yes: bool = YES,
) -> None:
    """Package a Pond project and upload it to the Catchment.

    Says first whether that version exists (redeploying an existing version replaces it);
    validation problems are listed per file and line.

    Example: [bold]duckstring pond deploy[/]
    Example: [bold]duckstring pond deploy demo --all -y[/]
    """
    from duckstring.terminal import console

    if not path.is_dir():
        raise CliError(f"{path} is not a directory", USAGE)
    projects = projects_under(path) if all_ else [path]
    if not projects:
        raise CliError(f"no subdirectory of {path} has a pond.toml", USAGE)
    for project in projects:  # every manifest is checked before anything is uploaded
        load_manifest(project)
    failed: list[CliError] = []
    with open_catchment(catchment) as s:
        for project in projects:
            try:
                deploy_project(s, project, yes=yes)
            except CliError as e:
                if not all_ or e.code not in (USAGE, NOT_FOUND):
                    raise
                console.report(e)
                failed.append(e)
    if failed:
        raise CliError(f"{len(failed)} of {len(projects)} deploys failed", failed[0].code)
