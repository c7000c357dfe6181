"""The root as a tar stream (runtime.md §7), and its safe extraction by the CLI."""

from __future__ import annotations

import io
import os
import sqlite3
import tarfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from duckstring.embedded import archive
from duckstring.embedded.archive import (
    ArchiveError,
    extract_archive,
    stream_archive,
    usage,
    verify_root,
)
from duckstring.layout import Layout


def open_wal(path: Path) -> sqlite3.Connection:
    """A live WAL database whose committed rows are still only in its -wal file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=wal")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("CREATE TABLE t (x TEXT)")
    con.commit()
    return con


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Layout]:
    layout = Layout(tmp_path / "root")
    catchment = open_wal(layout.db)
    ledger = open_wal(layout.ledger("sales", 1))
    catchment.executemany("INSERT INTO t VALUES (?)", [("deployed",), ("selected",)])
    catchment.commit()
    ledger.execute("INSERT INTO t VALUES ('run 1')")
    ledger.commit()
    catchment.execute("INSERT INTO t VALUES ('uncommitted')")  # open transaction: not copied
    assert Path(f"{layout.db}-wal").stat().st_size > 0

    registry = duckdb.connect(str(layout.registry("sales", 1)))
    registry.execute("CREATE TABLE sale_line AS SELECT range AS id FROM range(10)")
    registry.close()
    data = layout.data_dir("sales", 1)
    data.mkdir(parents=True)
    duckdb.execute(f"COPY (SELECT 1 AS id) TO '{data / 'sale_line.parquet'}'")
    (data / ".sale_line.parquet.tmp").write_bytes(b"half written")
    layout.duck_lock("sales", 1).write_text("")
    layout.duck_log("sales", 1).write_text("duck says hi\n")
    source = layout.version_dir("sales", "1.0.0")
    (source / "src").mkdir(parents=True)
    (source / "pond.toml").write_text('[pond]\nname = "sales"\nversion = "1.0.0"\n')
    (source / "src" / "pond.py").write_text("# ripples\n")
    (source / ".gitignore").write_text("puddles/\n")  # sources are kept whole
    (source / "tmp_helpers.py").write_text("X = 1\n")
    layout.lock.write_text("locked")
    layout.tmp.mkdir()
    (layout.tmp / "scratch").write_text("skip me")
    (layout.root / "link").symlink_to(tmp_path)
    yield layout
    catchment.close()
    ledger.close()


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


EXPECTED = {
    "duck.db",
    "ponds/sales/m1/pond.db",
    "ponds/sales/m1/registry.duckdb",
    "ponds/sales/m1/data/sale_line.parquet",
    "ponds/sales/m1/duck.log",
    "ponds/sales/1.0.0/pond.toml",
    "ponds/sales/1.0.0/src/pond.py",
    "ponds/sales/1.0.0/.gitignore",
    "ponds/sales/1.0.0/tmp_helpers.py",
}


def rows(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("SELECT x FROM t ORDER BY rowid")]
    finally:
        con.close()


def test_round_trip_keeps_wal_content_and_skips_locks_and_scratch(
    root: Layout, tmp_path: Path
) -> None:
    raw = tmp_path / "raw.db"
    raw.write_bytes(root.db.read_bytes())
    with pytest.raises(sqlite3.OperationalError):
        rows(raw)  # the main file alone does not even have the table yet: it is in the WAL
    dest = tmp_path / "copy"
    counts = extract_archive(stream_archive(root), dest)
    assert files_under(dest) == EXPECTED
    assert counts["files"] == len(EXPECTED)
    assert rows(dest / "duck.db") == ["deployed", "selected"]
    assert rows(dest / "ponds/sales/m1/pond.db") == ["run 1"]
    registry = duckdb.connect(str(dest / "ponds/sales/m1/registry.duckdb"))
    assert registry.execute("SELECT count(*) FROM sale_line").fetchall() == [(10,)]
    registry.close()
    verify_root(dest)
    assert [p.name for p in root.tmp.iterdir()] == ["scratch"]  # no snapshot left behind


def test_usage_matches_what_is_sent(root: Layout, tmp_path: Path) -> None:
    info = usage(root)
    assert info["file_count"] == len(EXPECTED)
    assert info["total_bytes"] > 0


def test_stream_is_a_tar_in_bounded_chunks(
    root: Layout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "CHUNK", 4096)
    big = root.data_dir("sales", 1) / "big.parquet"
    big.write_bytes(os.urandom(50_000))
    chunks = list(stream_archive(root))
    assert max(len(c) for c in chunks) <= 4096
    assert len(chunks) > 50_000 // 4096
    blob = b"".join(chunks)
    assert len(blob) % tarfile.RECORDSIZE == 0
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        names = tar.getnames()
        assert tar.extractfile("ponds/sales/m1/data/big.parquet").read() == big.read_bytes()  # type: ignore[union-attr]
    assert len(names) == len(set(names))
    assert "catchment.lock" not in names and "duck.db-wal" not in names


def test_stopping_early_leaves_no_snapshot_behind(root: Layout) -> None:
    stream = stream_archive(root)
    next(stream)
    stream.close()
    assert [p.name for p in root.tmp.iterdir()] == ["scratch"]


def test_extract_from_a_file_and_refuse_a_non_empty_destination(
    root: Layout, tmp_path: Path
) -> None:
    tar = tmp_path / "root.tar"
    with open(tar, "wb") as fh:
        for chunk in stream_archive(root):
            fh.write(chunk)
    dest = tmp_path / "dest"
    dest.mkdir()  # empty is fine
    extract_archive(tar, dest)
    with pytest.raises(ArchiveError, match="not empty"):
        extract_archive(tar, dest)
    (dest / "duck.db").unlink()
    extract_archive(tar, dest, replace=True)
    assert files_under(dest) == EXPECTED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest", "root", "root.tar"]


def make_tar(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def member(name: str, kind: bytes = tarfile.REGTYPE, **attrs: object) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in attrs.items():
        setattr(info, key, value)
    return info


def good_db() -> bytes:
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (x)")
    return con.serialize()


@pytest.mark.parametrize("bad", [
    (member("/etc/cron.d/evil"), b"x"),
    (member("../escape"), b"x"),
    (member("ponds/../../escape"), b"x"),
    (member("ponds\\..\\escape"), b"x"),
    (member("C:/evil"), b"x"),
    (member("link", tarfile.SYMTYPE, linkname="/etc/passwd"), None),
    (member("hard", tarfile.LNKTYPE, linkname="duck.db"), None),
    (member("fifo", tarfile.FIFOTYPE), None),
    (member("dev", tarfile.CHRTYPE), None),
    (member("duck.db"), b"duplicate"),
    (member("duck.db", tarfile.DIRTYPE), None),
    (member("duck.db/inside"), b"x"),
])
def test_unsafe_archives_are_refused_and_leave_nothing(
    tmp_path: Path, bad: tuple[tarfile.TarInfo, bytes | None]
) -> None:
    data = make_tar((member("duck.db"), good_db()), bad)
    dest = tmp_path / "dest"
    with pytest.raises(ArchiveError):
        extract_archive(io.BytesIO(data), dest)
    assert list(tmp_path.iterdir()) == []


def test_a_truncated_download_is_refused(root: Layout, tmp_path: Path) -> None:
    blob = b"".join(stream_archive(root))
    with pytest.raises(ArchiveError):
        extract_archive([blob[: len(blob) // 2]], tmp_path / "dest")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["root"]


def test_verification_needs_a_sound_duck_db(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match=r"no duck\.db"):
        extract_archive(io.BytesIO(make_tar((member("x"), b"1"))), tmp_path / "a")
    damaged = bytearray(good_db())
    damaged[100:4096] = b"\xff" * (4096 - 100)
    with pytest.raises(ArchiveError, match=r"duck\.db"):
        extract_archive(io.BytesIO(make_tar((member("duck.db"), bytes(damaged)))), tmp_path / "b")
    assert list(tmp_path.iterdir()) == []
