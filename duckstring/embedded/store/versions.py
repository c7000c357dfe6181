"""Deployed versions (immutable, one row each) and the selection per line `(name, major)`;
keeping them apart is what makes a deploy atomic and majors concurrent (docs/operating.md §4)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class VersionRow:
    name: str
    version: str
    major: int
    kind: str
    manifest: str
    ripples: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    path: str
    deployed_at: int
    digest: str = ""  # of the deployed files (packaging.digest): same version, new code?


def _row(r: sqlite3.Row) -> VersionRow:
    return VersionRow(
        r["name"], r["version"], r["major"], r["kind"], r["manifest"],
        json.loads(r["ripples"]), json.loads(r["sources"]), r["path"], r["deployed_at"],
        r["digest"],
    )


def put(conn: sqlite3.Connection, v: VersionRow) -> None:
    """Insert a version, or replace the one of the same name and version."""
    conn.execute(
        "INSERT OR REPLACE INTO versions "
        "(name, version, major, kind, manifest, ripples, sources, path, deployed_at, digest) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (v.name, v.version, v.major, v.kind, v.manifest, json.dumps(v.ripples),
         json.dumps(v.sources), v.path, v.deployed_at, v.digest),
    )


def get(conn: sqlite3.Connection, name: str, version: str) -> VersionRow | None:
    r = conn.execute(
        "SELECT * FROM versions WHERE name = ? AND version = ?", (name, version)
    ).fetchone()
    return None if r is None else _row(r)


def of_pond(conn: sqlite3.Connection, name: str) -> list[VersionRow]:
    return [_row(r) for r in conn.execute(
        "SELECT * FROM versions WHERE name = ? ORDER BY major, deployed_at", (name,)
    )]


def select(conn: sqlite3.Connection, name: str, major: int, version: str, at: int) -> None:
    conn.execute(
        "INSERT INTO lines (name, major, version, selected_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (name, major) DO UPDATE SET version = excluded.version, "
        "selected_at = excluded.selected_at",
        (name, major, version, at),
    )


def selected(conn: sqlite3.Connection, name: str, major: int) -> VersionRow | None:
    r = conn.execute(
        "SELECT v.* FROM lines l JOIN versions v ON v.name = l.name AND v.version = l.version "
        "WHERE l.name = ? AND l.major = ?", (name, major)
    ).fetchone()
    return None if r is None else _row(r)


def lines(conn: sqlite3.Connection) -> list[VersionRow]:
    """The selected version of every live line, by name then major."""
    return [_row(r) for r in conn.execute(
        "SELECT v.* FROM lines l JOIN versions v ON v.name = l.name AND v.version = l.version "
        "ORDER BY l.name, l.major"
    )]


def unselect(conn: sqlite3.Connection, name: str, major: int) -> None:
    """Take the line out of service (`pond remove`); its versions stay deployable."""
    conn.execute("DELETE FROM lines WHERE name = ? AND major = ?", (name, major))


def delete_major(conn: sqlite3.Connection, name: str, major: int) -> list[VersionRow]:
    """Forget every version of one major (`pond remove --wipe`); returns what was there."""
    gone = [v for v in of_pond(conn, name) if v.major == major]
    conn.execute("DELETE FROM versions WHERE name = ? AND major = ?", (name, major))
    return gone
