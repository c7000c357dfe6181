"""The Delta data plane end to end on local disk and on a real S3 server (issue 11):
versions per run, change feeds mirrored by a Sink, time travel, crash safety, the upgrade."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from duckstring.duck.handle import PondHandle
from duckstring.duck.registry import Registry
from duckstring.embedded.query import run_query
from duckstring.embedded.store import Store
from duckstring.lake import runs
from duckstring.lake.publish import publish
from duckstring.lake.where import ENV, line
from duckstring.layout import Layout


@pytest.fixture(params=["local", "s3"])
def layout(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Layout:
    monkeypatch.delenv(ENV, raising=False)
    if request.param == "s3":
        monkeypatch.setenv(ENV, request.getfixturevalue("s3"))
    return Layout(tmp_path / "root")


class Pond:
    """One line's registry, run the way a Duck runs it: Ripple code, then publish."""

    def __init__(self, layout: Layout, name: str, sources: tuple[str, ...] = ()) -> None:
        self.layout, self.name = layout, name
        self.registry = Registry(layout.registry(name, 1))
        self.sources = {s: line(layout, s, 1) for s in sources}
        self.previous: int | None = None

    def run(self, f: int, ripple) -> object:
        h = PondHandle(name=self.name, version="1.0.0", f=f, previous_f=self.previous,
                       con=self.registry.cursor(), sources=self.sources,
                       catalog=self.registry.catalog, write_lock=self.registry.swap_lock)
        try:
            ripple(h)
        finally:
            h._close()
        result = publish(self.registry.cursor(), line(self.layout, self.name, 1), f=f,
                         run=f"{self.name}@1@{f}", label=f"{self.name}@1")
        assert result.rejected is None, result.rejected
        self.previous = f
        return result

    def rows(self, table: str) -> list[tuple]:
        return sorted(self.registry.cursor().execute(f"SELECT * FROM {table}").fetchall())


PULSES = [  # the Source's full content at each Pulse: (id, name, qty)
    [(1, "a", 1), (2, "b", 2), (3, "c", 3)],
    [(1, "a", 1), (2, "b", 20), (4, "d", 4)],  # update 2, delete 3, insert 4
    [(1, "a", 1), (2, "b", 20), (4, "d", 4)],  # unchanged
    [(2, "b", 21), (3, "c", 3), (5, "e", None)],  # delete 1, re-insert 3, update 2
]


def rows_sql(rows: list[tuple]) -> str:
    values = ", ".join(f"({i}, '{n}', {'NULL' if q is None else q})" for i, n, q in rows)
    return f"SELECT * FROM (VALUES {values}) v(id, name, qty)"


@pytest.mark.parametrize("keyed", [True, False], ids=["write_table-key", "write_table"])
def test_a_sink_mirrors_its_source_through_the_change_feed(layout: Layout, keyed: bool) -> None:
    source, sink = Pond(layout, "src"), Pond(layout, "sink", ("src",))
    src_line = line(layout, "src", 1)
    completes = []
    for i, content in enumerate(PULSES):
        f = 1000 * (i + 1)
        published = source.run(f, lambda p, c=content: p.write_table(
            "item", p.con.sql(rows_sql(c)), key="id" if keyed else None))
        assert published.changed is (i != 2)  # an unchanged Pulse commits nothing

        def mirror(p: PondHandle) -> None:
            changes = p.read_changes("src.item")
            completes.append(p.changes_complete("src.item"))
            p.apply_changes("mirror", changes, key="id")
        sink.run(f, mirror)
        assert sink.rows("mirror") == sorted(content), f"after Pulse {i + 1}"
    assert completes == [False, True, True, True]
    versions = [m.tables["item"] for m in runs.manifests(src_line)]
    assert versions == [0, 1, 2]  # one version per changed run
    feed = pa.table(DeltaTable(src_line.table("item"), storage_options=src_line.options()).load_cdf(
        starting_version=1, ending_version=1)).to_pylist()
    kinds = sorted(r["_change_type"] for r in feed)
    if keyed:  # a changed row is an update, not a delete and an insert
        assert kinds == ["delete", "insert", "update_postimage", "update_preimage"]
    else:
        assert kinds == ["delete", "delete", "insert", "insert"]


def test_reads_are_pinned_to_the_run_and_time_travel(layout: Layout) -> None:
    source = Pond(layout, "src")
    source.run(1000, lambda p: p.write_table("t", p.con.sql("SELECT 1 AS x")))
    source.run(2000, lambda p: p.write_table("t", p.con.sql("SELECT 2 AS x")))
    sink = Pond(layout, "sink", ("src",))
    seen = []
    sink.run(1500, lambda p: seen.append(p.read_table("src.t").fetchall()))
    sink.run(2500, lambda p: seen.append(p.read_table("src.t").fetchall()))
    assert seen == [[(1,)], [(2,)]]  # the Source's run each freshness derives from
    assert run_query(layout, "src", 1, table="t")["rows"] == [[2]]
    assert run_query(layout, "src", 1, table="t", as_of=1999)["rows"] == [[1]]
    assert run_query(layout, "src", 1, table="t", version=0)["rows"] == [[1]]
    src_line = line(layout, "src", 1)
    dt = DeltaTable(src_line.table("t"), storage_options=src_line.options())
    assert dt.history(1)[0]["duckstring.f"] == "2000"  # the run rides in the commit metadata


def test_incremental_writes(layout: Layout) -> None:
    pond = Pond(layout, "p")

    def first(p: PondHandle) -> None:
        p.append_table("t", p.con.sql("SELECT range AS id, range * 10 AS v FROM range(4)"))
        p.merge_table("t", p.con.sql("SELECT 1 AS id, 99 AS v UNION ALL SELECT 7, 70"), key="id")
        p.delete_rows("t", "id = 0")
    pond.run(1000, first)
    assert pond.rows("t") == [(1, 99), (2, 20), (3, 30), (7, 70)]
    pond.run(2000, lambda p: p.merge_table("t", p.con.sql("SELECT 2 AS id, 21 AS v"), key="id"))
    ln = line(layout, "p", 1)
    feed = pa.table(DeltaTable(ln.table("t"), storage_options=ln.options()).load_cdf(
        starting_version=1)).to_pylist()
    assert sorted((r["_change_type"], r["id"], r["v"]) for r in feed) == [
        ("update_postimage", 2, 21), ("update_preimage", 2, 20)]


def test_decimal_drift_is_cast_and_a_type_change_rejected(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "root")
    pond = Pond(layout, "p")
    pond.run(1000, lambda p: p.write_table("t", p.con.sql("SELECT 1.5::DECIMAL(18,2) AS x")))
    pond.run(2000, lambda p: p.write_table("t", p.con.sql("SELECT sum(2.5::DECIMAL(18,2)) AS x")))
    assert run_query(layout, "p", 1, table="t")["types"] == ["DECIMAL(18,2)"]
    h = PondHandle(name="p", version="1.0.0", f=3000, con=pond.registry.cursor(),
                   catalog=pond.registry.catalog, write_lock=pond.registry.swap_lock)
    h.write_table("t", h.con.sql("SELECT 'text' AS x"))
    result = publish(pond.registry.cursor(), line(layout, "p", 1), f=3000, run="r", label="p@1")
    assert result.rejected is not None
    assert "column 'x' changed type DECIMAL(18,2) → VARCHAR" in result.rejected
    assert run_query(layout, "p", 1, table="t")["rows"] == [[2.5]]  # nothing was published


def _publish_then_die(root: str, data_url: str | None) -> None:
    """A Duck that commits its tables, then is killed before its run manifest."""
    if data_url:
        os.environ[ENV] = data_url
    layout = Layout(root)
    registry = Registry(layout.registry("p", 1))
    con = registry.cursor()
    con.execute("CREATE OR REPLACE TABLE a AS SELECT 2 AS x")
    con.execute("CREATE OR REPLACE TABLE b AS SELECT 2 AS y")

    def hang(*_: object) -> None:
        Path(root, "committed").write_text("tables committed")
        time.sleep(600)
    runs.record = hang  # type: ignore[assignment]  # the crash point, in the doomed child only
    publish(registry.cursor(), line(layout, "p", 1), f=2000, run="p@1@2000", label="p@1")


def test_kill_9_mid_publish_leaves_the_previous_run_visible(layout: Layout) -> None:
    pond = Pond(layout, "p")

    def first(p: PondHandle) -> None:
        p.write_table("a", p.con.sql("SELECT 1 AS x"))
        p.write_table("b", p.con.sql("SELECT 1 AS y"))
    pond.run(1000, first)
    pond.registry.close()
    child = multiprocessing.get_context("spawn").Process(  # delta-rs must not run in a fork
        target=_publish_then_die, args=(str(layout.root), os.environ.get(ENV)))
    child.start()
    try:
        deadline = time.monotonic() + 120
        while not (layout.root / "committed").exists():
            assert child.is_alive() and time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join(30)
    sql = "SELECT a.x, b.y FROM a, b"
    assert run_query(layout, "p", 1, sql=sql)["rows"] == [[1, 1]]  # never a mix
    again = Pond(layout, "p")  # the next Duck publishes the run again: all of it
    again.previous = 1000
    assert again.run(2000, lambda p: None).changed
    assert run_query(layout, "p", 1, sql=sql)["rows"] == [[2, 2]]


def test_the_upgrade_makes_each_parquet_file_version_0(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "root")
    data = layout.data_dir("sales", 1)
    data.mkdir(parents=True)
    duckdb.execute(f"COPY (SELECT range AS id FROM range(5)) TO '{data / 'sale_line.parquet'}'")
    (data / ".sale_line.parquet.ab12.tmp").write_bytes(b"half written")
    db = Store(layout.db)
    db.conn.close()
    assert sorted(p.name for p in data.iterdir()) == ["_duckstring_runs", "sale_line"]
    assert DeltaTable(str(data / "sale_line")).version() == 0
    assert run_query(layout, "sales", 1, sql="SELECT count(*) AS n FROM sale_line")["rows"] == [[5]]
    Store(layout.db).conn.close()  # once: a second start changes nothing
    assert [m.tables for m in runs.manifests(line(layout, "sales", 1))] == [{"sale_line": 0}]


def test_retention_vacuums_and_a_sink_too_far_behind_gets_a_full_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DUCKSTRING_RETENTION_DAYS", "0")
    monkeypatch.setenv("DUCKSTRING_RETENTION_VERSIONS", "1")
    layout = Layout(tmp_path / "root")
    source, sink = Pond(layout, "src"), Pond(layout, "sink", ("src",))
    flags = []

    def mirror(p: PondHandle) -> None:
        changes = p.read_changes("src.item")
        flags.append(p.changes_complete("src.item"))
        p.apply_changes("mirror", changes, key="id")
    for i, content in enumerate(PULSES):
        source.run(1000 * (i + 1), lambda p, c=content: p.write_table(
            "item", p.con.sql(rows_sql(c)), key="id"))
    sink.previous = 1000  # it last read the first run; the versions since are vacuumed
    sink.registry.cursor().execute(f"CREATE TABLE mirror AS {rows_sql(PULSES[0])}")
    sink.run(4000, mirror)
    assert flags == [False]
    src_line = line(layout, "src", 1)
    root = Path(src_line.table("item"))
    files = {str(p.relative_to(root)) for p in root.rglob("*.parquet")
             if p.relative_to(root).parts[0] not in ("_delta_log", "_change_data")}
    live = {str(Path(u).relative_to(root)) for u in DeltaTable(str(root)).file_uris()}
    assert files == live  # only the latest version's files remain
    # upserting the full read leaves rows the Source deleted meanwhile: rebuild on False
    assert set(PULSES[3]) <= set(sink.rows("mirror"))


def test_a_vacuumed_version_is_not_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from duckstring.embedded.tables import TableNotFound

    monkeypatch.setenv("DUCKSTRING_RETENTION_DAYS", "0")
    monkeypatch.setenv("DUCKSTRING_RETENTION_VERSIONS", "1")
    layout = Layout(tmp_path / "root")
    pond = Pond(layout, "p")
    for f in (1000, 2000):
        pond.run(f, lambda p, f=f: p.write_table("t", p.con.sql(f"SELECT {f} AS x")))
    assert run_query(layout, "p", 1, table="t")["rows"] == [[2000]]
    with pytest.raises(TableNotFound, match="retention removed version 0 of 't'"):
        run_query(layout, "p", 1, table="t", version=0)
    with pytest.raises(TableNotFound, match="retention removed"):
        run_query(layout, "p", 1, table="t", as_of=1500)


@pytest.mark.parametrize("keyed", [True, False], ids=["keyed", "keyless"])
def test_new_rows_only_publish_as_an_append_and_duplicates_keep_their_count(
        layout: Layout, keyed: bool) -> None:
    pond = Pond(layout, "p")
    ln = line(layout, "p", 1)
    contents = [
        [(1, "a", 1), (2, "b", 2)],
        [(1, "a", 1), (2, "b", 2), (3, "c", 3), (4, "d", 4)],  # new rows only
        [(1, "a", 1), (2, "b", 2), (3, "c", 3), (4, "d", 4), (5, "e", 5)],
    ]
    if not keyed:  # whole rows: a row's count changing is a change too
        contents[2] = [*contents[1], (1, "a", 1), (5, "e", 5)]
    for i, content in enumerate(contents):
        pond.run(1000 * (i + 1), lambda p, c=content: p.write_table(
            "t", p.con.sql(rows_sql(c)), key="id" if keyed else None))
        dt = DeltaTable(ln.table("t"), storage_options=ln.options())
        assert sorted(tuple(r.values()) for r in dt.to_pyarrow_table().to_pylist()) == sorted(content)
    dt = DeltaTable(ln.table("t"), storage_options=ln.options())
    assert dt.history()[1]["operation"] == "WRITE"  # version 1 was an append, not a merge
    feed = pa.table(dt.load_cdf(starting_version=1, ending_version=1)).to_pylist()
    assert sorted((r["_change_type"], r["id"]) for r in feed) == [("insert", 3), ("insert", 4)]
    feed = pa.table(dt.load_cdf(starting_version=2, ending_version=2)).to_pylist()
    if keyed:
        assert sorted((r["_change_type"], r["id"]) for r in feed) == [("insert", 5)]
    else:  # (1, a, 1) went from one copy to two: the feed takes the old copies to the new
        from collections import Counter

        rows = Counter(contents[1])
        for r in feed:
            row = (r["id"], r["name"], r["qty"])
            rows[row] += 1 if r["_change_type"] == "insert" else -1
        assert +rows == Counter(contents[2])
        if ln.local:  # the Duck's own commit holds just the one more copy
            assert sorted((r["_change_type"], r["id"]) for r in feed) == [("insert", 1), ("insert", 5)]


def _commit(ln, version: int) -> dict[str, list]:
    import json

    actions: dict[str, list] = {"add": [], "remove": [], "cdc": []}
    log = Path(ln.table("t")) / "_delta_log" / f"{version:020d}.json"
    for x in log.read_text().splitlines():
        kind, body = next(iter(json.loads(x).items()))
        actions.setdefault(kind, []).append(body)
    return actions


def test_incremental_writes_rewrite_only_the_files_holding_their_keys(tmp_path: Path) -> None:
    """On local disk the touched keys' rows are all the publish reads and rewrites, checked by
    the fingerprint: a change made behind the incremental calls' back is published too."""
    layout = Layout(tmp_path / "root")
    pond, ln = Pond(layout, "p"), line(layout, "p", 1)
    n = 1_000_000
    pond.run(1000, lambda p: p.write_table("t", p.con.sql(
        f"SELECT range AS id, range % 7 AS k, 'v' || range AS v FROM range({n})"), key="id"))
    files = len(_commit(ln, 0)["add"])
    assert files >= 3

    def newest(p: PondHandle) -> None:  # the newest 1,000 keys change, one is deleted
        p.merge_table("t", p.read_table("t").filter(f"id >= {n - 1000}").select(
            "id, k + 1 AS k, v"), key="id")
        p.delete_rows("t", f"id = {n - 1}")
        p.append_table("t", p.con.sql(f"SELECT {n} AS id, 0 AS k, 'new' AS v"))
    pond.run(2000, newest)
    commit = _commit(ln, 1)
    assert len(commit["remove"]) < files and commit["cdc"]  # not every file was rewritten
    dt = DeltaTable(ln.table("t"))
    assert dt.to_pyarrow_dataset().count_rows() == n
    feed = pa.table(dt.load_cdf(starting_version=1, ending_version=1)).to_pylist()
    kinds = {}
    for r in feed:
        kinds[r["_change_type"]] = kinds.get(r["_change_type"], 0) + 1
    assert kinds == {"update_preimage": 999, "update_postimage": 999, "delete": 1, "insert": 1}

    def behind_its_back(p: PondHandle) -> None:
        p.merge_table("t", p.con.sql("SELECT 1 AS id, 100 AS k, 'x' AS v"), key="id")
        p.con.execute("UPDATE t SET v = 'sql' WHERE id = 500000")
    pond.run(3000, behind_its_back)
    published = duckdb.sql(f"SELECT * FROM read_parquet({DeltaTable(ln.table('t')).file_uris()}) "
                           "WHERE id IN (1, 500000) ORDER BY id").fetchall()
    assert published == [(1, 100, "x"), (500000, 500000 % 7, "sql")]

    def duplicate(p: PondHandle) -> None:
        p.merge_table("t", p.con.sql("SELECT 2 AS id, 1 AS k, 'a' AS v UNION ALL "
                                     "SELECT 2, 2, 'b'"), key="id")
    with pytest.raises(ValueError, match="duplicate key"):
        pond.run(4000, duplicate)


def test_the_ducks_own_commits_are_checkpointed_and_read_back_by_delta_rs(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "root")
    pond, ln = Pond(layout, "p"), line(layout, "p", 1)
    pond.run(1000, lambda p: p.write_table("t", p.con.sql(
        "SELECT range AS id, 0 AS v FROM range(100)"), key="id"))
    for i in range(1, 13):
        pond.run(1000 + i, lambda p, i=i: p.merge_table("t", p.con.sql(
            f"SELECT {i} AS id, {i} AS v UNION ALL SELECT {100 + i}, {i}"), key="id"))
    root = Path(ln.table("t"))
    assert (root / "_delta_log" / "_last_checkpoint").is_file()
    fresh = DeltaTable(str(root))  # opened from the checkpoint, no kept object
    assert fresh.version() == 12
    assert sorted(tuple(r.values()) for r in fresh.to_pyarrow_table().to_pylist()) == pond.rows("t")
    feed = pa.table(fresh.load_cdf(starting_version=9, ending_version=12)).to_pylist()
    assert sorted((r["_change_type"], r["id"]) for r in feed if r["_commit_version"] == 12) == [
        ("insert", 112), ("update_postimage", 12), ("update_preimage", 12)]
    assert fresh.history(1)[0]["duckstring.f"] == "1012"
