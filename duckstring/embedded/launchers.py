"""Which launcher starts a line's Duck (docs/scale.md): the Catchment's (`DUCKSTRING_LAUNCHER`,
default `local`) unless its Pond's placement (`duckstring duck set`) says otherwise. The Ray
launcher (`embedded/ray_launcher.py`, the `ray` extra) is imported only once some Duck needs it,
so a Catchment that never uses Ray never imports it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from duckstring.embedded.domain_errors import Conflict, Unavailable
from duckstring.embedded.placement import effective, refuse_local_tables
from duckstring.embedded.store import placements
from duckstring.embedded.supervisor import DuckHandle, Launcher, ProcessLauncher
from duckstring.engine import split_line
from duckstring.lake.where import data_url

if TYPE_CHECKING:
    from duckstring.embedded.store import Store
    from duckstring.embedded.store.placements import Placement
    from duckstring.layout import Layout


class LauncherSettingError(RuntimeError):
    """The Catchment's launcher cannot work with how the root is set up."""


class RemoteLauncher(Launcher, Protocol):
    def check(self, line: str) -> dict[str, Any]:
        """`duck check`: what a no-op placed like the line's Duck found (or `error`)."""


class Launchers:
    """A `Launcher` that hands each line to the launcher its Pond's placement names."""

    def __init__(self, layout: Layout, store: Store, local: ProcessLauncher, default: str,
                 remote: Callable[[str], RemoteLauncher]) -> None:
        self.layout = layout
        self.store = store
        self.local = local
        self.default = default
        self._make_remote = remote  # builds a remote launcher by name, on first use
        self._remote: dict[str, RemoteLauncher] = {}
        if default != "local":
            try:
                refuse_local_tables(default, data_url(layout), "the Catchment")
            except Conflict as e:
                raise LauncherSettingError(e.message) from None

    def placement(self, line: str) -> Placement:
        with self.store.transaction() as conn:
            return placements.get(conn, split_line(line)[0])

    def name_for(self, line: str) -> str:
        return effective(self.placement(line), self.default)

    def remote(self, name: str) -> RemoteLauncher:
        if name not in self._remote:
            try:
                self._remote[name] = self._make_remote(name)
            except (ImportError, RuntimeError) as e:
                raise Unavailable(f"the {name} launcher is unavailable: {e}") from None
        return self._remote[name]

    def _for(self, line: str) -> Launcher:
        name = self.name_for(line)
        return self.local if name == "local" else self.remote(name)

    def spawn(self, line: str, url: str, token: str) -> DuckHandle:
        return self._for(line).spawn(line, url, token)

    def adopt(self, line: str) -> DuckHandle | None:
        """A Duck one of our remote launchers runs for the line (a local one holds its lock,
        which the Supervisor checks first). Asks the launcher the line uses now, then any
        other one already in use (the Pond moved while its Duck lived)."""
        name = self.name_for(line)
        asked = [self.remote(name)] if name != "local" else []
        asked += [launcher for other, launcher in self._remote.items() if other != name]
        for launcher in asked:
            handle = launcher.adopt(line)
            if handle is not None:
                return handle
        return None

    def check(self, line: str) -> dict[str, Any]:
        name = self.name_for(line)
        if name != "local":
            return self.remote(name).check(line)
        try:
            out = subprocess.run([sys.executable, "-m", "duckstring.duck.versions"],
                                 capture_output=True, text=True, timeout=60, check=True)
        except (OSError, subprocess.SubprocessError) as e:
            return {"error": f"the check failed on this machine: {e}"}
        return dict(json.loads(out.stdout))


def ray_factory(address: str | None, scope: str,
                placement: Callable[[str], Placement]) -> RemoteLauncher:
    """The Ray launcher of a Catchment (`scope`: its id), whose Ducks run in remote mode:
    they get the dial-back address and a one-time bootstrap credential, nothing else."""
    from duckstring.duck.remote import environ
    from duckstring.embedded.bootstrap import mint
    from duckstring.embedded.ray_launcher import RayLauncher

    return RayLauncher(address, scope, environ, mint, placement)
