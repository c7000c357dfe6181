"""Unpacking a deploy upload (the project zip of `duckstring pond deploy`) without trusting it.

Refused: a file that is not a zip; entry names that `safepath.safe_parts` refuses (absolute,
`..`, backslashes, drive letters, NUL, names too long or too deep); links and other special files; encrypted entries; duplicate names (also
after normalisation, and a file that is also a directory); more than `max_files` entries; more
than `max_bytes` uncompressed — checked on the declared sizes first and again on the bytes
actually written, because a zip bomb's header lies.

Everything is extracted into a fresh directory under `dest`; it is returned only when complete,
and removed on any refusal, so the caller can rename a finished tree into place.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from duckstring.embedded.safepath import UnsafePath, safe_parts, shown

CHUNK = 1 << 16


class UnsafeArchive(ValueError):
    """An upload that is not a safe zip of a project (→ 422)."""


class ArchiveTooLarge(UnsafeArchive):
    """An upload over the file-count or size limit (→ 413)."""


def unpack_zip(
    data: bytes | BinaryIO, dest: Path, *, max_bytes: int, max_files: int
) -> Path:
    """Extract the zip `data` into a new directory inside `dest` and return that directory."""
    fh: BinaryIO = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    with contextlib.ExitStack() as stack:
        source = _seekable(fh, stack)
        try:
            archive = stack.enter_context(zipfile.ZipFile(source))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
            raise UnsafeArchive("the upload is not a zip archive") from None
        plan = _plan(archive, max_bytes=max_bytes, max_files=max_files)
        dest.mkdir(parents=True, exist_ok=True)
        out = Path(tempfile.mkdtemp(prefix=".unpack-", dir=dest))
        try:
            _extract(archive, plan, out, max_bytes)
        except BaseException:
            shutil.rmtree(out, ignore_errors=True)
            raise
    return out


def _seekable(fh: BinaryIO, stack: contextlib.ExitStack) -> BinaryIO:
    """zipfile needs to seek; spool a one-way stream (a request body) first."""
    with contextlib.suppress(AttributeError, OSError):
        if fh.seekable():
            return fh
    spool = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=16 << 20))  # noqa: SIM115
    shutil.copyfileobj(fh, spool, CHUNK)
    spool.seek(0)
    return spool  # type: ignore[return-value]


def _plan(
    archive: zipfile.ZipFile, *, max_bytes: int, max_files: int
) -> list[tuple[zipfile.ZipInfo, tuple[str, ...], bool]]:
    """Check every entry before writing anything: each with its safe path parts and kind."""
    infos = archive.infolist()
    if len(infos) > max_files:
        raise ArchiveTooLarge(f"the upload has {len(infos)} entries; the limit is {max_files}")
    declared = _declared_size(infos)
    if declared > max_bytes:
        raise ArchiveTooLarge(
            f"the upload unpacks to {declared} bytes; the limit is {max_bytes}"
        )
    seen: dict[tuple[str, ...], bool] = {}  # parts → is a directory
    plan = []
    for info in infos:
        try:
            parts = safe_parts(info.filename)
        except UnsafePath as e:
            raise UnsafeArchive(str(e)) from None
        is_dir = info.is_dir()
        mode = info.external_attr >> 16
        if info.create_system == 3 and mode:  # unix attributes are meaningful only then
            kind = stat.S_IFMT(mode)
            if stat.S_ISLNK(mode):
                raise UnsafeArchive(f"{shown(info.filename)}: links are not allowed in an upload")
            if kind and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise UnsafeArchive(f"{shown(info.filename)}: special files are not allowed")
            is_dir = is_dir or stat.S_ISDIR(mode)
        if info.flag_bits & 0x1:
            raise UnsafeArchive(f"{shown(info.filename)}: encrypted entries are not supported")
        key = parts
        if key in seen:
            raise UnsafeArchive(f"{shown(info.filename)}: appears twice in the upload")
        for i in range(1, len(key)):
            if seen.get(key[:i]) is False:
                raise UnsafeArchive(f"{shown(info.filename)}: {'/'.join(parts[:i])} is a file")
        seen[key] = is_dir
        plan.append((info, parts, is_dir))
    dirs = {k for k, d in seen.items() if d} | {k[:i] for k in seen for i in range(1, len(k))}
    for key, is_dir in seen.items():
        if not is_dir and key in dirs:
            raise UnsafeArchive(f"{'/'.join(key)!r} is both a file and a directory")
    return plan


def _declared_size(infos: list[zipfile.ZipInfo]) -> int:
    return sum(i.file_size for i in infos)


def _extract(
    archive: zipfile.ZipFile, plan: list[tuple[zipfile.ZipInfo, tuple[str, ...], bool]],
    out: Path, max_bytes: int,
) -> None:
    written = 0
    for info, parts, is_dir in plan:
        target = out.joinpath(*parts)
        if is_dir:
            try:
                target.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise UnsafeArchive(f"{shown(info.filename)}: cannot be written here: "
                                    f"{e.strerror}") from None
            continue
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, flags, 0o644)
        except FileExistsError:  # names that differ only in case, on a case-blind filesystem
            raise UnsafeArchive(f"{shown(info.filename)}: appears twice in the upload") from None
        except OSError as e:  # what this filesystem will not take (a name, a length)
            raise UnsafeArchive(f"{shown(info.filename)}: cannot be written here: "
                                f"{e.strerror}") from None
        with os.fdopen(fd, "wb") as dst, _reading(info), archive.open(info) as src:
            while chunk := src.read(CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise ArchiveTooLarge(f"the upload unpacks to more than {max_bytes} bytes")
                dst.write(chunk)


@contextmanager
def _reading(info: zipfile.ZipInfo) -> Iterator[None]:
    """Damaged or unsupported entry data is the upload's problem, not the server's."""
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as e:
        raise UnsafeArchive(f"{shown(info.filename)}: cannot be read ({e})") from None
