"""Loading one deployed version of a Pond: its manifest, its Ripple functions and their topology.

A Duck loads exactly one version per process; switching versions re-execs the process so the
author's modules (and anything they imported) reload cleanly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from duckstring import manifest as manifest_mod
from duckstring.authoring import import_file, ripples_of
from duckstring.engine.ripples import RippleSpec, order_ripples
from duckstring.layout import Layout


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    directory: Path
    manifest: manifest_mod.Manifest
    specs: tuple[RippleSpec, ...]
    functions: dict[str, Callable[[Any], Any]]

    def source_dirs(self, layout: Layout) -> dict[str, Any]:
        """Where each declared Source's published tables live (its pinned major's line)."""
        from duckstring.lake.where import line

        return {s.name: line(layout, s.name, s.major) for s in self.manifest.sources}


def module_name(name: str, version: str) -> str:
    return "_duckstring_pond_" + re.sub(r"[^A-Za-z0-9_]", "_", f"{name}_{version}")


def load(layout: Layout, name: str, version: str) -> Project:
    """Read `ponds/{name}/{version}/`; raise with a message fit for the run history."""
    directory = layout.version_dir(name, version)
    if not directory.is_dir():
        raise FileNotFoundError(f"version {version} of {name} is not deployed (no {directory})")
    man = manifest_mod.load(directory)
    if man.name != name or str(man.version) != version:
        raise ValueError(
            f"{directory / manifest_mod.FILENAME} declares {man.name} {man.version}, "
            f"expected {name} {version}"
        )
    return from_module(directory, man, import_file(directory / man.ripples, directory,
                                                   module_name(name, version)))


def from_module(directory: Path, man: manifest_mod.Manifest, module: ModuleType) -> Project:
    """The Project a Pond's imported Ripples module describes (its Ripples in topological
    order); also what a local `pond run` executes."""
    defs = ripples_of(module)
    specs = tuple(order_ripples(RippleSpec(d.name, d.parents, d.always_run) for d in defs))
    return Project(man.name, str(man.version), directory, man, specs,
                   {d.name: d.func for d in defs})
