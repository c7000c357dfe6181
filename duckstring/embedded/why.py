"""`GET /api/ponds/{name}/why` (docs/http-api.md): a Pond's state and the chain of reasons.

The engine says why (`engine.explain`, each reason naming its rule of docs/concepts.md); this
adds what only the run history knows — since when a Source runs, when a root cause failed and
with what error — and the command that fixes a blocked Pond. A Source the Pond waits on that
is itself waiting is explained in turn (`upstream`), so the chain reaches the root.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from duckstring.embedded.status_document import when
from duckstring.embedded.store import runs
from duckstring.engine import split_line
from duckstring.engine.explain import Explanation, Reason, explain
from duckstring.engine.status import status
from duckstring.times import clock_time, format_duration, iso

if TYPE_CHECKING:
    import sqlite3

    from duckstring.embedded.app import Catchment
    from duckstring.engine import Engine


def build(c: Catchment, line: str) -> dict[str, Any]:
    co = c.coordinator
    with co.lock:
        now = co.clock()
        chain = _chain(co.engine, line)
        running = {src: [r.name for r in p.graph if r.running]
                   for ex in chain.values() for r in ex.reasons if r.kind in ("waits", "running")
                   for src in (r.lines or (ex.line,))
                   if (p := co.engine.ponds.get(src)) is not None and status(p) == "running"}
        errors = {root: co.engine.ponds[root].error for ex in chain.values()
                  for r in ex.reasons if r.kind == "blocked"
                  for root in r.lines if root in co.engine.ponds}
        majors = {split_line(x) for x in co.engine.ponds}
    with c.store.transaction() as conn:
        history = _History(conn)
        docs = {x: _explanation_doc(ex, now, history, running, errors, majors)
                for x, ex in chain.items()}
    for doc in docs.values():  # link each waiting Source's own explanation
        for r in doc["reasons"]:
            src = r.get("pond")
            if r["kind"] == "waits" and src in docs and docs[src]["status"] == "queued":
                r["upstream"] = docs[src]
    return {"now": iso(now), **docs[line]}


def _chain(eng: Engine, line: str) -> dict[str, Explanation]:
    """`line`'s explanation and those of the queued Sources it waits on, transitively."""
    out: dict[str, Explanation] = {}
    todo = [line]
    while todo:
        x = todo.pop()
        if x in out:
            continue
        out[x] = ex = explain(eng, x)
        todo.extend(s for r in ex.reasons if r.kind == "waits" for s in r.lines
                    if s in eng.ponds and status(eng.ponds[s]) == "queued")
    return out


class _History:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def running_since(self, line: str) -> int | None:
        run = runs.newest(self.conn, line, ("running",))
        return None if run is None else int(run["started_at"])

    def ripple_since(self, line: str) -> dict[str, int]:
        return runs.running_attempts(self.conn, line)

    def failed_at(self, line: str) -> int | None:
        run = runs.newest(self.conn, line, ("failed", "killed"))
        return None if run is None or run["finished_at"] is None else int(run["finished_at"])


def _explanation_doc(ex: Explanation, now: int, history: _History,
                     running: dict[str, list[str]], errors: dict[str, str | None],
                     majors: set[tuple[str, int]]) -> dict[str, Any]:
    reasons = [_reason_doc(ex.line, r, now, history, running, errors, majors)
               for r in ex.reasons]
    return {"pond": ex.line, "status": ex.status, "reasons": reasons,
            "text": f"{ex.status}: " + "; ".join(r["text"] for r in reasons)
            if reasons else ex.status}


def _reason_doc(line: str, r: Reason, now: int, history: _History,
                running: dict[str, list[str]], errors: dict[str, str | None],
                majors: set[tuple[str, int]]) -> dict[str, Any]:
    text = r.render(str, lambda ms: clock_time(ms, now))
    doc: dict[str, Any] = {"kind": r.kind, "rule": r.rule, "ponds": list(r.lines),
                           "at": when(r.at)}
    if r.lines:
        doc["pond"] = r.lines[0]
    if r.kind in ("waits", "running"):
        src = r.lines[0] if r.lines else line
        since = history.running_since(src) if src in running else None
        if since is not None:
            ripples = running.get(src, [])
            elapsed = max(0, now - since)
            doc.update(since=iso(since), elapsed_s=elapsed / 1000, ripples=ripples,
                       ripples_since={k: iso(v) for k, v in history.ripple_since(src).items()})
            what = ", ".join(ripples) if r.kind == "waits" else ""  # `running` names them
            text += (f" since {clock_time(since, now)} ("
                     + (f"{what}, " if what else "") + f"{format_duration(elapsed)} so far)")
    elif r.kind == "failed":
        doc["failed_at"] = when(history.failed_at(line))
    elif r.kind == "blocked" and r.lines:
        root = r.lines[0]
        name, major = split_line(root)
        if (name, major) not in majors:  # a Source not deployed (or removed): deploy it
            fix = f"duckstring pond deploy PATH/TO/{name}"
            doc.update(failed_at=None, error=None, fix=fix)
            text += f" — deploy a version {major}.x of {name}: `{fix}`"
        else:
            failed = history.failed_at(root)
            others = any(n == name and m != major for n, m in majors)
            fix = f"duckstring control clear {name}" + (f" --major {major}" if others else "")
            doc.update(failed_at=when(failed), error=errors.get(root), fix=fix)
            if failed is not None:
                at = clock_time(failed, now)
                text = text.replace(root + " failed", f"{root} failed at {at}", 1).replace(
                    root + " was killed", f"{root} was killed at {at}", 1)
            text += f" — `{fix}` or deploy a fix"
    doc["text"] = text
    return doc
