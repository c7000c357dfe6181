"""A Pond project on this machine: its manifest, its `puddles/` paths and its modules."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from duckstring.cli_errors import FAILED, USAGE, CliError
from duckstring.manifest import Manifest

TMP_SUFFIX = ".tmp"  # as the Duck's publish: `.{table}.parquet.{token}.tmp`


def shown(path: Path) -> str:
    """A path as the user should read it: relative to the working directory when inside it."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class LocalProject:
    directory: Path
    manifest: Manifest

    @property
    def name(self) -> str:
        return self.manifest.name

    # -- paths ---------------------------------------------------------------------------------
    @property
    def root(self) -> Path:
        return self.directory / "puddles"

    @property
    def ponds(self) -> Path:
        return self.root / "ponds"

    def data_dir(self, pond: str) -> Path:
        return self.ponds / pond / "data"

    def lake_dir(self, pond: str) -> Path:
        """The Source's snapshots as a local Delta line (`local.sources`)."""
        return self.ponds / pond / "lake"

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def registry(self) -> Path:
        return self.out / "registry.duckdb"

    @property
    def state(self) -> Path:
        return self.out / "run.json"

    @property
    def seed_dir(self) -> Path:
        return self.out / "seed"

    def target_file(self, pond: str, table: str) -> Path:
        """Where a Puddle of `pond.table` lands: a Source snapshot, or this Pond's seed."""
        folder = self.seed_dir if pond == self.name else self.data_dir(pond)
        return folder / f"{table}.parquet"

    @property
    def puddles_file(self) -> Path:
        return self.directory / self.manifest.puddles

    @property
    def ripples_file(self) -> Path:
        return self.directory / self.manifest.ripples

    # -- modules -------------------------------------------------------------------------------
    def import_module(self, path: Path, kind: str) -> ModuleType:
        """Import the author's `path`; an exception at import is their traceback, exit 1."""
        from duckstring.authoring import import_file
        from duckstring.duck.attempt import one_line
        from duckstring.tracebacks import user_traceback

        if not path.is_file():
            raise CliError(f"{shown(path)} does not exist; write it, or point `{kind} = ` in "
                           "pond.toml at the right file", USAGE)
        module = "_duckstring_local_" + re.sub(r"\W", "_", f"{self.name}_{kind}")
        try:
            return import_file(path, self.directory, module)
        except Exception as e:
            raise CliError(f"cannot import {shown(path)}: {one_line(e)}", FAILED,
                           user_traceback(e).splitlines()) from None


def temp_for(dest: Path) -> Path:
    """A hidden temporary name next to `dest`, renamed over it once complete."""
    return dest.with_name(f".{dest.name}.{os.getpid()}{TMP_SUFFIX}")
