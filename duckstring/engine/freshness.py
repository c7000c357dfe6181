"""Freshness values and target sets (docs/concepts.md §2, §3).

- A freshness `F` is integer milliseconds since the Unix epoch, UTC.
- `NEVER` sorts below every real timestamp: a node that never ran has
  `start_f == end_f == NEVER`.
- Targets are the set of unsatisfied push freshnesses a node holds. They stack: every
  outstanding request is kept until a start at or past it drops it.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Iterable, Iterator
from typing import Final

NEVER: Final[int] = -(1 << 62)


class Targets:
    """A sorted set of target freshnesses."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[int] = ()) -> None:
        self._items: list[int] = sorted(set(items))

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[int]:
        return iter(self._items)

    def __contains__(self, t: object) -> bool:
        return t in self._items

    def __repr__(self) -> str:
        return f"Targets({self._items!r})"

    def add(self, t: int) -> bool:
        """Add `t`; False when it was already held."""
        if t in self._items:
            return False
        insort(self._items, t)
        return True

    def min(self) -> int:
        return self._items[0]

    def max(self) -> int:
        return self._items[-1]

    def drop_upto(self, f: int) -> None:
        """Drop every target `<= f` (a start at `f` satisfies them)."""
        del self._items[: bisect_right(self._items, f)]

    def clear(self) -> None:
        self._items.clear()

    def as_list(self) -> list[int]:
        return list(self._items)
