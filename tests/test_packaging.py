"""`pond deploy` packs the project's own files, the same way every time."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from duckstring.embedded.unpack import unpack_zip
from duckstring.packaging import pack_project

KEPT = {
    "pond.toml": "[pond]\n",
    "README.md": "# sales\n",
    ".gitignore": "puddles/\n",
    "src/pond.py": "# ripples\n",
    "src/puddles.py": "# puddles\n",
    "src/helpers/__init__.py": "",
    "src/env/settings.py": "# a package that happens to be called env\n",
    "fixtures/products.parquet": "PAR1",
}
SKIPPED = {
    ".git/HEAD": "ref: refs/heads/main\n",
    ".venv/pyvenv.cfg": "home = /usr\n",
    "venv/lib/site.py": "",
    "env/bin/python": "",
    "tools/myenv/pyvenv.cfg": "",
    "tools/myenv/lib/x.py": "",
    "src/__pycache__/pond.cpython-311.pyc": "",
    "src/stale.pyc": "",
    ".pytest_cache/v/cache": "",
    ".mypy_cache/x": "",
    ".ruff_cache/x": "",
    "notebooks/.ipynb_checkpoints/a.ipynb": "",
    "web/node_modules/x.js": "",
    "puddles/ponds/transactions/data/transaction.parquet": "",
    ".duckstring/duck.db": "",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "sales"
    for rel, text in {**KEPT, **SKIPPED}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "src" / "pond.py").chmod(0o755)
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the project")
    (root / "src" / "escape.txt").symlink_to(secret)
    (root / "linked_dir").symlink_to(tmp_path)
    return root


def test_round_trip_keeps_only_project_files(project: Path, tmp_path: Path) -> None:
    skipped: list[tuple[str, str]] = []
    data = pack_project(project, on_skip=lambda rel, why: skipped.append((rel, why)))
    out = unpack_zip(data, tmp_path / "unpacked", max_bytes=1 << 20, max_files=100)
    found = {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*") if p.is_file()}
    assert found == KEPT
    assert sorted(rel for rel, _ in skipped) == ["linked_dir", "src/escape.txt"]
    assert all("link" in why for _, why in skipped)


def test_packing_is_deterministic(project: Path) -> None:
    first = pack_project(project)
    os.utime(project / "src" / "pond.py", (0, 0))
    assert pack_project(project) == first
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        names = zf.namelist()
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zf.infolist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
    assert names == [
        ".gitignore", "README.md", "pond.toml", "fixtures/products.parquet",
        "src/pond.py", "src/puddles.py", "src/env/settings.py", "src/helpers/__init__.py",
    ]
    assert modes["src/pond.py"] & 0o777 == 0o755
    assert modes["pond.toml"] & 0o777 == 0o644


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        pack_project(tmp_path / "missing")
