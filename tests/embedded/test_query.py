"""Queries see a line's published Delta tables and nothing else (runtime.md §8)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from duckstring.embedded.query import PREVIEW_ROWS, QueryError, _sandbox, _single_select, run_query
from duckstring.embedded.tables import TableNotFound, datasets
from duckstring.embedded.tables import snapshot as lake_snapshot
from duckstring.layout import Layout
from tests.lakekit import publish

SALES = {
    "sale_line": "SELECT range AS id, range % 3 AS product_id, "
                 "(range * 1.5)::DECIMAL(10,2) AS amount, DATE '2024-01-01' + range::INT AS day "
                 "FROM range(20)",
    "product": "SELECT * FROM (VALUES (0, 'apple'), (1, 'pear'), (2, 'plum')) p(id, name)",
}


def published_tables(layout: Layout, name: str, major: int) -> dict[str, object]:
    return datasets(lake_snapshot(layout, name, major))


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    layout = Layout(tmp_path / "root")
    publish(layout, "sales", 1, SALES)
    # neighbours a query must never reach
    publish(layout, "secret", 1, {"salary": "SELECT 'alice' AS who, 100 AS pay"})
    (layout.root / "duck.db").write_bytes(b"not for queries")
    return layout


def test_as_of_and_version_read_an_older_run(layout: Layout) -> None:
    publish(layout, "sales", 1, {**SALES, "product": "SELECT 9 AS id, 'fig' AS name"}, f=2000)
    sql = "SELECT name FROM product ORDER BY id"
    assert run_query(layout, "sales", 1, sql=sql)["rows"] == [["fig"]]
    old = [["apple"], ["pear"], ["plum"]]
    assert run_query(layout, "sales", 1, sql=sql, as_of=1999)["rows"] == old
    assert run_query(layout, "sales", 1, table="product", version=0)["rows"] == [
        [0, "apple"], [1, "pear"], [2, "plum"]]
    with pytest.raises(TableNotFound):
        run_query(layout, "sales", 1, sql=sql, as_of=999)
    with pytest.raises(QueryError, match="version belongs to one table"):
        run_query(layout, "sales", 1, sql=sql, version=0)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    other = tmp_path / "outside"
    other.mkdir()
    (other / "private.csv").write_text("user,password\nbob,hunter2\n")
    return other


def snapshot(*dirs: Path) -> dict[str, tuple[int, int]]:
    seen = {}
    for d in dirs:
        for base, subdirs, files in os.walk(d):
            for name in subdirs + files:
                p = Path(base) / name
                st = p.lstat()
                seen[str(p)] = (st.st_size, st.st_mtime_ns)
    return seen


def test_joins_bare_and_qualified_names(layout: Layout) -> None:
    result = run_query(layout, "sales", 1, sql="""
        SELECT p.name, count(*) AS n, sum(s.amount) AS total
        FROM sale_line s JOIN sales.product p ON p.id = s.product_id
        GROUP BY p.name ORDER BY p.name;  -- trailing comment
    """)
    assert isinstance(result, dict)
    assert result["columns"] == ["name", "n", "total"]
    assert result["rows"] == [["apple", 7, 94.5], ["pear", 7, 105.0], ["plum", 6, 85.5]]


def test_table_preview_and_limit(layout: Layout) -> None:
    preview = run_query(layout, "sales", 1, table="sale_line")
    assert isinstance(preview, dict)
    assert len(preview["rows"]) == PREVIEW_ROWS
    assert preview["rows"][0] == [0, 0, 0.0, "2024-01-01"]
    assert preview["types"] == ["BIGINT", "BIGINT", "DECIMAL(10,2)", "DATE"]
    three = run_query(layout, "sales", 1, table="sale_line", limit=3)
    assert isinstance(three, dict) and len(three["rows"]) == 3
    whole = run_query(layout, "sales", 1, table="sale_line", fmt="csv")
    assert isinstance(whole, bytes) and whole.count(b"\n") == 21  # header + every row


@pytest.mark.parametrize("sql", [
    "SELECT 'ünïcödé; -- not a comment' AS x",
    "SELECT 'ünïcödé' AS x; -- trailing ; comment é",
    "SELECT 'ünïcödé' AS x;;",
    "/* é */ SELECT 'ünïcödé' AS x -- no semicolon",
])
def test_trailing_semicolons_and_comments(layout: Layout, sql: str) -> None:
    result = run_query(layout, "sales", 1, sql=sql)
    assert isinstance(result, dict) and result["rows"][0][0].startswith("ünïcödé")


def test_sql_limit_caps_rows(layout: Layout) -> None:
    result = run_query(layout, "sales", 1, sql="SELECT * FROM sale_line", limit=5)
    assert isinstance(result, dict) and len(result["rows"]) == 5


def test_json_values_are_json_safe(layout: Layout) -> None:
    result = run_query(layout, "sales", 1, sql=r"""
        SELECT 12345678901234567890.12::DECIMAL(38,2) AS big, 0.5::DECIMAL(4,1) AS small,
               TIMESTAMPTZ '2024-01-02 03:04:05+00' AS at, '\x00\xFF'::BLOB AS raw,
               'nan'::DOUBLE AS nan, [1, 2] AS list, {'a': DATE '2024-01-01'} AS rec,
               INTERVAL 3 DAY AS span, NULL AS nothing, 1 AS a, 2 AS a
    """)
    assert isinstance(result, dict)
    assert result["columns"][-2:] == ["a", "a"]
    assert result["rows"] == [[
        "12345678901234567890.12", 0.5, "2024-01-02 03:04:05+00", "\\x00\\xFF", "NaN",
        [1, 2], {"a": "2024-01-01"}, "3 days", None, 1, 2,
    ]]


def test_csv_and_parquet_results(layout: Layout) -> None:
    sql = "SELECT id, name FROM sales.product ORDER BY id"
    csv = run_query(layout, "sales", 1, sql=sql, fmt="csv")
    assert csv == b"id,name\n0,apple\n1,pear\n2,plum\n"
    data = run_query(layout, "sales", 1, sql=sql, fmt="parquet", limit=2)
    assert isinstance(data, bytes)
    assert pq.read_table(io.BytesIO(data)).to_pylist() == [
        {"id": 0, "name": "apple"}, {"id": 1, "name": "pear"}]


def test_unknown_table_is_not_found(layout: Layout) -> None:
    with pytest.raises(TableNotFound):
        run_query(layout, "sales", 1, table="nope")
    with pytest.raises(TableNotFound):
        run_query(layout, "sales", 1, table="../../secret/m1/data/salary")
    with pytest.raises(QueryError, match="nope"):
        run_query(layout, "sales", 1, sql="SELECT * FROM nope")


@pytest.mark.parametrize("fmt", ["parquet", "xml"])
def test_bad_requests(layout: Layout, fmt: str) -> None:
    with pytest.raises(QueryError):
        run_query(layout, "sales", 1, fmt=fmt)  # neither sql nor table, or a bad format


@pytest.mark.parametrize("sql", ["", "   ", "-- only a comment", "SELEC 1"])
def test_empty_or_broken_sql(layout: Layout, sql: str) -> None:
    with pytest.raises(QueryError):
        run_query(layout, "sales", 1, sql=sql)


# {root}: the Catchment root, {data}: this line's data/, {outside}: a directory beside the root
ESCAPES = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv('{outside}/private.csv')",
    "SELECT * FROM '{outside}/private.csv'",
    "SELECT content FROM read_text('{root}/duck.db')",
    "SELECT content FROM read_blob('{outside}/private.csv')",
    "SELECT content FROM read_text('/proc/self/environ')",
    "SELECT * FROM glob('{root}/**')",
    "SELECT * FROM read_parquet('{root}/ponds/*/m1/data/*.parquet')",
    "SELECT * FROM read_parquet('{root}/ponds/secret/m1/data/salary/*.parquet')",
    "SELECT * FROM read_parquet('{data}/sale_line/*.parquet')",
    "SELECT * FROM read_json('{data}/sale_line/_delta_log/*.json')",
    "SELECT * FROM read_parquet('{data}/*')",
    "SELECT * FROM read_csv('http://127.0.0.1:9/data.csv')",
    "SELECT * FROM 'https://example.com/data.parquet'",
    "SELECT * FROM read_csv('file://{outside}/private.csv')",
    "SELECT * FROM query('COPY (SELECT 1) TO ''{outside}/q.csv''')",
    "COPY (SELECT 1) TO '{outside}/out.csv'",
    "COPY sale_line TO '{data}/sale_line.parquet'",
    "EXPORT DATABASE '{outside}/export'",
    "ATTACH '{outside}/new.duckdb' AS other",
    "ATTACH '{root}/duck.db' (TYPE sqlite)",
    "INSTALL httpfs",
    "LOAD httpfs",
    "LOAD parquet",
    "SET enable_external_access = true",
    "SET threads = 1",
    "RESET allowed_paths",
    "PRAGMA enable_external_access=true",
    "CREATE TABLE t AS SELECT 1",
    "CREATE SECRET (TYPE s3)",
    "CALL checkpoint()",
    "SELECT 1; COPY (SELECT 1) TO '{outside}/smuggled.csv'",
    "SELECT 1 AS a; ATTACH '{outside}/x.duckdb'",
]
# The ones DuckDB parses as a single SELECT: only the locked-down database stops these.
READS = [s for s in ESCAPES if s.startswith("SELECT") and ";" not in s]


def fill(template: str, layout: Layout, outside: Path) -> str:
    return template.format(root=layout.root, outside=outside, data=layout.data_dir("sales", 1))


@pytest.mark.parametrize("template", ESCAPES)
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_escapes_are_refused_and_change_nothing(
    layout: Layout, outside: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    template: str, fmt: str,
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # DuckDB's default spill directory is relative to the cwd
    before = snapshot(layout.root, outside, cwd)
    with pytest.raises(QueryError) as info:
        run_query(layout, "sales", 1, sql=fill(template, layout, outside), fmt=fmt)
    assert str(info.value)
    assert "hunter2" not in str(info.value) and "alice" not in str(info.value)
    assert snapshot(layout.root, outside, cwd) == before


@pytest.mark.parametrize("template", [s for s in ESCAPES if s not in READS])
def test_the_statement_wall_alone_refuses_everything_but_select(template: str) -> None:
    with pytest.raises(QueryError):
        _single_select(template)


@pytest.mark.parametrize("template", [
    *READS,
    "COPY (SELECT 1) TO '{outside}/out.csv'",
    "COPY sale_line TO '{data}/sale_line.parquet'",
    "EXPORT DATABASE '{outside}/export'",
    "ATTACH '{outside}/new.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET allowed_directories = ['/']",
    "RESET allowed_paths",
    "PRAGMA enable_external_access=true",
    "CREATE SECRET (TYPE s3)",
])
def test_the_database_wall_alone_refuses_reaching_out(
    layout: Layout, outside: Path, template: str
) -> None:
    """Even a statement that got past the SELECT check meets a locked-down database."""
    before = snapshot(layout.root, outside)
    con = _sandbox("sales", published_tables(layout, "sales", 1))
    try:
        with pytest.raises(duckdb.Error):
            con.execute(fill(template, layout, outside)).fetchall()
        assert con.execute("SELECT count(*) FROM sales.sale_line").fetchall() == [(20,)]
    finally:
        con.close()
    assert snapshot(layout.root, outside) == before


def test_settings_stay_locked(layout: Layout) -> None:
    result = run_query(layout, "sales", 1, sql=(
        "SELECT current_setting('enable_external_access') AS ext, "
        "current_setting('lock_configuration') AS locked"))
    assert isinstance(result, dict)
    assert result["rows"] == [[False, True]]


def test_a_runaway_query_is_stopped(layout: Layout) -> None:
    with pytest.raises(QueryError, match="longer than"):
        run_query(layout, "sales", 1, timeout_s=0.3,
                  sql="SELECT count(*) FROM range(1000000000000) a, range(1000000) b")


def test_a_query_over_its_memory_limit_fails_clearly(layout: Layout) -> None:
    with pytest.raises(QueryError, match=r"needs more than 32 MB .*DUCKSTRING_QUERY_MEMORY_MB"):
        run_query(layout, "sales", 1, memory_mb=32,
                  sql="SELECT string_agg(range::VARCHAR, ',') FROM range(30000000)")
    assert run_query(layout, "sales", 1, memory_mb=32, sql="SELECT 1 AS one")["rows"] == [[1]]


@pytest.mark.parametrize("fmt,limit", [("json", "2 MB"), ("csv", "16 MB"), ("parquet", "16 MB")])
def test_a_result_over_its_size_limit_fails_clearly(layout: Layout, fmt: str, limit: str) -> None:
    with pytest.raises(QueryError, match=f"result is over {limit}, the limit for {fmt.upper()}"):
        run_query(layout, "sales", 1, memory_mb=16, fmt=fmt,
                  sql="SELECT range, repeat('x', 40) AS s FROM range(2000000)")
    small = run_query(layout, "sales", 1, memory_mb=16, fmt=fmt, sql="SELECT 1 AS one")
    assert small  # the same limits let an ordinary result through


def test_a_table_no_run_names_is_not_published(layout: Layout, outside: Path) -> None:
    link = layout.data_dir("sales", 1) / "stolen"
    link.symlink_to(layout.data_dir("secret", 1) / "salary")
    with pytest.raises(TableNotFound):
        run_query(layout, "sales", 1, table="stolen")
    with pytest.raises(QueryError):
        run_query(layout, "sales", 1, sql="SELECT * FROM stolen")


def test_a_line_without_data_still_answers(tmp_path: Path) -> None:
    result = run_query(Layout(tmp_path), "empty", 1, sql="SELECT 42 AS answer")
    assert result == {"columns": ["answer"], "types": ["INTEGER"], "rows": [[42]]}


def test_python_variables_are_not_tables(layout: Layout) -> None:
    """DuckDB's Python replacement scans would read a DataFrame in scope; not here."""
    import pyarrow as pa

    leak = pa.table({"secret": ["hunter2"]})  # noqa: F841 (the point is that it is in scope)
    con = _sandbox("sales", published_tables(layout, "sales", 1))
    try:
        with pytest.raises(duckdb.Error):
            con.execute("SELECT * FROM leak").fetchall()
    finally:
        con.close()
