"""Puddles' Sources as local Delta lines, so `read_changes` works in `pond run` as on a Duck
(docs/authoring.md §5).

Before the Ripples of a `pond run`, each Source's hydrated snapshot
(`puddles/ponds/{source}/data/*.parquet`) is published, with the Duck's own diff-based publish,
as a run of the local line `puddles/ponds/{source}/lake/` at the run's freshness: an unchanged
snapshot commits nothing, a re-hydrated one commits only what changed. The Ripples read the
Source through that line, so `read_changes` returns what changed since the previous complete
`pond run` (the first run, or a Source whose tables were replaced, reads everything with
`changes_complete` False).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any


def source_line(data_dir: Path, lake_dir: Path, f: int) -> Any:
    """The Source's Delta line holding its snapshot as of run `f`; `data_dir` itself (read as
    plain Parquet, every change a full read) when it holds no snapshot."""
    import duckdb

    from duckstring.duck.registry import TABLE_NAME, literal, quote
    from duckstring.lake.publish import publish
    from duckstring.lake.where import Line

    files = [p for p in sorted(data_dir.glob("*.parquet")) if TABLE_NAME.match(p.stem)]
    if not files:
        return data_dir
    line = Line(str(lake_dir))
    con = duckdb.connect()
    try:
        for path in files:
            con.execute(f"CREATE TABLE {quote(path.stem)} AS "
                        f"SELECT * FROM read_parquet({literal(str(path))})")
        label = f"Source {data_dir.parent.name} (local)"
        published = publish(con.cursor(), line, f=f, run=f"local@{f}", label=label)
        if published.rejected is not None:  # a re-hydrate dropped a table or column: start over
            shutil.rmtree(lake_dir, ignore_errors=True)
            publish(con.cursor(), line, f=f, run=f"local@{f}", label=label)
    finally:
        con.close()
    return line
