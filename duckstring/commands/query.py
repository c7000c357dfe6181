"""`duckstring query` and `duckstring get`: a Pond's published tables (docs/operating.md §8).

Queries run on the Catchment, in a sandbox that sees only the Pond's published tables; SQL
that tries to reach anything else is refused there (exit 2) and nothing is written.

Files: a format flag names a file; a bare name lands in `./ponds/{pond}/[{table}/]` (or in
`--path DIR`), a name with a directory is used as given, and `-` writes to stdout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from duckstring.cli_errors import USAGE, CliError
from duckstring.commands._context import CATCHMENT, MAJOR, POND, VERSION, open_catchment, parse_pond

SHOW_ROWS = 1000  # rows printed as a table; more go to a file
AS_OF = typer.Option(None, "--as-of", metavar="WHEN",
                     help="Read the newest run at or before WHEN (ISO time, or a freshness "
                          "shown by `duckstring runs`).")
# `--version` already picks the Pond's code version: a table's Delta version is --table-version
TABLE_VERSION = typer.Option(None, "--table-version", metavar="N", min=0,
                             help="Read version N of TABLE (as `duckstring runs` shows them).")


def pin(as_of: str | None, table_version: int | None, table: str | None) -> dict[str, Any]:
    """The request fields picking an older run."""
    if as_of is not None and table_version is not None:
        raise typer.BadParameter("give --as-of or --table-version, not both")
    if table_version is not None and table is None:
        raise typer.BadParameter("--table-version needs a TABLE")
    return {k: v for k, v in (("as_of", as_of), ("version", table_version)) if v is not None}


def sql_text(sql: str) -> str:
    """`--sql` text: inline, or `@file` read from that file."""
    if not sql.startswith("@"):
        return sql
    path = Path(sql[1:]).expanduser()
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise CliError(f"cannot read {path}: {e.strerror}", USAGE) from None


def destination(name: str, pond: str, table: str | None, path: Path | None) -> Path:
    given = Path(name).expanduser()
    if given.is_absolute() or given.parent != Path("."):
        return given
    base = path if path is not None else Path("ponds") / pond / (table or "")
    return base / given


def _write(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial")
    tmp.write_bytes(data)
    tmp.replace(dest)


def _records(result: dict[str, Any]) -> bytes:
    cols = result["columns"]
    rows = [dict(zip(cols, row, strict=True)) for row in result["rows"]]
    return (json.dumps(rows, indent=2, ensure_ascii=False) + "\n").encode()


def query(
    pond: str = POND,
    table: str | None = typer.Argument(None, metavar="[TABLE]",
                                       help="Table to preview (first 10 rows) or export."),
    sql: str | None = typer.Option(
        None, "--sql", metavar="SQL|@FILE",
        help="DuckDB SQL over the Pond's published tables (bare or pond.table names); "
             "@file.sql reads it from a file."),
    csv: str | None = typer.Option(None, "--csv", metavar="F", help="Write CSV to F (- = stdout)."),
    json_file: str | None = typer.Option(None, "--json", metavar="F",
                                         help="Write JSON records to F (- = stdout)."),
    parquet: str | None = typer.Option(None, "--parquet", metavar="F", help="Write Parquet to F."),
    path: Path | None = typer.Option(None, "--path", metavar="DIR",
                                     help="Directory for F (default ./ponds/POND/[TABLE/])."),
    as_of: str | None = AS_OF, table_version: int | None = TABLE_VERSION,
    catchment: str | None = CATCHMENT, major: int | None = MAJOR, version: str | None = VERSION,
) -> None:
    """Look into a Pond's published data: list its tables, preview one, or run SQL.

    [bold]query POND[/] lists the tables with row counts; [bold]query POND TABLE[/] prints its
    first 10 rows; [bold]--sql[/] runs a query; [bold]--csv/--json/--parquet F[/] write files.
    [bold]--as-of[/] and [bold]--table-version[/] read an older run.

    Example: [bold]duckstring query reports monthly_summary[/]
    Example: [bold]duckstring query sales --sql "SELECT count(*) FROM sale_line" --csv n.csv[/]
    Example: [bold]duckstring query reports monthly_summary --as-of 2026-01-05T08:00:00Z[/]
    """
    from duckstring.terminal import console
    from duckstring.terminal.views import rows_table, tables_table

    formats = [(fmt, f) for fmt, f in (("csv", csv), ("json", json_file), ("parquet", parquet))
               if f is not None]
    if len(formats) > 1:
        raise typer.BadParameter("give at most one of --csv, --json, --parquet")
    target = parse_pond(pond, major, version)
    pond, major = target.pond, target.major
    text = sql_text(sql) if sql is not None else None
    pinned = pin(as_of, table_version, table)
    with open_catchment(catchment, target) as s:
        if text is None and table is None and not pinned:
            doc = s.client.tables(target)
            if formats and formats[0] == ("json", "-"):
                sys.stdout.write(json.dumps(doc, indent=2) + "\n")
            elif formats:
                raise typer.BadParameter("name a TABLE or give --sql to write a file")
            else:
                console.say(f"{doc['pond']}, fresh as of {doc.get('freshness') or 'never'}")
                console.out().print(tables_table(doc))
            return
        if text is None and table is None:
            raise typer.BadParameter("--as-of needs a TABLE or --sql")
        body: dict[str, Any] = {"pond": pond, "major": major, **pinned}
        if text is not None:
            body["sql"] = text
        if table is not None:
            body["table"] = table
        if not formats:
            if text is not None:
                body["limit"] = SHOW_ROWS + 1
            result = s.client.json(s.client.query(body, target))
            shown = dict(result, rows=result["rows"][:SHOW_ROWS])
            console.out().print(rows_table(shown, title=f"{pond}.{table}" if text is None else None))
            if len(result["rows"]) > SHOW_ROWS:
                console.note(f"showing the first {SHOW_ROWS} rows; write them all with --csv F")
            return
        fmt, name = formats[0]
        if table is not None and text is None:
            body = {"pond": pond, "major": major, "sql": f'SELECT * FROM "{table}"',
                    "table": table, **pinned}
        body["format"] = fmt
        resp = s.client.query(body, target)
    data = _records(s.client.json(resp)) if fmt == "json" else resp.content
    if name == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    dest = destination(name, pond, table if text is None else None, path)
    _write(dest, data)
    console.note(f"wrote {dest} ({console.human_bytes(len(data))})")


def get(
    pond: str = POND,
    table: str = typer.Argument(..., metavar="TABLE", help="Published table."),
    path: Path | None = typer.Option(None, "--path", metavar="DIR",
                                     help="Directory to write into (default ./ponds/POND)."),
    as_of: str | None = AS_OF, table_version: int | None = TABLE_VERSION,
    catchment: str | None = CATCHMENT, major: int | None = MAJOR, version: str | None = VERSION,
) -> None:
    """Download one Parquet file of a published table (its latest version, or an older one).

    Example: [bold]duckstring get reports monthly_summary[/]
    Example: [bold]duckstring get reports monthly_summary --table-version 3[/]
    """
    from duckstring.terminal import console

    target = parse_pond(pond, major, version)
    pond = target.pond
    dest = (path if path is not None else Path("ponds") / pond) / f"{table}.parquet"
    pinned = pin(as_of, table_version, table)
    if "version" in pinned:  # ?version= is the Pond's code version on this route
        pinned["table_version"] = pinned.pop("version")
    with open_catchment(catchment, target) as s:
        data = s.client.table_file(target, table, **pinned)
    _write(dest, data)
    console.note(f"wrote {dest} ({console.human_bytes(len(data))})")
