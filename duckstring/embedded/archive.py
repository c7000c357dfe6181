"""The whole Catchment root as one tar stream, and its safe extraction (docs/operating.md §7).

What goes in, in a stable order:

- every regular file and directory of the root, never following links;
- SQLite databases (`duck.db`, each line's `pond.db`, any file with the SQLite header in the
  runtime-state areas) as consistent snapshots taken with the SQLite backup API — WAL content
  included — instead of the raw file and its `-wal`/`-shm`/`-journal`;
- DuckDB registries (and their `.wal`) byte for byte: download while the line is quiescent.

What stays out: the locks (`catchment.lock`, `duck.lock`), the root's `tmp/`, and scratch files
in runtime-state areas (hidden files, `*.tmp`, `*.partial`, `*~`). A deployed version's source
(`ponds/{name}/{version}/`) is copied whole, exactly as uploaded.

The stream is built as it is read, one chunk at a time: memory stays bounded by the chunk size.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sqlite3
import stat
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from duckstring.embedded.safepath import MAX_BYTES, MAX_DEPTH, UnsafePath, safe_parts
from duckstring.layout import Layout

CHUNK = 1 << 20
SQLITE_MAGIC = b"SQLite format 3\x00"
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
LOCKS = ("catchment.lock", "duck.lock")
LINE_DIR = re.compile(r"^m\d+$")


class ArchiveError(ValueError):
    """A downloaded archive that is unsafe, damaged or not a usable root."""


@dataclass(frozen=True)
class _Entry:
    arcname: str
    path: Path
    kind: str  # "dir" | "file" | "sqlite"


def usage(layout: Layout) -> dict[str, int]:
    """What a download would carry: `{"total_bytes", "file_count"}` (SQLite sized with WAL)."""
    total = count = 0
    for entry in _entries(layout):
        if entry.kind == "dir":
            continue
        try:
            size = entry.path.stat().st_size
        except FileNotFoundError:
            continue
        if entry.kind == "sqlite":
            wal = entry.path.with_name(entry.path.name + "-wal")
            size += wal.stat().st_size if wal.is_file() else 0
        total += size
        count += 1
    return {"total_bytes": total, "file_count": count}


def stream_archive(layout: Layout) -> Iterator[bytes]:
    """The root as an uncompressed tar, in chunks of about `CHUNK` bytes."""
    out = _Chunker()
    scratch: Path | None = None
    try:
        for entry in _entries(layout):
            if entry.kind == "dir":
                try:
                    st = entry.path.stat()
                except FileNotFoundError:
                    continue
                yield from out.add(_header(entry.arcname, tarfile.DIRTYPE, 0, st))
                continue
            source = entry.path
            if entry.kind == "sqlite":
                if scratch is None:
                    layout.tmp.mkdir(parents=True, exist_ok=True)
                    scratch = Path(tempfile.mkdtemp(prefix="archive-", dir=layout.tmp))
                source = scratch / "snapshot.db"
                if not _snapshot(entry.path, source):
                    continue
            try:
                fh = open(source, "rb")  # noqa: SIM115 (closed below, after streaming)
            except FileNotFoundError:
                continue  # removed since the walk
            with fh:
                st = os.fstat(fh.fileno())
                size = st.st_size
                yield from out.add(_header(entry.arcname, tarfile.REGTYPE, size, st))
                left = size
                while left:
                    data = fh.read(min(CHUNK, left)) or b"\0" * min(CHUNK, left)  # shrank
                    left -= len(data)
                    yield from out.add(data)
                yield from out.add(b"\0" * (-size % tarfile.BLOCKSIZE))
            if entry.kind == "sqlite":
                source.unlink(missing_ok=True)
        end = b"\0" * (2 * tarfile.BLOCKSIZE)
        yield from out.add(end + b"\0" * (-(out.written + len(end)) % tarfile.RECORDSIZE))
        yield from out.flush()
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


class _Chunker:
    def __init__(self) -> None:
        self.buf = bytearray()
        self.written = 0

    def add(self, data: bytes) -> Iterator[bytes]:
        self.buf += data
        self.written += len(data)
        while len(self.buf) >= CHUNK:
            yield bytes(self.buf[:CHUNK])
            del self.buf[:CHUNK]

    def flush(self) -> Iterator[bytes]:
        if self.buf:
            yield bytes(self.buf)
            self.buf.clear()


def _header(arcname: str, kind: bytes, size: int, st: os.stat_result) -> bytes:
    info = tarfile.TarInfo(arcname)
    info.type = kind
    info.size = size
    info.mtime = int(st.st_mtime)
    info.mode = stat.S_IMODE(st.st_mode)
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def _snapshot(path: Path, dest: Path) -> bool:
    """Copy a live SQLite database (WAL included) consistently; False when it is gone."""
    dest.unlink(missing_ok=True)
    try:
        # mode=rw: never create a missing file; a read-only open would leave -wal/-shm behind.
        src = sqlite3.connect(f"{path.absolute().as_uri()}?mode=rw", uri=True, timeout=30)
    except sqlite3.OperationalError:
        if not path.exists():
            return False
        raise
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return True


def _entries(layout: Layout) -> Iterator[_Entry]:
    yield from _walk(layout, layout.root, PurePosixPath(), state=True)


def _walk(layout: Layout, directory: Path, rel: PurePosixPath, *, state: bool) -> Iterator[_Entry]:
    try:
        names = sorted(os.listdir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return
    snapshots = {n for n in names if state and _is_sqlite(directory / n)}
    for name in names:
        path = directory / name
        arc = rel / name
        if _skipped(layout, path, name, snapshots, state=state):
            continue
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(mode):
            yield _Entry(arc.as_posix(), path, "dir")
            # Below ponds/{name}/ only m{major}/ holds runtime state; version dirs are sources.
            child_state = state and not (len(arc.parts) == 3 and arc.parts[0] == "ponds"
                                         and not LINE_DIR.match(name))
            yield from _walk(layout, path, arc, state=child_state)
        elif stat.S_ISREG(mode):
            yield _Entry(arc.as_posix(), path, "sqlite" if name in snapshots else "file")


def _skipped(layout: Layout, path: Path, name: str, snapshots: set[str], *, state: bool) -> bool:
    if path == layout.tmp or path == layout.lock:
        return True
    if not state:
        return False
    if name in LOCKS:
        return True
    if any(name == db + suffix for db in snapshots for suffix in SQLITE_COMPANIONS):
        return True
    return _is_scratch(name)


def _is_scratch(name: str) -> bool:
    return (
        name.startswith(".")
        or name.endswith(("~", ".partial", ".tmp"))
        or ".tmp." in name
        or ".tmp-" in name
    )


def _is_sqlite(path: Path) -> bool:
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return False
        with open(path, "rb") as fh:
            return fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


# --- receiving end (`duckstring catchment download`) ---------------------------------------


def extract_archive(
    source: str | Path | BinaryIO | Iterable[bytes], dest: str | Path, *, replace: bool = False
) -> dict[str, int]:
    """Extract a root archive into `dest` safely and verify it; `{"files", "bytes"}`.

    The archive goes into a sibling staging directory first and is renamed into place only
    once complete and verified, so a failed download leaves `dest` as it was. `dest` must be
    absent or empty unless `replace` is set.
    """
    dest = Path(dest).absolute()
    if dest.exists() and not replace and not (dest.is_dir() and not any(dest.iterdir())):
        raise ArchiveError(f"{dest} already exists and is not empty; choose another path")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        with _open_source(source) as fh:
            counts = _extract(fh, staging)
        verify_root(staging)
        _move_into_place(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return counts


def verify_root(root: str | Path) -> None:
    """A usable root: `duck.db` (and every line's `pond.db`) opens and passes integrity_check."""
    root = Path(root)
    db = root / "duck.db"
    if not db.is_file():
        raise ArchiveError(f"{root} has no duck.db; this is not a Catchment root")
    for path in [db, *sorted(root.glob("ponds/*/m*/pond.db"))]:
        try:
            con = sqlite3.connect(f"{path.absolute().as_uri()}?mode=rw", uri=True)
            try:
                result = con.execute("PRAGMA integrity_check").fetchall()
            finally:
                con.close()
        except sqlite3.DatabaseError as e:
            raise ArchiveError(f"{path.relative_to(root)} is not a usable database: {e}") from None
        if result != [("ok",)]:
            problem = result[0][0] if result else "no answer"
            raise ArchiveError(f"{path.relative_to(root)} failed its integrity check: {problem}")


def _extract(fh: BinaryIO, dest: Path) -> dict[str, int]:
    files = total = 0
    try:
        with tarfile.open(fileobj=fh, mode="r|*") as tar:
            for member in tar:
                parts = _safe_parts(member.name)
                target = dest.joinpath(*parts)
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                if not member.isreg():
                    raise ArchiveError(f"{member.name}: links and special files are not allowed")
                target.parent.mkdir(parents=True, exist_ok=True)
                reader = tar.extractfile(member)
                assert reader is not None  # a regular file always has a reader
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                try:
                    fd = os.open(target, flags, 0o600)
                except FileExistsError:
                    raise ArchiveError(f"{member.name}: appears twice in the archive") from None
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(reader, out, CHUNK)
                os.utime(target, (member.mtime, member.mtime))
                files += 1
                total += member.size
    except tarfile.TarError as e:
        raise ArchiveError(f"the archive is damaged or incomplete: {e}") from None
    except (NotADirectoryError, FileExistsError) as e:
        raise ArchiveError(f"the archive has a file and a directory at one path: {e}") from None
    except OSError as e:  # what this filesystem will not take, or no room left
        raise ArchiveError(f"cannot write {e.filename or dest}: {e.strerror}") from None
    return {"files": files, "bytes": total}


def _safe_parts(name: str) -> tuple[str, ...]:
    try:  # a root holds each project two levels down (ponds/NAME/VERSION/), with its state
        return safe_parts(name, max_bytes=2 * MAX_BYTES, max_depth=2 * MAX_DEPTH)
    except UnsafePath as e:
        raise ArchiveError(f"unsafe path in the archive: {e}") from None


def _move_into_place(staging: Path, dest: Path) -> None:
    if not dest.exists():
        staging.rename(dest)
        return
    if dest.is_dir() and not any(dest.iterdir()):
        dest.rmdir()
        staging.rename(dest)
        return
    old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
    dest.rename(old)
    staging.rename(dest)
    shutil.rmtree(old, ignore_errors=True)


class _IterReader(io.RawIOBase):
    """A read-only file over an iterable of byte chunks (an HTTP response body)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _open_source(source: str | Path | BinaryIO | Iterable[bytes]) -> BinaryIO:
    if isinstance(source, (str, Path)):
        return open(source, "rb")
    if hasattr(source, "read"):
        return _Borrowed(source)  # type: ignore[arg-type]
    return io.BufferedReader(_IterReader(source), CHUNK)  # type: ignore[arg-type]


class _Borrowed(io.RawIOBase):
    """The caller's stream, read through but not closed by us."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._fh.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
