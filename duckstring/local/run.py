"""`pond run`: one local Pond Run against the hydrated Puddles, with the Duck's own parts.

- The registry is `puddles/out/registry.duckdb`, opened like a line's (`duck.registry`); every
  Ripple gets the real `PondHandle`, its Sources reading `puddles/ponds/{source}/data/` as
  published to the local Delta line `puddles/ponds/{source}/lake/` at the run's freshness
  (`local.sources`), so `read_changes` shows what changed since the previous complete run.
- Before the run, each seed (a Puddle of the Pond itself, `puddles/out/seed/`) replaces its
  registry table. `--fresh` deletes the registry and ignores the seeds.
- Ripples run one at a time in topological order; the first failure ends the run, and nothing
  is exported. `--ripple NAME` runs that Ripple alone: its parents must have completed in an
  earlier run on this registry (`run.json` remembers which did).
- A complete run exports every registry table to `puddles/out/{table}.parquet` with the Duck's
  publish; the previous output is removed first, since locally there is no contract to keep.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from duckstring.authoring import puddles_of
from duckstring.cli_errors import FAILED, NOT_FOUND, USAGE, CliError
from duckstring.local.project import LocalProject, shown

if TYPE_CHECKING:
    from duckstring.duck.loader import Project
    from duckstring.duck.publish import Published
    from duckstring.duck.registry import Registry

HYDRATE = "run `duckstring pond hydrate` first"


@dataclass(frozen=True)
class RippleResult:
    name: str
    seconds: float
    ok: bool
    error: str | None = None
    traceback: str | None = None
    log: str = ""


class LocalRun:
    """`with LocalRun(project, only=…, fresh=…) as run:` seed, execute, export."""

    def __init__(self, project: LocalProject, *, only: str | None = None,
                 fresh: bool = False) -> None:
        self.project = project
        self.fresh = fresh
        self.pond = self._load()
        self.specs = [s for s in self.pond.specs if only is None or s.name == only]
        self.state = {} if fresh or not project.registry.is_file() else _read_state(project.state)
        if only is not None:
            self._check_only(only)
        self._check_sources()
        self.registry: Registry | None = None

    def _load(self) -> Project:
        from duckstring.duck.loader import from_module
        from duckstring.engine.errors import TopologyError

        module = self.project.import_module(self.project.ripples_file, "ripples")
        try:
            return from_module(self.project.directory, self.project.manifest, module)
        except (TopologyError, ValueError) as e:
            raise CliError(f"{shown(self.project.ripples_file)}: {e}", USAGE) from None

    def _check_only(self, only: str) -> None:
        if not self.specs:
            names = ", ".join(s.name for s in self.pond.specs)
            raise CliError(f"--ripple {only}: no such Ripple in {shown(self.project.ripples_file)}"
                           f" (it has {names})", USAGE)
        done = set(self.state.get("done", []))
        missing = [p for p in self.specs[0].parents if p not in done]
        if missing:
            why = ("--fresh empties the registry" if self.fresh
                   else "no earlier run on the local registry completed them")
            raise CliError(f"--ripple {only} reads the tables of {', '.join(missing)}, but {why}"
                           "; run `duckstring pond run` first", USAGE)

    def _check_sources(self) -> None:
        """Every Puddle of a declared Source is hydrated, and every required Source has one."""
        project = self.project
        declared = {s.name for s in project.manifest.sources}
        if project.puddles_file.is_file():
            module = project.import_module(project.puddles_file, "puddles")
            for d in puddles_of(module):
                pond, table = d.target.split(".")
                path = project.target_file(pond, table)
                if pond in declared and not path.is_file():
                    raise CliError(f"{shown(path)} is missing: {HYDRATE}", NOT_FOUND)
        for pin in project.manifest.sources:
            folder = project.data_dir(pin.name)
            if pin.required and not any(folder.glob("*.parquet")):
                raise CliError(
                    f"no snapshot of Source {pin.name!r} in {shown(folder)}/: add a @puddle for "
                    f"it in {shown(project.puddles_file)} and {HYDRATE} (or hydrate "
                    "--from-catchment)", NOT_FOUND)

    # -- the registry --------------------------------------------------------------------------
    def __enter__(self) -> LocalRun:
        from duckstring.duck.registry import Registry

        if self.fresh:
            for suffix in ("", ".wal"):
                Path(f"{self.project.registry}{suffix}").unlink(missing_ok=True)
            self.project.state.unlink(missing_ok=True)
        self.registry = Registry(self.project.registry)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.registry is not None:
            self.registry.close()
            self.registry = None

    def seed(self) -> list[str]:
        """Replace each seeded table with its seed (none with `--fresh`)."""
        from duckstring.duck.registry import literal, write_table

        assert self.registry is not None
        if self.fresh:
            return []
        seeded = []
        for path in sorted(self.project.seed_dir.glob("*.parquet")):
            con = self.registry.cursor()
            try:
                data = con.sql(f"SELECT * FROM read_parquet({literal(str(path))})")
                write_table(con, self.registry.catalog, path.stem, data, self.registry.swap_lock)
            finally:
                con.close()
            seeded.append(path.stem)
        return seeded

    # -- the run -------------------------------------------------------------------------------
    def execute(self) -> Iterator[RippleResult]:
        """Run the Ripples in order, yielding each result; stop after a failure."""
        from duckstring.duck.attempt import attempt_logger, invoke
        from duckstring.duck.handle import PondHandle
        from duckstring.local.sources import source_line

        registry = self.registry
        assert registry is not None
        project = self.project
        f = int(time.time() * 1000)
        sources = {s.name: source_line(project.data_dir(s.name), project.lake_dir(s.name), f)
                   for s in project.manifest.sources}
        done: list[str] = list(self.state.get("done", []))
        for spec in self.specs:
            logger, capture = attempt_logger(project.name, spec.name)
            handle = PondHandle(
                name=project.name, version=str(project.manifest.version), f=f,
                con=registry.cursor(), previous_f=self.state.get("previous_f"), sources=sources,
                log=logger, catalog=registry.catalog, write_lock=registry.swap_lock,
            )
            started = time.monotonic()
            outcome = invoke(self.pond.functions[spec.name], handle, capture)
            result = RippleResult(spec.name, time.monotonic() - started, outcome.ok,
                                  outcome.error, outcome.traceback, outcome.log)
            if outcome.ok and spec.name not in done:
                done.append(spec.name)
            self._save(done=done)
            yield result
            if not outcome.ok:
                return
        if len(self.specs) == len(self.pond.specs):
            self._save(previous_f=f)  # a complete run: the next one's previous_f

    def _save(self, **changes: Any) -> None:
        self.state.update(changes)
        self.project.state.parent.mkdir(parents=True, exist_ok=True)
        self.project.state.write_text(json.dumps(self.state, indent=2) + "\n", encoding="utf-8")

    def export(self) -> Published:
        """Every registry table to `puddles/out/{table}.parquet`."""
        from duckstring.duck.publish import publish

        assert self.registry is not None
        for old in self.project.out.glob("*.parquet"):
            old.unlink()
        con = self.registry.cursor()
        try:
            published = publish(con, self.project.out, f"{self.project.name} (local)")
        finally:
            con.close()
        if published.rejected is not None:  # cannot happen with no previous output
            raise CliError(published.rejected, FAILED)
        return published


def _read_state(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
