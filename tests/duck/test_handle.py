"""The `pond` handle: reading own tables and Source snapshots, atomic concurrent writes."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from duckstring.duck.handle import PondHandle
from duckstring.duck.registry import Registry
from duckstring.lake.where import line
from duckstring.layout import Layout
from tests.duck.duckkit import F1, F2
from tests.lakekit import publish

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def registry(tmp_path: Path):
    reg = Registry(tmp_path / "registry.duckdb")
    yield reg
    reg.close()


def handle(registry: Registry, sources: dict[str, Path] | None = None,
           lock: threading.Lock | None = None, **kw) -> PondHandle:
    return PondHandle(name="sales", version="1.2.0", f=kw.pop("f", F1), con=registry.cursor(),
                      sources=sources, catalog=registry.catalog,
                      write_lock=lock or registry.swap_lock, **kw)


def test_identity_and_freshness_are_utc_datetimes(registry):
    h = handle(registry, previous_f=F1, f=F2, sources_changed=False)
    assert (h.name, h.version) == ("sales", "1.2.0")
    assert h.f == datetime(2026, 1, 5, 8, 1, tzinfo=timezone.utc)
    assert h.previous_f == datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
    assert h.f.tzinfo is timezone.utc
    assert h.sources_changed() is False
    assert handle(registry).previous_f is None


def test_write_then_read_own_table(registry):
    h = handle(registry)
    h.write_table("transaction", h.con.sql("SELECT range AS id FROM range(5)"))
    assert h.read_table("transaction").aggregate("sum(id)").fetchall() == [(10,)]
    h.write_table("transaction", h.con.sql('SELECT id * 2 AS id FROM "transaction"'))  # reads itself
    assert h.read_table("transaction").aggregate("sum(id)").fetchall() == [(20,)]
    tables = registry.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    assert tables == [("transaction",)]  # no leftovers


def test_write_accepts_arrow_and_relations_of_other_connections(registry):
    h = handle(registry)
    h.write_table("a", pa.table({"x": [1, 2, 3]}))
    h.write_table("b", duckdb.connect().sql("SELECT 42 AS z"))
    h.write_table("c", registry.cursor().sql("SELECT * FROM a"))
    assert h.con.execute("SELECT (SELECT sum(x) FROM a), (SELECT z FROM b), (SELECT count(*) FROM c)"
                         ).fetchone() == (6, 42, 3)


def test_write_accepts_pandas_when_installed(registry):
    pd = pytest.importorskip("pandas")
    h = handle(registry)
    h.write_table("p", pd.DataFrame({"x": [1, 2]}))
    assert h.read_table("p").aggregate("sum(x)").fetchall() == [(3,)]


def test_write_rejects_what_it_cannot_read(registry):
    h = handle(registry)
    with pytest.raises(TypeError, match="DuckDB relation"):
        h.write_table("t", "SELECT 1")
    with pytest.raises(TypeError, match="cannot use a object"):
        h.write_table("t", object())


def test_reserved_columns_and_names(registry):
    h = handle(registry)
    with pytest.raises(ValueError, match="column '_duckstring_x' of table 't' is reserved"):
        h.write_table("t", h.con.sql("SELECT 1 AS _duckstring_x"))
    with pytest.raises(ValueError, match="reserved"):
        h.write_table("_duckstring_t", h.con.sql("SELECT 1 AS x"))
    with pytest.raises(ValueError, match="not valid"):
        h.write_table("../escape", h.con.sql("SELECT 1 AS x"))
    assert registry.con.execute("SELECT count(*) FROM duckdb_tables()").fetchall() == [(0,)]


def test_readers_never_see_a_half_replaced_table(registry):
    h = handle(registry)
    h.write_table("t", h.con.sql("SELECT range AS x FROM range(1000)"))
    stop = threading.Event()
    seen: set[int] = set()
    errors: list[BaseException] = []

    def read() -> None:
        con = registry.cursor()
        while not stop.is_set():
            try:
                seen.add(con.execute("SELECT count(*) FROM t").fetchone()[0])
            except BaseException as e:
                errors.append(e)

    reader = threading.Thread(target=read)
    reader.start()
    for n in (2000, 3000, 1000, 2000, 3000):
        h.write_table("t", h.con.sql(f"SELECT range AS x FROM range({n})"))
    stop.set()
    reader.join()
    assert not errors
    assert seen <= {1000, 2000, 3000}


@pytest.mark.parametrize("shared_lock", [True, False], ids=["queued", "racing"])
def test_concurrent_writers_queue_and_retry(registry, shared_lock):
    """With the registry's lock writers queue; with separate locks they collide in DuckDB
    (write-write conflicts) and must retry instead of failing."""
    errors: list[BaseException] = []

    def write(i: int) -> None:
        h = handle(registry, lock=None if shared_lock else threading.Lock())
        try:
            for k in range(8):
                h.write_table("shared", h.con.sql(f"SELECT {i} AS writer, {k} AS k, range AS r FROM range(100)"))
                h.write_table(f"own_{i}", h.con.sql(f"SELECT {k} AS k"))
        except BaseException as e:
            errors.append(e)
        finally:
            h._close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    con = registry.cursor()
    assert con.execute("SELECT count(*), count(DISTINCT writer) FROM shared").fetchone() == (100, 1)
    assert [con.execute(f"SELECT k FROM own_{i}").fetchone() for i in range(6)] == [(7,)] * 6
    leftovers = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_duckstring%'").fetchone()
    assert leftovers == (0,)


def test_read_a_source_snapshot_as_a_view_named_like_the_table(registry, tmp_path):
    layout = Layout(tmp_path / "root")
    publish(layout, "transactions", 1, {"transaction": "SELECT range AS id FROM range(4)"})
    h = handle(registry, sources={"transactions": line(layout, "transactions", 1)})
    rel = h.read_table("transactions.transaction")
    assert rel.aggregate("count(*)").fetchall() == [(4,)]
    assert h.con.sql('SELECT max(id) FROM "transaction"').fetchall() == [(3,)]
    # an own table of the same name stays reachable through read_table
    h.write_table("transaction", h.con.sql("SELECT 99 AS id"))
    assert h.read_table("transaction").fetchall() == [(99,)]


def test_a_missing_snapshot_names_source_table_and_path(registry, tmp_path):
    data = tmp_path / "products" / "data"
    h = handle(registry, sources={"products": data})
    with pytest.raises(FileNotFoundError) as e:
        h.read_table("products.product")
    assert "Source 'products' has not published table 'product'" in str(e.value)
    assert str(data / "product.parquet") in str(e.value)  # local Puddles: a Parquet file
    h = handle(registry, sources={"products": line(Layout(tmp_path / "root"), "products", 1)})
    with pytest.raises(FileNotFoundError, match="Source 'products' has not published table"):
        h.read_table("products.product")
    with pytest.raises(ValueError, match="'stores' is not a Source of Pond 'sales'"):
        h.read_table("stores.store")


def test_skip_and_log(registry):
    h = handle(registry)
    assert h._skipped is False
    h.skip()
    assert h._skipped is True
    assert h.log.name.startswith("duckstring.pond")


def test_importing_duckstring_does_not_import_duckdb():
    import subprocess
    import sys

    code = ("import sys, duckstring; from duckstring import PondHandle, ripple, puddle; "
            "assert 'duckdb' not in sys.modules and 'pyarrow' not in sys.modules, 'heavy import'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_incremental_writes_take_data_that_reads_the_table_itself(registry):
    """The change is the data as it was when the call began: merging or applying a relation
    over the table itself must not read the rows the call is replacing (it lost them)."""
    h = handle(registry)
    h.write_table("t", h.con.sql("SELECT range AS id, range * 10 AS v FROM range(4)"))
    h.merge_table("t", h.read_table("t").filter("id >= 2").select("id, v + 1 AS v"), key="id")
    assert sorted(h.read_table("t").fetchall()) == [(0, 0), (1, 10), (2, 21), (3, 31)]
    feed = h.read_table("t").filter("id = 3").select(
        "id, v + 1 AS v, 'update_postimage' AS _change_type, 1::BIGINT AS _commit_version")
    h.apply_changes("t", feed, key="id")
    assert sorted(h.read_table("t").fetchall()) == [(0, 0), (1, 10), (2, 21), (3, 32)]
