"""Durations and instants as users write them, and as we print them.

Durations are compound (`1h30m`, `250ms`, `1.5s`, `1d`); `single_unit` accepts exactly one
unit (`10s`, `12h`, `1w`), as Window `EVERY` does. Instants are ISO-8601 (a bare date or a
time without zone is UTC) or `HH:MM` on a given day. Everything is integer milliseconds since
the Unix epoch, UTC.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

UNITS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
DAY = UNITS["d"]
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_duration(text: str) -> int:
    """`1h30m` → 5_400_000. Raises ValueError naming the accepted forms."""
    s = str(text).strip().lower().replace(" ", "")
    pos, total = 0, 0.0
    for m in _PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * UNITS[m.group(2)]
        pos = m.end()
    if not s or pos != len(s):
        raise ValueError(
            f"{text!r} is not a duration; use forms like 250ms, 30s, 90m, 1h30m, 1d, 1w"
        )
    return round(total)


def parse_single_unit(text: str) -> int:
    """Like `parse_duration` but with one unit only (`10s`, `12h`, `1d`, `1w`)."""
    s = str(text).strip().lower()
    m = _PART.fullmatch(s)
    if not m:
        raise ValueError(f"{text!r} is not a single-unit duration; use e.g. 10s, 12h, 1d, 1w")
    return round(float(m.group(1)) * UNITS[m.group(2)])


def parse_instant(text: str, day: int | None = None) -> int:
    """ISO-8601, or `HH:MM` (UTC) on the day containing `day` (ms) when given."""
    s = str(text).strip()
    hm = _HHMM.match(s)
    if hm:
        if day is None:
            raise ValueError(f"{text!r} needs a date; use ISO-8601 like 2026-01-05T02:00:00Z")
        return day // DAY * DAY + int(hm.group(1)) * 3_600_000 + int(hm.group(2)) * 60_000
    try:
        dt = datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time; use ISO-8601 like 2026-01-05T02:00:00Z or HH:MM"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return round(dt.timestamp() * 1000)


def iso(ms: int) -> str:
    """`2026-01-05T02:00:00.000Z`: fixed width, so ISO strings also sort by time."""
    dt = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def clock_time(ms: int, now: int) -> str:
    """`12:00:03 UTC` on the same day as `now`, else `2026-01-05 12:00 UTC`."""
    stamp = iso(ms)
    if stamp[:10] == iso(now)[:10]:
        return stamp[11:19] + " UTC"
    return f"{stamp[:10]} {stamp[11:16]} UTC"


def format_duration(ms: int) -> str:
    """5_400_000 → `1h30m`; 1500 → `1.5s`; 250 → `250ms`."""
    if ms < 0:
        return "-" + format_duration(-ms)
    if ms < 1000:
        return f"{ms}ms"
    parts = []
    for unit in ("d", "h", "m"):
        n, ms = divmod(ms, UNITS[unit])
        if n:
            parts.append(f"{n}{unit}")
    if ms:
        parts.append(f"{ms / 1000:g}s")
    return "".join(parts)


def format_offset(ms: int) -> str:
    """A signed offset with millisecond precision: `+3.000s`, `+1m05.000s`, `+1d02h00m00.000s`."""
    sign = "-" if ms < 0 else "+"
    ms = abs(ms)
    d, ms = divmod(ms, DAY)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s = f"{ms / 1000:06.3f}s"
    if d:
        return f"{sign}{d}d{h:02d}h{m:02d}m{s}"
    if h:
        return f"{sign}{h}h{m:02d}m{s}"
    if m:
        return f"{sign}{m}m{s}"
    return f"{sign}{ms / 1000:.3f}s"
