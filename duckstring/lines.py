"""A Pond line's id, `name@major` (docs/concepts.md §11): built and parsed here and nowhere else.
Kept apart from the engine so the CLI can use it without importing the engine."""

from __future__ import annotations


def line_id(name: str, major: int | str) -> str:
    return f"{name}@{major}"


def split_line(line: str) -> tuple[str, int]:
    name, _, major = line.rpartition("@")
    return name, int(major)


def pond_name(line: str) -> str:
    """The Pond's name of a line id (a bare name is its own)."""
    return line.rpartition("@")[0] or line
