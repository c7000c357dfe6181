"""`puddle ls|show|query`: the local snapshots (hydrated Sources, seeds) and the last run's
output, read with an in-memory DuckDB.

In SQL each Pond is a schema: `transactions.transaction` is the hydrated Source table, and
`{this pond}.{table}` the run's output; a table name no other Pond uses also works bare.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duckstring.cli_errors import NOT_FOUND, USAGE, CliError
from duckstring.local.project import LocalProject, shown

if TYPE_CHECKING:
    import duckdb

SOURCE, SEED, OUTPUT = "source", "seed", "output"


@dataclass(frozen=True)
class Snapshot:
    pond: str
    table: str
    kind: str  # source | seed | output
    path: Path
    rows: int
    bytes: int

    def as_json(self) -> dict[str, Any]:
        return dict(asdict(self), path=shown(self.path))


def _files(project: LocalProject) -> list[tuple[str, str, Path]]:
    found = [(p.parent.parent.name, SOURCE, p)
             for p in sorted(project.ponds.glob("*/data/*.parquet"))]
    found += [(project.name, SEED, p) for p in sorted(project.seed_dir.glob("*.parquet"))]
    found += [(project.name, OUTPUT, p) for p in sorted(project.out.glob("*.parquet"))]
    return [(pond, kind, p) for pond, kind, p in found if not p.name.startswith(".")]


def snapshots(project: LocalProject) -> list[Snapshot]:
    import duckdb

    from duckstring.duck.registry import literal

    out = []
    with duckdb.connect() as con:
        for pond, kind, path in _files(project):
            rows = con.sql(f"SELECT count(*) FROM read_parquet({literal(str(path))})").fetchall()
            out.append(Snapshot(pond, path.stem, kind, path, int(rows[0][0]),
                                path.stat().st_size))
    return out


def table_file(project: LocalProject, name: str) -> Path:
    """`POND.TABLE`: a hydrated Source table, or the run's output for this Pond."""
    if name.count(".") != 1:
        raise CliError(f"{name!r}: name a table as POND.TABLE, e.g. "
                       f"{project.name}.TABLE or SOURCE.TABLE", USAGE)
    pond, table = name.split(".")
    path = (project.out if pond == project.name else project.data_dir(pond)) / f"{table}.parquet"
    if not path.is_file():
        todo = "`duckstring pond run`" if pond == project.name else "`duckstring pond hydrate`"
        raise CliError(f"no {shown(path)}; run {todo} first (`duckstring puddle ls` lists "
                       "what there is)", NOT_FOUND)
    return path


def show(path: Path, limit: int) -> dict[str, Any]:
    import duckdb

    from duckstring.duck.registry import literal

    with duckdb.connect() as con:
        return _result(con.sql(f"SELECT * FROM read_parquet({literal(str(path))})"), limit)


def query(project: LocalProject, sql: str, limit: int) -> dict[str, Any]:
    """Run `sql` over every snapshot and output table; at most `limit` rows."""
    import duckdb

    from duckstring.duck.registry import literal, quote

    tables = [(pond, p) for pond, kind, p in _files(project) if kind != SEED]
    with duckdb.connect() as con:
        for pond, path in tables:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(pond)}")
            con.execute(f"CREATE VIEW {quote(pond)}.{quote(path.stem)} AS "
                        f"SELECT * FROM read_parquet({literal(str(path))})")
        stems = [p.stem for _, p in tables]
        for pond, path in tables:
            if stems.count(path.stem) == 1 and pond != "main":
                con.execute(f"CREATE VIEW main.{quote(path.stem)} AS "
                            f"SELECT * FROM {quote(pond)}.{quote(path.stem)}")
        try:
            rel = con.sql(sql)
            return _result(rel, limit) if rel is not None else {"columns": [], "rows": []}
        except duckdb.Error as e:
            raise CliError(f"query failed: {' '.join(str(e).split())}", USAGE) from None


def _result(rel: duckdb.DuckDBPyRelation, limit: int) -> dict[str, Any]:
    return {"columns": list(rel.columns), "types": [str(t) for t in rel.types],
            "rows": [list(r) for r in rel.limit(limit).fetchall()]}


def records(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows as JSON records: dates and times in ISO 8601, decimals and UUIDs as strings."""
    return [{c: _jsonable(v) for c, v in zip(result["columns"], row, strict=True)}
            for row in result["rows"]]


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID, dt.timedelta, bytes)):
        return str(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value
