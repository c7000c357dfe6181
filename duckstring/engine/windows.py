"""Windows (docs/concepts.md §8; Inlets only).

- A rule `(name, start_anchor, every, duration, on_days?, until?)` has occurrences starting at
  `start_anchor + k·every` (k ≥ 0), kept when their UTC weekday is in `on_days` and they start
  before `until`. An occurrence is open on `[start, start + duration)`; `duration` defaults to
  `every` and may not exceed it.
- While an occurrence is open the Inlet's `source_f` is its **end** and `d` its duration;
  between occurrences `source_f` is None.
- Rules on one Pond must not overlap; an overlapping add is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

from duckstring.engine.errors import WindowConflict, WindowError

DAY = 86_400_000
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_SCAN_LIMIT = 200_000  # occurrences examined by the overlap check


@dataclass(frozen=True)
class WindowRule:
    name: str
    start: int  # anchor, ms since the epoch
    every: int  # ms
    duration: int | None = None  # ms; None = every
    on_days: frozenset[int] | None = None  # 0 = Monday … 6 = Sunday (UTC)
    until: int | None = None

    @property
    def length(self) -> int:
        return self.every if self.duration is None else self.duration

    def validate(self) -> None:
        if not self.name:
            raise WindowError("a Window needs a name")
        if self.every <= 0:
            raise WindowError(f"Window {self.name!r}: every must be positive")
        if self.length <= 0:
            raise WindowError(f"Window {self.name!r}: duration must be positive")
        if self.length > self.every:
            raise WindowError(
                f"Window {self.name!r}: duration is longer than every, so occurrences overlap"
            )
        if self.on_days is not None and (not self.on_days or not self.on_days <= set(range(7))):
            raise WindowError(f"Window {self.name!r}: on_days must name weekdays 0-6")


def weekday(ms: int) -> int:
    """UTC weekday of a timestamp, Monday = 0 (1970-01-01 was a Thursday)."""
    return (ms // DAY + 3) % 7


def _kept(rule: WindowRule, start: int) -> bool:
    if rule.until is not None and start >= rule.until:
        return False
    return rule.on_days is None or weekday(start) in rule.on_days


def open_occurrence(rule: WindowRule, now: int) -> tuple[int, int] | None:
    """The occurrence of `rule` open at `now`, as `(start, end)`."""
    if now < rule.start:
        return None
    start = rule.start + (now - rule.start) // rule.every * rule.every
    if now < start + rule.length and _kept(rule, start):
        return start, start + rule.length
    return None


def next_opening(rule: WindowRule, now: int) -> int | None:
    """The start of the first kept occurrence after `now`, or None if there is none."""
    k = 0 if now < rule.start else (now - rule.start) // rule.every + 1
    for _ in range(1000):
        start = rule.start + k * rule.every
        if rule.until is not None and start >= rule.until:
            return None
        if _kept(rule, start):
            return start
        if rule.every < DAY:  # jump to the first occurrence of the next day
            next_day = (start // DAY + 1) * DAY
            k = max(k + 1, -(-(next_day - rule.start) // rule.every))
        else:
            k += 1
    return None


def active(rules: list[WindowRule], now: int) -> tuple[int, int] | None:
    """§8: the open occurrence with the earliest end, as `(end, duration)`."""
    best: tuple[int, int] | None = None
    for rule in rules:
        occ = open_occurrence(rule, now)
        if occ is not None and (best is None or occ[1] < best[0]):
            best = (occ[1], rule.length)
    return best


def next_change(rules: list[WindowRule], now: int) -> int | None:
    """The earliest time after `now` when some rule opens."""
    times = [t for rule in rules if (t := next_opening(rule, now)) is not None]
    return min(times) if times else None


def overlaps(a: WindowRule, b: WindowRule) -> bool:
    """Whether any kept occurrence of `a` intersects a kept occurrence of `b`."""
    if a.every < b.every:
        a, b = b, a  # walk the sparser rule, look the other up arithmetically
    period = a.every * b.every // gcd(a.every, b.every)
    if a.on_days is not None or b.on_days is not None:
        period = period * 7 * DAY // gcd(period, 7 * DAY)
    lo = max(a.start, b.start - a.every)
    hi = lo + period + 2 * a.every
    for limit in (a.until, b.until):
        if limit is not None:
            hi = min(hi, limit + a.every)
    k = max(0, (lo - a.start) // a.every)
    for _ in range(_SCAN_LIMIT):
        s = a.start + k * a.every
        if s >= hi or (a.until is not None and s >= a.until):
            return False
        k += 1
        if not _kept(a, s):
            continue
        e = s + a.length
        kb = max(0, (s - b.start - b.length) // b.every + 1)
        kb_last = (e - 1 - b.start) // b.every
        while kb <= kb_last:
            sb = b.start + kb * b.every
            if sb < e and sb + b.length > s and _kept(b, sb):
                return True
            kb += 1
    return False


def check_add(existing: list[WindowRule], rule: WindowRule) -> None:
    rule.validate()
    for other in existing:
        if other.name == rule.name:
            raise WindowConflict(f"a Window named {rule.name!r} already exists")
        if overlaps(other, rule):
            raise WindowConflict(f"Window {rule.name!r} overlaps Window {other.name!r}")
