"""Deploy uploads are unpacked only when every entry is safe; refusals leave nothing behind."""

from __future__ import annotations

import io
import stat
import struct
import warnings
import zipfile
from pathlib import Path

import pytest

from duckstring.embedded import unpack
from duckstring.embedded.unpack import ArchiveTooLarge, UnsafeArchive, unpack_zip

LIMITS = {"max_bytes": 1 << 20, "max_files": 100}


def make_zip(*entries: tuple[str | zipfile.ZipInfo, bytes]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicates we want
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in entries:
                zf.writestr(name, data)
    return buf.getvalue()


def special(name: str, mode: int, data: bytes = b"") -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info, data


PROJECT = (("pond.toml", b'[pond]\nname = "p"\n'), ("src/pond.py", b"# ripples\n"),
           ("src/", b""), ("data/fixture.csv", b"a,b\n1,2\n"))


def test_a_safe_project_unpacks_into_a_fresh_directory(tmp_path: Path) -> None:
    out = unpack_zip(make_zip(*PROJECT), tmp_path, **LIMITS)
    assert out.parent == tmp_path
    assert (out / "pond.toml").read_bytes() == b'[pond]\nname = "p"\n'
    assert (out / "src" / "pond.py").read_text() == "# ripples\n"
    assert (out / "data" / "fixture.csv").is_file()
    second = unpack_zip(make_zip(*PROJECT), tmp_path, **LIMITS)
    assert second != out


def test_a_one_way_stream_is_accepted(tmp_path: Path) -> None:
    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
            return self.inner.readinto(b)

    out = unpack_zip(OneWay(make_zip(*PROJECT)), tmp_path, **LIMITS)  # type: ignore[arg-type]
    assert (out / "src" / "pond.py").is_file()


def lying_zip() -> bytes:
    """A 1 MiB file whose headers claim 10 bytes."""
    data = bytearray(make_zip(("big.txt", b"a" * (1 << 20))))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        data[at + offset: at + offset + 4] = struct.pack("<I", 10)
    return bytes(data)


def encrypted_zip() -> bytes:
    """An entry flagged as encrypted (zipfile cannot write one, so set the flag bit)."""
    data = bytearray(make_zip(("secret.txt", b"x")))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 0x1
    return bytes(data)


REFUSALS = {
    "absolute": make_zip(("/etc/cron.d/evil", b"x")),
    "dotdot": make_zip(("../evil.py", b"x")),
    "nested dotdot": make_zip(("src/../../evil.py", b"x")),
    "backslash": make_zip(("src\\..\\..\\evil.py", b"x")),
    "drive letter": make_zip(("C:/evil.py", b"x")),
    "drive relative": make_zip(("C:evil.py", b"x")),
    "symlink": make_zip(special("src/link", stat.S_IFLNK | 0o777, b"/etc/passwd")),
    "fifo": make_zip(special("src/fifo", stat.S_IFIFO | 0o644)),
    "device": make_zip(special("src/dev", stat.S_IFCHR | 0o644)),
    "duplicate": make_zip(("a.py", b"1"), ("a.py", b"2")),
    "duplicate after normalising": make_zip(("src/a.py", b"1"), ("./src//a.py", b"2")),
    "file and directory": make_zip(("src", b"1"), ("src/a.py", b"2")),
    "encrypted": encrypted_zip(),
    "not a zip": b"hello, I am a text file",
    "empty": b"",
    "truncated": make_zip(*PROJECT)[:60],
    "lying sizes": lying_zip(),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_unsafe_uploads_are_refused(tmp_path: Path, case: str) -> None:
    dest = tmp_path / "scratch"
    with pytest.raises(UnsafeArchive) as info:
        unpack_zip(REFUSALS[case], dest, **LIMITS)
    assert str(info.value)
    assert not dest.exists() or list(dest.iterdir()) == []


def test_too_many_files(tmp_path: Path) -> None:
    with pytest.raises(ArchiveTooLarge, match="entries"):
        unpack_zip(make_zip(*PROJECT), tmp_path, max_bytes=1 << 20, max_files=3)
    assert list(tmp_path.iterdir()) == []


def test_too_large_declared(tmp_path: Path) -> None:
    bomb = make_zip(("zeros.bin", b"\0" * (2 << 20)))
    assert len(bomb) < 10_000  # compresses to almost nothing
    with pytest.raises(ArchiveTooLarge, match="bytes"):
        unpack_zip(bomb, tmp_path, max_bytes=1 << 20, max_files=10)
    assert list(tmp_path.iterdir()) == []


def test_actual_bytes_are_counted_while_extracting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should the declared sizes ever pass the first check, the byte count still stops it."""
    monkeypatch.setattr(unpack, "_declared_size", lambda infos: 0)
    data = make_zip(("a.bin", b"\0" * 600), ("b.bin", b"\0" * 600))
    with pytest.raises(ArchiveTooLarge):
        unpack_zip(data, tmp_path, max_bytes=1000, max_files=10)
    assert list(tmp_path.iterdir()) == []
