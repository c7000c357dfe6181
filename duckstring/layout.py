"""Where things live in a Catchment root (docs/operating.md §4). Every path stored in a database is
relative to the root, so a root can be copied or moved and still start unchanged.

```
{root}/
├── duck.db                       Catchment, SQLite (WAL): the system of record
├── catchment.url                 where Ducks dial the current Catchment
├── data.url                      where published tables live, when not under ponds/ (optional)
└── ponds/{name}/
    ├── {version}/                each deployed version's source, exactly as uploaded
    └── m{major}/                 runtime state of one major line
        ├── registry.duckdb       Duck: the line's live working database
        ├── data/{table}/         Duck: published Delta tables, one version per run
        ├── data/_duckstring_runs/  Duck: the run manifests (which versions make each run)
        ├── pond.db               Duck: the run ledger (SQLite)
        ├── duck.lock             held by the line's live Duck (one per line)
        └── duck.log              the Duck's stderr
```

Beside the root, never in it: `{root}.secrets-key`, the key the root's secrets are encrypted
with (embedded/access/secrets.py), so neither a download nor a copy of the root carries it.
"""

from __future__ import annotations

from pathlib import Path

SECRETS_KEY_SUFFIX = ".secrets-key"


class Layout:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).absolute()

    @property
    def db(self) -> Path:
        return self.root / "duck.db"

    @property
    def lock(self) -> Path:
        return self.root / "catchment.lock"

    @property
    def catchment_url(self) -> Path:
        """The address the root's current Catchment tells its Ducks to dial. A Duck that
        outlived its Catchment reads it to find the next one, whatever port that listens on."""
        return self.root / "catchment.url"

    @property
    def data_url(self) -> Path:
        """`catchment init --data-url`: the object store (or file:/// URL) holding every line's
        tables instead of `data/` (duckstring/lake/where.py)."""
        return self.root / "data.url"

    @property
    def secrets_key(self) -> Path:
        return self.root.with_name(self.root.name + SECRETS_KEY_SUFFIX)

    @property
    def ponds(self) -> Path:
        return self.root / "ponds"

    @property
    def tmp(self) -> Path:
        """Scratch space on the root's filesystem, so finished work can be renamed into place."""
        return self.root / "tmp"

    def pond(self, name: str) -> Path:
        return self.ponds / name

    def version_dir(self, name: str, version: str) -> Path:
        return self.ponds / name / version

    def line_dir(self, name: str, major: int) -> Path:
        return self.ponds / name / f"m{major}"

    def registry(self, name: str, major: int) -> Path:
        return self.line_dir(name, major) / "registry.duckdb"

    def data_dir(self, name: str, major: int) -> Path:
        return self.line_dir(name, major) / "data"

    def table_file(self, name: str, major: int, table: str) -> Path:
        """Where a root made before Delta tables kept `table` (migrated on start)."""
        return self.data_dir(name, major) / f"{table}.parquet"

    def ledger(self, name: str, major: int) -> Path:
        return self.line_dir(name, major) / "pond.db"

    def duck_lock(self, name: str, major: int) -> Path:
        return self.line_dir(name, major) / "duck.lock"

    def duck_log(self, name: str, major: int) -> Path:
        return self.line_dir(name, major) / "duck.log"

    def relative(self, path: Path) -> str:
        return path.absolute().relative_to(self.root).as_posix()
