"""Source freshness of a Pond (docs/concepts.md §2.1) and the window delay `d` it inherits (§2, P5.4).

```
Inlet, no windows:      source_f = now, d = 0
Inlet, with windows:    the open occurrence with the earliest end: source_f = its end,
                        d = its duration; none open: source_f = None (cannot start)
any required Source:    source_f = min(end_f of the required Sources); one absent: None
only optional Sources:  source_f = max(end_f of the present Sources); none present: None
```

§6 asks whether a Source changed since the Pond last ran (`max(changed_f) > prior_f`). An
optional Source's freshness is not on the Pond's scale (a slow one lags behind it), so its
change counts when it is newer than the `end_f` the Pond read from it at its previous start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from duckstring.engine import windows
from duckstring.engine.freshness import NEVER

if TYPE_CHECKING:
    from duckstring.engine.engine import Engine
    from duckstring.engine.pond import Pond


def source_f(eng: Engine, p: Pond) -> int | None:
    if p.is_inlet:
        if not p.windows:
            return eng.now
        occ = windows.active(p.windows, eng.now)
        return None if occ is None else occ[0]
    required = [s.line for s in p.sources if s.required]
    if required:
        ends = []
        for line in required:
            src = eng.ponds.get(line)
            if src is None:
                return None
            ends.append(src.end_f)
        return min(ends)
    present = [src.end_f for s in p.sources if (src := eng.ponds.get(s.line)) is not None]
    return max(present) if present else None


def source_d(eng: Engine, p: Pond, f: int) -> int:
    """P5.4: an Inlet takes its window's duration (0 without); any other Pond the largest `d`
    among Sources whose `end_f == f`, keeping its previous `d` when none matches."""
    if p.is_inlet:
        occ = windows.active(p.windows, eng.now) if p.windows else None
        return 0 if occ is None else occ[1]
    ds = [
        src.d for s in p.sources if (src := eng.ponds.get(s.line)) is not None and src.end_f == f
    ]
    return max(ds) if ds else p.d


def changed(eng: Engine, p: Pond, prior_f: int) -> list[str]:
    """§6: the Sources whose output changed since `p` last ran at `prior_f`; an optional one
    also when it changed past the `end_f` `p` read from it at its previous start."""
    out = []
    for s in p.sources:
        src = eng.ponds.get(s.line)
        if src is None:
            continue
        if src.changed_f > prior_f or (
            not s.required and src.changed_f > p.optional_read.get(s.line, NEVER)
        ):
            out.append(s.line)
    return out


def record_reads(eng: Engine, p: Pond) -> None:
    """At a start: remember the `end_f` `p` reads from each optional Source (see `changed`)."""
    for s in p.sources:
        src = eng.ponds.get(s.line)
        if not s.required and src is not None:
            p.optional_read[s.line] = src.end_f
