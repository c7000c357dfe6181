"""Deploying a version (model.md §11, http-api.md `POST /api/deploy`).

1. Validate the manifest (every problem listed), unpack the archive safely into the root's
   scratch space, read the Ripple topology by importing the module in a subprocess (never
   running a Ripple body).
2. Under the coordinator's lock: check pins both ways (a Source selected below this Pond's pin;
   this version falling below an existing Sink's pin) and cycles between lines.
3. Swap the unpacked folder into `ponds/{name}/{version}/`, then record the version, select it
   for its line and hand the engine its new topology in one transaction. If that fails the old
   folder comes back. Refusals leave nothing behind.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from duckstring import manifest as manifests
from duckstring import semver
from duckstring.embedded.errors import Invalid, TooLarge
from duckstring.embedded.store import versions
from duckstring.engine import RippleSpec, SourceRef, events
from duckstring.engine.errors import EngineError

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment

MAX_FILES = 10_000


def deploy(c: Catchment, manifest_text: str, archive: bytes | BinaryIO) -> dict[str, Any]:
    from duckstring.embedded.probe import ProbeError, read_topology
    from duckstring.embedded.unpack import ArchiveTooLarge, UnsafeArchive, unpack_zip

    try:
        m = manifests.parse(manifest_text, "pond.toml")
    except manifests.ManifestError as e:
        raise Invalid("pond.toml is not valid", problems=[str(p) for p in e.problems]) from None
    scratch = c.layout.tmp / f"deploy-{uuid.uuid4().hex}"
    try:
        try:
            project = unpack_zip(archive, scratch, max_bytes=c.settings.max_upload_bytes * 4,
                                 max_files=MAX_FILES)
        except ArchiveTooLarge as e:
            raise TooLarge(str(e)) from None
        except UnsafeArchive as e:
            raise Invalid(str(e), problems=[str(e)]) from None
        (project / manifests.FILENAME).write_text(manifest_text, encoding="utf-8")
        try:
            specs = read_topology(project, m)
        except ProbeError as e:
            raise Invalid(str(e), problems=[str(e)], traceback=e.traceback) from None
        return _install(c, m, manifest_text, project, specs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _pin_problems(c: Catchment, m: manifests.Manifest) -> list[str]:
    problems = []
    selected = c.coordinator.selected
    for pin in m.sources:
        row = selected.get(pin.line)
        if row is not None and semver.parse(row.version) < pin.version:
            problems.append(
                f"[sources] {pin.name} needs ≥ {pin.version} but {pin.line} is at {row.version}; "
                f"deploy {pin.name} {pin.version} or later first"
            )
    for line, row in selected.items():
        for src in row.sources:
            if src["name"] == m.name and int(src["major"]) == m.major \
                    and m.version < semver.parse(src["version"]):
                problems.append(
                    f"{line} needs {m.name} ≥ {src['version']}; selecting {m.version} would fall "
                    "below that pin — deploy a later version"
                )
    return problems


def _install(c: Catchment, m: manifests.Manifest, manifest_text: str, project: Path,
             specs: list[RippleSpec]) -> dict[str, Any]:
    co = c.coordinator
    line = m.line
    with co.lock:
        problems = _pin_problems(c, m)
        if problems:
            raise Invalid("the deploy breaks a version pin", problems=problems)
        final = c.layout.version_dir(m.name, str(m.version))
        final.parent.mkdir(parents=True, exist_ok=True)
        previous = None
        if final.exists():
            previous = c.layout.tmp / f"replaced-{uuid.uuid4().hex}"
            final.rename(previous)
        project.rename(final)
        row = versions.VersionRow(
            name=m.name, version=str(m.version), major=m.major, kind=m.kind,
            manifest=manifest_text,
            ripples=[{"name": s.name, "parents": list(s.parents), "always_run": s.always_run}
                     for s in specs],
            sources=[{"name": s.name, "major": s.major, "version": str(s.version),
                      "required": s.required} for s in m.sources],
            path=c.layout.relative(final), deployed_at=co.clock(),
        )
        replaced = False

        def record(conn: Any, now: int) -> None:
            nonlocal replaced
            replaced = versions.put(conn, row)
            versions.select(conn, m.name, m.major, row.version, now)

        event = events.Deploy(
            line, tuple(SourceRef(s.line, s.required) for s in m.sources), tuple(specs),
            m.immediate_retries, m.source_retries,
        )
        old_row = co.selected.get(line)
        co.selected[line] = row  # runs begun by this step already use the new version
        try:
            co.apply(event, record=record)
        except BaseException as e:
            if old_row is None:
                del co.selected[line]
            else:
                co.selected[line] = old_row
            shutil.rmtree(final, ignore_errors=True)
            if previous is not None:
                previous.rename(final)
            if isinstance(e, EngineError):
                raise Invalid(str(e), problems=[str(e)]) from None
            raise
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    return {"name": m.name, "version": str(m.version), "major": m.major, "replaced": replaced,
            "ripples": json.loads(json.dumps(row.ripples))}
