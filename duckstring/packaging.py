"""Packaging a Pond project for `duckstring pond deploy` (docs/cli.md).

The zip holds the project's own files, paths relative to the project, in sorted order with fixed
timestamps and permissions: the same tree always packs to the same bytes. Left out: version
control, virtualenvs, caches, local Puddles and a local Catchment root. Links are never followed —
one could lead out of the project — they are skipped and reported through `on_skip`.

`digest` names the content of those same files: two trees with the same digest deploy the same
code, so a Catchment can tell a replaced version that changed from one that did not.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", "__pycache__", ".pytest_cache", ".mypy_cache",
    ".ruff_cache", ".ipynb_checkpoints", "node_modules", ".duckstring", ".tox", ".nox",
})
SKIP_TOP_DIRS = frozenset({"puddles", "env"})  # Puddle output; `python -m venv env`
SKIP_SUFFIXES = (".pyc", ".pyo")
SKIP_FILES = frozenset({".DS_Store"})
EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold


def pack_project(
    project_dir: Path, *, on_skip: Callable[[str, str], None] | None = None
) -> bytes:
    """Zip the project at `project_dir`; `on_skip(relative_path, reason)` hears about links."""
    root = Path(project_dir)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a directory")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for rel, path, mode in _files(root, on_skip):
            info = zipfile.ZipInfo(rel, date_time=EPOCH)
            info.create_system = 3  # unix, so the permission bits below are read back
            info.external_attr = (stat.S_IFREG | (0o755 if mode & 0o111 else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as src, zf.open(info, "w") as dst:
                while chunk := src.read(1 << 16):
                    dst.write(chunk)
    return buf.getvalue()


def digest(project_dir: Path) -> str:
    """`sha256:…` over every file `pack_project` would pack: its path, whether it is
    executable, and its bytes."""
    h = hashlib.sha256()
    for rel, path, mode in _files(Path(project_dir), None):
        h.update(f"{rel}\0{int(bool(mode & 0o111))}\0{path.stat().st_size}\0".encode())
        with open(path, "rb") as src:
            while chunk := src.read(1 << 16):
                h.update(chunk)
    return "sha256:" + h.hexdigest()


def _files(
    root: Path, on_skip: Callable[[str, str], None] | None
) -> Iterator[tuple[str, Path, int]]:
    """(posix path relative to root, path, mode) of every file to pack, in sorted order."""
    stack = [(root, "")]
    while stack:
        directory, prefix = stack.pop()
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
        subdirs = []
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_symlink():
                if on_skip:
                    on_skip(rel, "a link (links are not packaged)")
                continue
            if entry.is_dir(follow_symlinks=False):
                if not _skip_dir(entry, top=not prefix):
                    subdirs.append((Path(entry.path), rel + "/"))
            elif entry.is_file(follow_symlinks=False):
                if entry.name not in SKIP_FILES and not entry.name.endswith(SKIP_SUFFIXES):
                    yield rel, Path(entry.path), entry.stat(follow_symlinks=False).st_mode
            elif on_skip:
                on_skip(rel, "not a regular file")
        stack.extend(reversed(subdirs))  # depth-first, still in sorted order


def _skip_dir(entry: os.DirEntry[str], *, top: bool) -> bool:
    if entry.name in SKIP_DIRS or (top and entry.name in SKIP_TOP_DIRS):
        return True
    return os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))  # any virtualenv
