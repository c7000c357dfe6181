"""Publishing a completed run (docs/operating.md §4, docs/concepts.md §6 and §11).

1. Export every table of the registry's `main` schema with DuckDB's own `COPY … TO (FORMAT
   parquet)`, all in one read transaction (one consistent snapshot), each to a hidden temporary
   file inside `data/` (same filesystem, so the final rename is atomic).
2. Enforce the line's schema contract against what `data/` holds now: no published table may
   disappear, no column may be dropped, no column type may change (new tables and columns are
   fine). Types are compared as Parquet round-trips them, old file against new file. On a
   violation nothing is replaced and the run is rejected with a message naming each problem.
3. A temp file byte-identical to the published one is discarded (the snapshot stays untouched);
   any other replaces it with `os.replace`. The run `changed` iff some file was replaced/added.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from duckstring.duck.registry import RESERVED, all_tables, literal, quote

TMP_SUFFIX = ".tmp"


@dataclass(frozen=True)
class Published:
    changed: bool
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # {name: {rows, columns}}
    rejected: str | None = None  # the contract violation; nothing was published


def _schema(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal(str(path))})").fetchall()
    return {r[0]: r[1] for r in rows}


def registry_tables(con: duckdb.DuckDBPyConnection, present: set[str] | None = None) -> list[str]:
    """The registry's own tables (duckstring's reserved ones left out), sorted; `present` is
    `all_tables(con)` when the caller has it already."""
    return sorted(t for t in (all_tables(con) if present is None else present)
                  if not t.startswith(RESERVED))


def contract_violations(old: dict[str, dict[str, str]], new: dict[str, dict[str, str]]) -> list[str]:
    """What the new schemas break, given the published ones ({table: {column: type}})."""
    problems = []
    for table, old_cols in sorted(old.items()):
        new_cols = new.get(table)
        if new_cols is None:
            problems.append(f"table {table!r} is published but the run no longer produces it")
            continue
        for col, old_type in old_cols.items():
            if col not in new_cols:
                problems.append(f"table {table!r} dropped column {col!r} ({old_type})")
            elif new_cols[col] != old_type:
                problems.append(
                    f"table {table!r} column {col!r} changed type {old_type} → {new_cols[col]}"
                )
    return problems


def same_bytes(a: Path, b: Path, chunk: int = 1 << 20) -> bool:
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        with a.open("rb") as fa, b.open("rb") as fb:
            while True:
                x, y = fa.read(chunk), fb.read(chunk)
                if x != y:
                    return False
                if not x:
                    return True
    except FileNotFoundError:
        return False


def clean_temp_files(data_dir: Path) -> None:
    """Temp files left by a publish that crashed half-way (only this line's Duck writes here)."""
    for p in data_dir.glob(f".*.parquet.*{TMP_SUFFIX}"):
        p.unlink(missing_ok=True)


def publish(con: duckdb.DuckDBPyConnection, data_dir: Path, line: str = "this line") -> Published:
    """Export, check and swap in the registry's tables (see the module docstring). `con` is a
    cursor of the registry used only for this publish."""
    data_dir.mkdir(parents=True, exist_ok=True)
    clean_temp_files(data_dir)
    catalog = str(con.execute("SELECT current_database()").fetchall()[0][0])
    token = uuid.uuid4().hex[:8]
    temps: dict[str, Path] = {}
    rows: dict[str, int] = {}
    try:
        con.execute("BEGIN TRANSACTION")  # one snapshot for every table
        try:
            for table in registry_tables(con):
                tmp = data_dir / f".{table}.parquet.{token}{TMP_SUFFIX}"
                temps[table] = tmp
                result = con.execute(
                    f"COPY (SELECT * FROM {quote(catalog)}.main.{quote(table)}) "
                    f"TO {literal(str(tmp))} (FORMAT parquet)"
                ).fetchall()  # COPY answers the row count
                rows[table] = int(result[0][0]) if result else 0
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

        new = {t: _schema(con, p) for t, p in temps.items()}
        old = {
            p.name[: -len(".parquet")]: _schema(con, p)
            for p in sorted(data_dir.glob("*.parquet")) if not p.name.startswith(".")
        }
        problems = contract_violations(old, new)
        if problems:
            return Published(False, rejected=(
                f"schema contract of {line}: " + "; ".join(problems) + ". Published tables and "
                "columns are additive-only within a major: restore them, or deploy a new major "
                "version"
            ))

        changed = False
        for table, tmp in temps.items():
            final = data_dir / f"{table}.parquet"
            if same_bytes(tmp, final):
                continue  # byte-identical: keep the published file untouched
            os.replace(tmp, final)
            changed = True
        tables = {t: {"rows": rows[t], "columns": new[t]} for t in temps}
        return Published(changed, tables)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
