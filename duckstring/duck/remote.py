"""A Duck on another machine: it needs nothing from the Catchment's disk (docs/operating.md §2).

`python -m duckstring.duck --work DIR --line NAME@MAJOR` (`command`), with only the Catchment's
address and a one-time bootstrap credential in its environment (`environ`; a launcher adds them
to the child's environment, never to argv or Ray's `runtime_env`). On start it:

1. redeems the credential (`redeem`) for its grant: the Duck token, the line's secrets, the data
   URL and the Catchment's Duck knobs, and puts them in its own environment (`apply`), so a
   re-exec of the same process starts with them and does not redeem again (the object store's
   credentials come from the worker's own environment, or from the Pond's secrets);
2. keeps `DIR` as a root of its own (`Layout(DIR)`): `ponds/{name}/{version}/` for the versions
   it fetched, `ponds/{name}/m{major}/` for its registry, ledger, line lock and duck.log, and
   `data.url` naming where every line's tables live;
3. at a launch, rebuilds its registry from its own published tables when `DIR` is new or
   behind (the Duck ran elsewhere since: `rebuild`), so a Duck that starts somewhere else
   carries on from the last run its line published;
4. fetches each version it is asked to run (`fetch`) from the Catchment, verifies the digest
   the job named, and unpacks it with the deploy's own safe unpack.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duckstring import protocol
from duckstring.layout import Layout
from duckstring.redact import SECRET_NAMES_ENV

log = logging.getLogger("duckstring.duck")
MAX_ARTIFACT_BYTES = 1 << 30  # unpacked; far above a real Pond project
MAX_ARTIFACT_FILES = 10_000
TIMEOUT_S = 60.0


class RemoteError(RuntimeError):
    """The Duck cannot start or load here: one line saying why and what to do."""


def command(line: str, work: Path) -> list[str]:
    """The argv of a remote-mode Duck for `line` keeping its state in `work`: no secret in it."""
    return [sys.executable, "-m", "duckstring.duck", "--work", str(Path(work).absolute()),
            "--line", line]


def environ(url: str, bootstrap: str) -> dict[str, str]:
    """What a launcher adds to the Duck's environment: the Catchment's address and the
    bootstrap credential minted for this launch (`Bootstraps.mint`)."""
    return {protocol.URL_ENV: url, protocol.BOOTSTRAP_ENV: bootstrap}


@dataclass(frozen=True)
class Grant:
    token: str
    data_url: str
    env: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)


def _ask(url: str, token: str, method: str, path: str, what: str, **kwargs: Any) -> Any:
    """One request to the Catchment, answered 200; else RemoteError naming `what`."""
    import httpx

    headers = {"Connection": "close"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with httpx.Client(base_url=url.strip().rstrip("/") + "/", headers=headers,
                          timeout=httpx.Timeout(TIMEOUT_S)) as client:
            r = client.request(method, path.lstrip("/"), **kwargs)
    except httpx.HTTPError as e:
        raise RemoteError(f"cannot reach the Catchment at {url} for {what}: "
                          f"{type(e).__name__}") from None
    if r.status_code != 200:
        raise RemoteError(f"the Catchment refused {what} ({r.status_code}): {_message(r)}")
    return r


def _message(r: Any) -> str:
    try:
        return str(r.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return str(r.text)[:200]


def redeem(url: str, name: str, major: int, bootstrap: str) -> Grant:
    """Spend the bootstrap credential at the Catchment; RemoteError when it refuses."""
    body = _ask(url, "", "POST", protocol.bootstrap_path(name, major), "the bootstrap",
                json={"bootstrap": bootstrap}).json()
    return Grant(token=str(body["token"]), data_url=str(body["data_url"]),
                 env={str(k): str(v) for k, v in (body.get("env") or {}).items()},
                 secrets={str(k): str(v) for k, v in (body.get("secrets") or {}).items()})


def apply(grant: Grant, layout: Layout,
          env: MutableMapping[str, str] | None = None) -> None:
    """The grant in this process's environment (the worker's own knobs win over the
    Catchment's; the line's secrets always win) and the data URL in `layout`."""
    target = os.environ if env is None else env
    for k, v in grant.env.items():
        target.setdefault(k, v)
    target.update(grant.secrets)
    target[SECRET_NAMES_ENV] = ",".join(sorted(grant.secrets))
    target[protocol.TOKEN_ENV] = grant.token
    target.pop(protocol.BOOTSTRAP_ENV, None)
    layout.root.mkdir(parents=True, exist_ok=True)
    _write(layout.data_url, grant.data_url + "\n")


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def fetch(layout: Layout, url: str, token: str, name: str, major: int, version: str,
          digest: str = "") -> Path:
    """`ponds/{name}/{version}/` in `layout`, fetched unless the copy there has `digest`
    (any copy, when the job named none); RemoteError when the download is refused or its
    content is not what the job named."""
    from duckstring.embedded.unpack import UnsafeArchive, unpack_zip
    from duckstring.packaging import digest as digest_of

    final = layout.version_dir(name, version)
    if final.is_dir() and (not digest or digest_of(final) == digest):
        return final
    r = _ask(url, token, "GET", protocol.artifact_path(name, major), f"{name} {version}",
             params={"version": version})
    expected = digest or r.headers.get(protocol.DIGEST_HEADER, "")
    work = scratch(layout, name, major)
    try:
        unpacked = unpack_zip(r.content, work, max_bytes=MAX_ARTIFACT_BYTES,
                              max_files=MAX_ARTIFACT_FILES)
    except UnsafeArchive as e:
        raise RemoteError(f"the artifact of {name} {version} is not a safe project zip: {e}") \
            from None
    got = digest_of(unpacked)
    if not expected or got != expected:
        shutil.rmtree(unpacked, ignore_errors=True)
        raise RemoteError(f"the artifact of {name} {version} has digest {got}, not "
                          f"{expected or 'the one the Catchment named (none)'}; refusing it")
    final.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if final.exists():  # the version was replaced: swap the new files in
        old = work / f"replaced-{version}"
        final.rename(old)
    unpacked.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    log.info("fetched %s %s (%s)", name, version, got)
    return final


def scratch(layout: Layout, name: str, major: int) -> Path:
    """Where this line's fetches unpack before the swap into place: the line's own, so the Duck
    holding the line lock may clear what a crash mid-fetch left (`clear_scratch`)."""
    return layout.line_dir(name, major) / ".fetch"


def clear_scratch(layout: Layout, name: str, major: int) -> None:
    """At start, with the line lock held: no fetch of this line is under way anywhere."""
    shutil.rmtree(scratch(layout, name, major), ignore_errors=True)


def rebuild(layout: Layout, name: str, major: int) -> int | None:
    """At a launch: when the line published a run this work directory does not know (it is
    new, or the Duck ran elsewhere since), fill the line's registry with that run's tables (so
    Ripples that build on their previous output carry on), and record the run in the ledger
    (`pond.previous_f`); checkpoints of older work here no longer count. Returns that run's F,
    or None when the work directory is current (or nothing is published yet)."""
    from duckstring.duck.ledger import Ledger
    from duckstring.lake.read import snapshot
    from duckstring.lake.where import line

    found = snapshot(line(layout, name, major))
    if found is None:
        return None
    registry = layout.registry(name, major)
    ledger = Ledger(layout.ledger(name, major))
    try:
        known = ledger.last_published(1 << 62)
        if registry.exists() and known is not None and known >= found.manifest.f:
            return None
        _fill(registry, found)
        with ledger.transaction():
            ledger.adopt_published(found.manifest.f, int(time.time() * 1000))
            ledger.reset_checkpoints()
    finally:
        ledger.close()
    log.info("%s@%d: registry rebuilt from run %d (%s)", name, major, found.manifest.f,
             json.dumps(found.tables, sort_keys=True))
    return found.manifest.f


def _fill(registry: Path, found: Any) -> None:
    """A registry holding the tables of the published run `found` (a lake Snapshot), built
    aside and swapped in whole."""
    import duckdb

    from duckstring.duck.registry import quote
    from duckstring.lake.read import register, unregister

    registry.parent.mkdir(parents=True, exist_ok=True)
    building = registry.with_name(registry.name + ".rebuilding")
    wal = registry.with_name(registry.name + ".wal")
    for leftover in (building, building.with_name(building.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(str(building))
    try:
        for table, version in sorted(found.tables.items()):
            view = f"_duckstring_rebuild_{table}"
            register(con, view, found.line, table, version)
            con.execute(f"CREATE TABLE main.{quote(table)} AS SELECT * FROM {quote(view)}")
            unregister(con, view)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    wal.unlink(missing_ok=True)  # the old registry's: it must never replay onto the new one
    building.replace(registry)
