"""Publishing test tables the way a Duck does: a real registry and a real Delta publish."""

from __future__ import annotations

from typing import Any

from duckstring.duck.registry import Registry
from duckstring.lake.publish import publish as lake_publish
from duckstring.lake.where import line
from duckstring.layout import Layout


def publish(layout: Layout, name: str, major: int, tables: dict[str, str], f: int = 1000) -> Any:
    """Make `name@major`'s registry hold exactly `tables` ({table: SELECT}) and publish it as
    run `f`."""
    reg = Registry(layout.registry(name, major))
    try:
        con = reg.cursor()
        have = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND NOT starts_with(table_name, '_duckstring_')").fetchall()]
        for t in have:
            if t not in tables:
                con.execute(f'DROP TABLE "{t}"')
        for t, select in tables.items():
            con.execute(f'CREATE OR REPLACE TABLE "{t}" AS {select}')
        result = lake_publish(reg.cursor(), line(layout, name, major), f=f, run=f"{name}@{major}@{f}",
                              label=f"{name}@{major}")
        assert result.rejected is None, result.rejected
        return result
    finally:
        reg.close()


