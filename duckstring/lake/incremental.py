"""A changed table's new version on local disk, committed by the Duck itself (docs/operating.md §4).

delta-rs' merge plans a DataFusion join over the whole table and rewrites every file holding a
changed row, 12–20 ms even for a tiny table and seconds for a big one. On local disk the Duck
does it in DuckDB instead:

1. The change set, with pre- and post-images, restricted to candidate keys when it can be:
   the keys `merge_table`/`append_table`/`delete_rows`/`apply_changes` recorded (registry
   `TOUCHED` tables). They are trusted only when the fingerprint proves it: the published
   version's row count and hash sum, minus the touched keys' old rows, plus their new rows,
   must equal the registry's (any other change, by SQL of the author's own say, fails that and
   the whole table is compared instead).
2. Only files that may hold a changed key (by their key statistics) are rewritten; a change of
   new rows only is an append. Keyless tables are rewritten whole.
3. The change set goes into a `_change_data/` file of the commit, so the change feed holds
   the real changes, and the commit (`deltalog.commit`) carries the run's metadata.

Tables this cannot take (a schema change, an unknown writer feature) go through delta-rs.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable
from typing import Any

import duckdb

from duckstring.duck.registry import RESERVED, literal, quote
from duckstring.lake import deltalog

CHANGE_TYPE = "_change_type"
_SIMPLE_PATH = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./")


def eligible(dt: Any, columns: dict[str, str], old_columns: dict[str, str]) -> bool:
    return columns == old_columns and deltalog.writable(dt)


def _files(dt: Any) -> Any:
    import pyarrow as pa

    adds = pa.table(dt.get_add_actions(flatten=True))
    if any(not set(p) <= _SIMPLE_PATH or p.startswith("/") for p in adds["path"].to_pylist()):
        raise deltalog.Unsupported("a file path needs escaping")
    return adds


def rewrite(con: duckdb.DuckDBPyConnection, dt: Any, table: str, uri: str, select: str,
            columns: dict[str, str], key: list[str] | None, touched_in: str | None,
            fingerprint: tuple[int, int], last: dict[str, Any], metadata: dict[str, str],
            file_bytes: int) -> Callable[[], int] | None:
    """Compute the change set now; answer the commit (None: nothing changed), which answers
    the new version. `select` is the registry table as published, `fingerprint` its
    (rows, hash sum), `last` the table's last commit info, `touched_in` the registry's touched
    keys of this table (when recorded)."""
    adds = _files(dt)
    paths = adds["path"].to_pylist()
    cols = list(columns)
    listed = ", ".join(quote(c) for c in cols)
    tag = uuid.uuid4().hex[:12]
    temp = {x: f"temp.main.{quote(f'{RESERVED}{x}_{tag}')}"
            for x in ("keys", "ch", "adds", "new", "old")}

    def parquet(files: list[str]) -> str:
        if not files:
            return f"(SELECT {listed} FROM ({select}) WHERE false)"
        names = ", ".join(literal(os.path.join(uri, p)) for p in files)
        return f"(SELECT {listed} FROM read_parquet([{names}], union_by_name = true))"

    made: set[str] = set()

    def make(name: str, sql: str, params: list[Any] | None = None) -> None:
        con.execute(f"CREATE TEMP TABLE {temp[name]} AS {sql}", params or [])
        made.add(name)

    try:
        affected = paths
        if key:
            view = f"{RESERVED}actions_{tag}"
            con.register(view, adds)
            make("adds", f"SELECT * FROM {quote(view)}")
            con.unregister(view)
            on = " AND ".join(f"_x.{quote(k)} = _t.{quote(k)}" for k in key)

            def of_keys(rel: str, join: str = "SEMI") -> str:
                return f"(SELECT _x.* FROM {rel} _x {join} JOIN {temp['keys']} _t ON {on})"

            trusted = False
            if touched_in is not None and "duckstring.digest" in last:
                make("keys", f"SELECT DISTINCT * FROM {touched_in}")
                affected = _affected(con, temp["adds"], temp["keys"], key[0], paths)
                first = quote(key[0])  # bounds as constants, so the registry's zone maps skip
                low, high = con.execute(f"SELECT min({first}), max({first}) FROM {temp['keys']}").fetchall()[0]
                make("new", of_keys(f"(SELECT * FROM ({select}) WHERE {first} BETWEEN ? AND ?)"),
                     [low, high])
                make("old", of_keys(parquet(affected)))
                old_rows, old_sum = _sum(con, temp["old"])
                new_rows, new_sum = _sum(con, temp["new"])
                trusted = (int(last["duckstring.rows"]) - old_rows + new_rows,
                           int(last["duckstring.digest"]) - old_sum + new_sum) == fingerprint
            if trusted:  # only the touched keys' rows can differ
                new, old = temp["new"], temp["old"]
            else:
                con.execute(f"DROP TABLE IF EXISTS {temp['keys']}")
                new, old = f"({select})", parquet(paths)
            check_unique(con, new, key, table)
            make("ch", _keyed_changes(new, old, cols, key))
            if not trusted:  # the keys the change set holds
                make("keys", f"SELECT DISTINCT {', '.join(quote(k) for k in key)} FROM {temp['ch']}")
                affected = _affected(con, temp["adds"], temp["keys"], key[0], paths)
                new = of_keys(f"({select})")
        else:
            make("ch", _keyless_changes(f"({select})", parquet(paths), cols))
        kinds = {r[0] for r in con.execute(f"SELECT DISTINCT {CHANGE_TYPE} FROM {temp['ch']}").fetchall()}
        if not kinds:
            return None
        folder = os.path.join(uri, f"part-{uuid.uuid4().hex}")
        removed: list[str] = []
        cdc = None
        if kinds == {"insert"}:  # new rows only: an append, whose feed is its rows
            data = f"SELECT {listed} FROM {temp['ch']}"
        else:
            removed = affected
            cdc = f"SELECT {listed}, {CHANGE_TYPE} FROM {temp['ch']}"
            data = select
            if key and set(affected) != set(paths):  # the files that may hold a changed key
                data = f"SELECT * FROM {of_keys(parquet(affected), 'ANTI')} UNION ALL SELECT * FROM {new}"
        added = deltalog.write_files(con, data, folder, uri, columns, file_bytes)
        change_file = deltalog.write_change_file(con, cdc, uri) if cdc else None
    finally:
        for t in made:
            with contextlib.suppress(duckdb.Error):  # an aborted transaction drops them itself
                con.execute(f"DROP TABLE IF EXISTS {temp[t]}")
    sizes = dict(zip(paths, adds["size_bytes"].to_pylist(), strict=True))
    gone = [(p, int(sizes[p])) for p in removed]

    def commit() -> int:
        return deltalog.commit(dt, uri, added, gone, change_file, metadata,
                               "MERGE" if removed else "WRITE")
    return commit


def _sum(con: duckdb.DuckDBPyConnection, rel: str) -> tuple[int, int]:
    """(rows, sum of row hashes): the parts of the publish's fingerprint (lake/publish.py)."""
    rows, digest = con.execute(
        f"SELECT count(*), coalesce(sum(hash(_r)), 0) FROM (SELECT * FROM {rel}) AS _r").fetchall()[0]
    return int(rows), int(digest)


def _affected(con: duckdb.DuckDBPyConnection, adds: str, keys: str, first: str,
              paths: list[str]) -> list[str]:
    """The files whose statistics of the key's first column admit one of `keys`."""
    have = {r[0] for r in con.execute(f"DESCRIBE {adds}").fetchall()}
    low, high = quote(f"min.{first}"), quote(f"max.{first}")
    if f"min.{first}" not in have or f"max.{first}" not in have:
        return paths
    rows = con.execute(
        f"SELECT path FROM {adds} a WHERE a.{low} IS NULL OR a.{high} IS NULL OR EXISTS ("
        f"SELECT 1 FROM {keys} k WHERE k.{quote(first)} BETWEEN a.{low} AND a.{high})").fetchall()
    picked = {r[0] for r in rows}
    return [p for p in paths if p in picked]


def check_unique(con: duckdb.DuckDBPyConnection, rel: str, key: list[str], table: str) -> None:
    """Refuse to publish `table` (its rows `rel`) unless `key` identifies one row each."""
    listed = ", ".join(quote(k) for k in key)
    dupes, nulls = con.execute(
        f"SELECT count(*) - count(DISTINCT ({listed})), "
        f"count(*) FILTER (WHERE {' OR '.join(f'{quote(k)} IS NULL' for k in key)}) "
        f"FROM {rel}").fetchall()[0]
    if dupes or nulls:
        what = f"{dupes} row(s) with a duplicate key" if dupes else f"{nulls} row(s) with a NULL key"
        raise ValueError(f"table {table!r} has {what} ({', '.join(key)}); a key must identify "
                         "one row")


def _keyed_changes(new: str, old: str, cols: list[str], key: list[str]) -> str:
    """Rows only on one side are inserts or deletes; a key on both whose values differ is an
    update (pre- and post-image)."""
    here = quote(f"{RESERVED}here")
    on = " AND ".join(f"n.{quote(k)} = o.{quote(k)}" for k in key)
    n_cols = ", ".join(f"n.{quote(c)} AS {quote(f'{RESERVED}n{i}')}" for i, c in enumerate(cols))
    o_cols = ", ".join(f"o.{quote(c)} AS {quote(f'{RESERVED}o{i}')}" for i, c in enumerate(cols))
    differs = (f"row({', '.join(f'n.{quote(c)}' for c in cols)}) IS DISTINCT FROM "
               f"row({', '.join(f'o.{quote(c)}' for c in cols)})")
    joined = (f"SELECT n.{here} AS _n, o.{here} AS _o, {n_cols}, {o_cols} "
              f"FROM (SELECT *, true AS {here} FROM {new}) n "
              f"FULL JOIN (SELECT *, true AS {here} FROM {old}) o ON {on} "
              f"WHERE n.{here} IS NULL OR o.{here} IS NULL OR {differs}")

    def side(prefix: str) -> str:
        return ", ".join(f"{quote(f'{RESERVED}{prefix}{i}')} AS {quote(c)}" for i, c in enumerate(cols))
    return (f"WITH j AS MATERIALIZED ({joined}) "
            f"SELECT {side('o')}, 'delete' AS {CHANGE_TYPE} FROM j WHERE _n IS NULL "
            f"UNION ALL SELECT {side('n')}, 'insert' FROM j WHERE _o IS NULL "
            f"UNION ALL SELECT {side('o')}, 'update_preimage' FROM j WHERE _n AND _o "
            f"UNION ALL SELECT {side('n')}, 'update_postimage' FROM j WHERE _n AND _o")


def _keyless_changes(new: str, old: str, cols: list[str]) -> str:
    """One scan of each side: a row whose count went up is inserted that many times more, one
    whose count went down deleted that many times."""
    listed = ", ".join(quote(c) for c in cols)
    side, n, o = (quote(f"{RESERVED}{x}") for x in ("side", "n", "o"))
    return (f"WITH d AS (SELECT {listed}, count(*) FILTER (WHERE {side}) AS {n}, "
            f"count(*) FILTER (WHERE NOT {side}) AS {o} FROM ("
            f"SELECT {listed}, true AS {side} FROM ({new}) "
            f"UNION ALL SELECT {listed}, false FROM {old}) GROUP BY ALL HAVING {n} <> {o}) "
            f"SELECT {listed}, {CHANGE_TYPE} FROM (SELECT {listed}, CASE WHEN {n} > {o} THEN "
            f"'insert' ELSE 'delete' END AS {CHANGE_TYPE}, unnest(range(abs({n} - {o}))) FROM d)")
