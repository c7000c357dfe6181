"""Publishing: atomic replace, the schema contract, byte-identical snapshots."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from duckstring.duck.publish import contract_violations, publish

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def con(tmp_path: Path):
    db = duckdb.connect(str(tmp_path / "registry.duckdb"))
    yield db
    db.close()


def snapshot(data: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_ino) for p in sorted(data.iterdir())}


def test_every_table_is_exported_atomically(con, tmp_path):
    data = tmp_path / "data"
    con.execute('CREATE TABLE "transaction" AS SELECT range AS id, range * 1.5 AS amount FROM range(10)')
    con.execute("CREATE TABLE other AS SELECT 'x' AS s")
    con.execute("CREATE TABLE _duckstring_tmp_leftover AS SELECT 1 AS z")
    result = publish(con.cursor(), data, "p@1")
    assert result.rejected is None and result.changed is True
    assert sorted(p.name for p in data.iterdir()) == ["other.parquet", "transaction.parquet"]
    assert result.tables == {
        "transaction": {"rows": 10, "columns": {"id": "BIGINT", "amount": "DECIMAL(21,1)"}},
        "other": {"rows": 1, "columns": {"s": "VARCHAR"}},
    }
    got = con.execute(f"SELECT sum(id) FROM read_parquet('{data}/transaction.parquet')").fetchone()
    assert got == (45,)


def test_identical_output_reports_no_change_and_leaves_files_alone(con, tmp_path):
    data = tmp_path / "data"
    con.execute("CREATE TABLE t AS SELECT range AS id FROM range(1000)")
    publish(con.cursor(), data)
    before = snapshot(data)
    again = publish(con.cursor(), data)
    assert again.changed is False and again.rejected is None
    assert again.tables["t"]["rows"] == 1000
    assert snapshot(data) == before  # same bytes, same inode: never replaced
    con.execute("INSERT INTO t VALUES (1000)")
    assert publish(con.cursor(), data).changed is True
    assert snapshot(data)["t.parquet"][1] != before["t.parquet"][1]


def test_adding_tables_and_columns_is_fine(con, tmp_path):
    data = tmp_path / "data"
    con.execute("CREATE TABLE t AS SELECT 1 AS a")
    publish(con.cursor(), data)
    con.execute("CREATE OR REPLACE TABLE t AS SELECT 1 AS a, 'new' AS b")
    con.execute("CREATE TABLE u AS SELECT 2 AS c")
    result = publish(con.cursor(), data)
    assert result.rejected is None and result.changed is True
    assert result.tables["t"]["columns"] == {"a": "INTEGER", "b": "VARCHAR"}


@pytest.mark.parametrize(("change", "message"), [
    ("DROP TABLE t", "table 't' is published but the run no longer produces it"),
    ("CREATE OR REPLACE TABLE t AS SELECT 1 AS a", "table 't' dropped column 'b' (VARCHAR)"),
    ("CREATE OR REPLACE TABLE t AS SELECT 'one' AS a, 'x' AS b",
     "table 't' column 'a' changed type INTEGER → VARCHAR"),
])
def test_contract_violations_reject_and_publish_nothing(con, tmp_path, change, message):
    data = tmp_path / "data"
    con.execute("CREATE TABLE t AS SELECT 1 AS a, 'x' AS b")
    con.execute("CREATE TABLE keep AS SELECT 1 AS k")
    publish(con.cursor(), data)
    before = snapshot(data)
    con.execute(change)
    con.execute("CREATE OR REPLACE TABLE keep AS SELECT 2 AS k")  # would change, but must not
    con.execute("CREATE TABLE brand_new AS SELECT 1 AS n")
    result = publish(con.cursor(), data, "sales@1")
    assert result.rejected is not None
    assert result.rejected.startswith("schema contract of sales@1: ")
    assert message in result.rejected
    assert "new major" in result.rejected
    assert snapshot(data) == before  # untouched, and no temp files left behind


def test_contract_lists_every_problem():
    old = {"t": {"a": "INTEGER", "b": "VARCHAR"}, "gone": {"x": "INTEGER"}}
    new = {"t": {"a": "BIGINT", "c": "VARCHAR"}}
    assert contract_violations(old, new) == [
        "table 'gone' is published but the run no longer produces it",
        "table 't' column 'a' changed type INTEGER → BIGINT",
        "table 't' dropped column 'b' (VARCHAR)",
    ]


def test_temp_files_of_a_crashed_publish_are_cleaned(con, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / ".t.parquet.dead.tmp").write_bytes(b"junk")
    con.execute("CREATE TABLE t AS SELECT 1 AS a")
    publish(con.cursor(), data)
    assert sorted(os.listdir(data)) == ["t.parquet"]


def test_export_time_is_close_to_a_plain_copy(con, tmp_path):
    import time

    con.execute("CREATE TABLE big AS SELECT range AS id, range::VARCHAR AS s, random() AS r "
                "FROM range(200000)")
    t0 = time.perf_counter()
    con.execute(f"COPY big TO '{tmp_path}/plain.parquet' (FORMAT parquet)")
    plain = time.perf_counter() - t0
    t0 = time.perf_counter()
    publish(con.cursor(), tmp_path / "data")
    ours = time.perf_counter() - t0
    assert ours < plain * 3 + 0.5, (ours, plain)  # lenient: a loaded CI box is noisy
