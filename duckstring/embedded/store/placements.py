"""The `placements` table: where a Pond's Ducks run (`duckstring duck set`, docs/scale.md) — a
launcher overriding the Catchment's and the resources its Duck asks for. Like triggers it lives
in duck.db, not in pond.toml: the same code runs anywhere."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Placement:
    launcher: str | None = None  # None: the Catchment's launcher
    cpus: float | None = None
    memory_mb: int | None = None
    resources: dict[str, float] = field(default_factory=dict)

    def doc(self) -> dict[str, Any]:
        return {"launcher": self.launcher, "cpus": self.cpus, "memory_mb": self.memory_mb,
                "resources": dict(self.resources)}


def get(conn: sqlite3.Connection, pond: str) -> Placement:
    row = conn.execute("SELECT * FROM placements WHERE pond = ?", (pond,)).fetchone()
    if row is None:
        return Placement()
    return Placement(row["launcher"], row["cpus"], row["memory_mb"], json.loads(row["resources"]))


def put(conn: sqlite3.Connection, pond: str, placement: Placement, at: int) -> None:
    if placement == Placement():
        conn.execute("DELETE FROM placements WHERE pond = ?", (pond,))
        return
    conn.execute(
        "INSERT INTO placements (pond, launcher, cpus, memory_mb, resources, set_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (pond) DO UPDATE SET launcher = excluded.launcher, "
        "cpus = excluded.cpus, memory_mb = excluded.memory_mb, resources = excluded.resources, "
        "set_at = excluded.set_at",
        (pond, placement.launcher, placement.cpus, placement.memory_mb,
         json.dumps(placement.resources, sort_keys=True), at),
    )


def delete(conn: sqlite3.Connection, pond: str) -> None:
    conn.execute("DELETE FROM placements WHERE pond = ?", (pond,))
