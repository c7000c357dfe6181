"""Deploying Pond projects from this machine: read and check each `pond.toml`, order the
projects Sources first, ask before replacing a deployed version, pack and upload, and say
what changed (the server's side is `duckstring/embedded/deployment.py`). Used by `pond deploy`
and `quickstart`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from duckstring import known
from duckstring.api_error import ApiError
from duckstring.cli_errors import USAGE, CliError
from duckstring.target import Target

if TYPE_CHECKING:
    from duckstring.manifest import Manifest
    from duckstring.session import Session


def sources_first(manifests: dict[Path, Manifest]) -> list[Path]:
    """The projects in an order that deploys each Source before the Sinks that read it."""
    by_name = {m.name: project for project, m in manifests.items()}
    order: list[Path] = []

    def visit(project: Path, seen: frozenset[Path]) -> None:
        if project in order or project in seen:
            return  # placed already, or a cycle (the Catchment refuses it with the path)
        for pin in manifests[project].sources:
            if pin.name in by_name:
                visit(by_name[pin.name], seen | {project})
        order.append(project)

    for project in manifests:
        visit(project, frozenset())
    return order


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
        s.client.version(Target(m.name, version=str(m.version)))
    except ApiError as e:
        if e.not_found:
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
        resp = s.client.deploy(manifest_text, archive)
    except ApiError as e:
        e.message = f"deploy refused: {project}: {e.message}"
        raise
    known.remember(s.reg.name, [f"{resp['name']}@{resp['major']}"], complete=False)
    verb, change = "deployed", ""
    if resp.get("replaced"):
        verb, change = "replaced", "code changed; " if resp.get("changed", True) else "unchanged; "
    console.say(f"{verb} {resp['name']} {resp['version']} "
                f"({change}line {resp['name']}@{resp['major']}) on {s.reg.name!r}")
    for missing in resp.get("missing_sources") or []:
        console.warn(f"{missing['warning']}; {_deploy_hint(project, missing)}")
    return dict(resp)


def _deploy_hint(project: Path, missing: dict[str, Any]) -> str:
    """How to deploy a missing Source: the real command when its project sits beside this one."""
    sibling = project.absolute().parent / missing["name"]
    if (sibling / "pond.toml").is_file():
        shown = sibling.relative_to(Path.cwd()) if sibling.is_relative_to(Path.cwd()) else sibling
        return f"deploy it with `duckstring pond deploy {shown}`"
    return (f"deploy it from its project directory with `duckstring pond deploy` "
            f"({missing['name']} {missing['version']} or later)")
