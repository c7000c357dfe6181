"""Deploying a version (docs/concepts.md §11, docs/http-api.md `POST /api/deploy`).

1. Validate the manifest (every problem listed), unpack the archive safely into the root's
   scratch space, read the Ripple topology by importing the module in a subprocess (never
   running a Ripple body).
2. Under the coordinator's lock: check pins both ways (a Source selected below this Pond's pin;
   this version falling below an existing Sink's pin) and cycles between lines.
3. Swap the unpacked folder into `ponds/{name}/{version}/`, then record the version, select it
   for its line and hand the engine its new topology in one transaction. If that fails the old
   folder comes back. Refusals leave nothing behind (not even an empty `ponds/{name}/`).
4. Answer with what changed: `replaced` (the version existed), `changed` (its content digest
   differs — a replaced version with new code runs it next, since the Duck reloads on a new
   digest), and a warning for each declared Source that is not deployed yet.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from duckstring import manifest as manifests
from duckstring import packaging, semver
from duckstring.embedded.domain_errors import Invalid
from duckstring.embedded.store import versions
from duckstring.engine import RippleSpec, SourceRef, events
from duckstring.engine.errors import EngineError

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment

MAX_FILES = 10_000


def deploy(c: Catchment, manifest_text: str, archive: bytes | BinaryIO) -> dict[str, Any]:
    """Install a Pond version. Raises `ManifestError`, `UnsafeArchive` (`ArchiveTooLarge`),
    `ProbeError` or `Invalid` (a broken pin); http_errors says what each answers."""
    from duckstring.embedded.probe import read_topology
    from duckstring.embedded.unpack import unpack_zip

    m = manifests.parse(manifest_text, "pond.toml")
    scratch = c.layout.tmp / f"deploy-{uuid.uuid4().hex}"
    try:
        project = unpack_zip(archive, scratch, max_bytes=c.settings.max_upload_bytes * 4,
                             max_files=MAX_FILES)
        (project / manifests.FILENAME).write_text(manifest_text, encoding="utf-8")
        specs = read_topology(project, m)
        return _install(c, m, manifest_text, project, specs, packaging.digest(project))
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
             specs: list[RippleSpec], digest: str) -> dict[str, Any]:
    co = c.coordinator
    line = m.line
    with co.lock:
        problems = _pin_problems(c, m)
        if problems:
            raise Invalid("the deploy breaks a version pin", problems=problems)
        final = c.layout.version_dir(m.name, str(m.version))
        made_pond_dir = not final.parent.exists()
        previous = None
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                previous = c.layout.tmp / f"replaced-{uuid.uuid4().hex}"
                final.rename(previous)
            project.rename(final)
        except OSError as e:
            if previous is not None and not final.exists():
                previous.rename(final)
            _remove_if_empty(final.parent, made_pond_dir)
            raise Invalid(f"cannot store {m.name} {m.version}: {e.strerror}") from None
        row = versions.VersionRow(
            name=m.name, version=str(m.version), major=m.major, kind=m.kind,
            manifest=manifest_text,
            ripples=[{"name": s.name, "parents": list(s.parents), "always_run": s.always_run}
                     for s in specs],
            sources=[{"name": s.name, "major": s.major, "version": str(s.version),
                      "required": s.required} for s in m.sources],
            path=c.layout.relative(final), deployed_at=co.clock(), digest=digest,
        )
        before: versions.VersionRow | None = None

        def record(conn: Any, now: int) -> None:
            nonlocal before
            before = versions.get(conn, m.name, row.version)
            versions.put(conn, row)
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
            _remove_if_empty(final.parent, made_pond_dir)
            if isinstance(e, EngineError):
                raise Invalid(str(e), problems=[str(e)]) from None
            raise
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
        missing = _missing_sources(c, m)
    return {"name": m.name, "version": str(m.version), "major": m.major,
            "replaced": before is not None,
            "changed": before is None or before.digest != digest, "digest": digest,
            "ripples": json.loads(json.dumps(row.ripples)), "missing_sources": missing,
            "warnings": [w["warning"] for w in missing]}


def _missing_sources(c: Catchment, m: manifests.Manifest) -> list[dict[str, Any]]:
    """Each declared Source with no deployed line yet, with a warning to show (deploying out of
    order is allowed: the edge binds when the Source arrives)."""
    out = []
    for pin in m.sources:
        if pin.line in c.coordinator.selected:
            continue
        warning = (f"Source {pin.line} is not deployed; {m.line} stays blocked until it is"
                   if pin.required else
                   f"optional Source {pin.line} is not deployed; {m.line} runs without it")
        out.append({"line": pin.line, "name": pin.name, "version": str(pin.version),
                    "required": pin.required, "warning": warning})
    return out


def _remove_if_empty(directory: Path, made: bool) -> None:
    """A refused deploy leaves no `ponds/{name}/` of its own behind."""
    if made:
        with contextlib.suppress(OSError):
            directory.rmdir()
