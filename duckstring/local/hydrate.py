"""`pond hydrate`: materialise a project's Puddles as Source snapshots (docs/authoring.md).

- Each `@puddle("source.table")` function is called with a `PuddleHandle`; it either calls
  `p.write_table(data)` or returns the data: a DuckDB relation, a pyarrow Table, a pandas or
  polars DataFrame, or the path of a Parquet file (relative to the project), which is copied in.
- The target's source must be a Source declared in pond.toml, or the Pond itself: that seeds
  the Pond's prior state for `pond run` (`puddles/out/seed/`).
- Each file is written to a hidden temporary name and renamed into place: a Puddle that fails
  leaves the previous snapshot (or nothing) where it was.
- `--from-catchment` downloads each declared Source's published tables instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duckstring.api_error import ApiError
from duckstring.authoring import PuddleDef, puddles_of
from duckstring.cli_errors import FAILED, USAGE, CliError
from duckstring.local.project import LocalProject, shown, temp_for

if TYPE_CHECKING:
    import duckdb

    from duckstring.client import Client


class PuddleHandle:
    """What a Puddle function is called with: `p.con` (an in-memory DuckDB connection) and
    `p.write_table(data)`."""

    def __init__(self, target: str, con: duckdb.DuckDBPyConnection) -> None:
        self.target = target
        self.con = con
        self.written: Any = None

    def __repr__(self) -> str:
        return f"<PuddleHandle {self.target}>"

    def write_table(self, data: Any) -> None:
        """The Puddle's table: a DuckDB relation, a pyarrow Table, a DataFrame or a Parquet
        path. Called again, the last one wins."""
        if data is None:
            raise TypeError("write_table needs data, not None")
        self.written = data


@dataclass(frozen=True)
class Written:
    target: str  # "pond.table"
    path: Path
    rows: int


@dataclass(frozen=True)
class Failed:
    target: str
    function: str
    error: str
    traceback: str


def declared(project: LocalProject) -> list[str]:
    """The Ponds a Puddle may target: the declared Sources, then the Pond itself."""
    return [s.name for s in project.manifest.sources] + [project.name]


def check_selection(project: LocalProject, sources: list[str], *, own: bool = True) -> list[str]:
    """`-s` names: declared Sources, and (for Puddles, `own`) the Pond itself."""
    allowed = declared(project) if own else declared(project)[:-1]
    for name in sources:
        if name not in allowed:
            raise CliError(f"-s {name}: not a Source of {project.name!r}; choose from "
                           f"{', '.join(allowed) or 'none (it declares no Sources)'}", USAGE)
    return sources


def puddles(project: LocalProject) -> list[PuddleDef]:
    """The project's Puddles, every target checked against pond.toml before anything runs."""
    from duckstring.duck.registry import check_table_name

    path = project.puddles_file
    defs = puddles_of(project.import_module(path, "puddles"))
    allowed = declared(project)
    for d in defs:
        pond, table = d.target.split(".")
        if pond not in allowed:
            sources = ", ".join(allowed[:-1]) or "none"
            raise CliError(
                f"{shown(path)}: @puddle({d.target!r}) on {d.func.__name__}() targets {pond!r}, "
                f"which is not a Source of {project.name!r} (declared: {sources}); add it to "
                f"[sources] in pond.toml or fix the target", USAGE)
        try:
            check_table_name(table)
        except ValueError as e:
            raise CliError(f"{shown(path)}: @puddle({d.target!r}): {e}", USAGE) from None
    return defs


def hydrate(project: LocalProject, defs: list[PuddleDef],
            only: list[str]) -> Iterator[Written | Failed]:
    """Call each Puddle (of the `only` Ponds, when given) and write its file."""
    import duckdb

    for d in defs:
        pond, table = d.target.split(".")
        if only and pond not in only:
            continue
        with duckdb.connect() as con:
            yield _one(project, d, con, project.target_file(pond, table))


def _one(project: LocalProject, d: PuddleDef, con: duckdb.DuckDBPyConnection,
         dest: Path) -> Written | Failed:
    from duckstring.duck.attempt import one_line
    from duckstring.tracebacks import user_traceback

    handle = PuddleHandle(d.target, con)
    try:
        returned = d.func(handle)
        data = _chosen(d, returned, handle.written)
        if isinstance(data, (str, Path)):
            data = _parquet(project, con, Path(data))
        rows = write_parquet(con, data, dest)
    except Exception as e:
        return Failed(d.target, d.func.__name__, one_line(e), user_traceback(e))
    return Written(d.target, dest, rows)


def _chosen(d: PuddleDef, returned: Any, written: Any) -> Any:
    if returned is not None and written is not None:
        raise TypeError(f"{d.func.__name__}() both called p.write_table and returned a value; "
                        "do one or the other")
    if returned is None and written is None:
        raise TypeError(f"{d.func.__name__}() returned nothing; return a DuckDB relation, a "
                        "pyarrow Table or a Parquet path, or call p.write_table(...)")
    return written if returned is None else returned


def _parquet(project: LocalProject, con: duckdb.DuckDBPyConnection,
             path: Path) -> duckdb.DuckDBPyRelation:
    from duckstring.duck.registry import literal

    path = path.expanduser()
    if not path.is_absolute():
        path = project.directory / path
    if not path.is_file():
        raise FileNotFoundError(f"no Parquet file at {path}")
    return con.sql(f"SELECT * FROM read_parquet({literal(str(path))})")


def write_parquet(con: duckdb.DuckDBPyConnection, data: Any, dest: Path) -> int:
    """Write `data` to `dest` as Parquet (temp file, then rename); answer the row count."""
    from duckstring.duck.registry import literal, register_data

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_for(dest)
    view = "_duckstring_puddle"
    register_data(con, view, data)
    try:
        result = con.execute(
            f"COPY (SELECT * FROM {view}) TO {literal(str(tmp))} (FORMAT parquet)").fetchall()
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
        con.unregister(view)
    return int(result[0][0]) if result else 0


def from_catchment(project: LocalProject, client: Client, only: list[str]) -> Iterator[Written]:
    """Each declared Source's published tables (its pinned major), downloaded into place."""
    import duckdb

    from duckstring.target import Target
    from duckstring.terminal import console

    for pin in project.manifest.sources:
        if only and pin.name not in only:
            continue
        target = Target(pin.name, pin.major)
        try:
            doc = client.tables(target)
        except ApiError as e:
            if not e.not_found or pin.required:
                raise
            console.warn(f"optional Source {pin.line} is not deployed; skipped")
            continue
        if not doc.get("tables"):
            console.warn(f"Source {pin.line} has published nothing yet")
        for t in doc.get("tables", []):
            content = client.table_file(target, t["name"])
            dest = project.target_file(pin.name, t["name"])
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = temp_for(dest)
            try:
                tmp.write_bytes(content)
                with duckdb.connect() as con:  # also proves it is Parquet
                    rows = con.sql("SELECT count(*) FROM read_parquet($1)",
                                   params=[str(tmp)]).fetchall()
                os.replace(tmp, dest)
            finally:
                tmp.unlink(missing_ok=True)
            yield Written(f"{pin.name}.{t['name']}", dest, int(rows[0][0]))


def failure(f: Failed) -> CliError:
    return CliError(f"Puddle {f.target} ({f.function}) failed: {f.error}", FAILED,
                    f.traceback.splitlines())
