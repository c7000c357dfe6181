"""Alert rules and the alerts a change of status calls for — pure: no I/O, no clock.

1. A rule listens for kinds (`failed`, `blocked`, `killed`, `stale`, `recovered`) on every
   Pond or on named ones (`sales` = every major, `sales@1` = one line).
2. One alert per root cause. A root cause is a failed or killed line, or a line that is
   missing (a required Source not deployed). Its members are the lines it blocks. A rule
   sends, for each root cause, one alert: `failed`/`killed` when it listens for that kind and
   covers the root (naming every Sink it blocks), else `blocked` when it listens for that and
   covers a member (naming those members and the cause). Blocked Sinks never alert on their
   own.
3. A root cause alerts when it appears, and again when it reappears after having gone (a
   cleared Pond failing again). It is `recovered` once its root is healthy again: present, not
   failed, killed or blocked, and either idle (nothing asked of it: a fix was deployed) or
   having completed a run since it alerted — a cleared Pond still retrying is not recovered
   yet. A missing root recovers once deployed and no longer blocking; a removed root is
   forgotten.
4. `stale` fires when a covered line's staleness passes the rule's bound — once, until it is
   `recovered` (back within the bound). A line inside a root cause this rule has alerted on
   does not also alert stale (same root cause).
5. `renotify`: an alert still standing after this long is sent again (`repeat`).
6. What was sent is the rule's memory (JSON, kept with the rule): `evaluate(rule, memory,
   views, now)` returns the alerts and the next memory, so a restart neither repeats nor
   forgets an alert.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from duckstring.lines import pond_name

if TYPE_CHECKING:
    from duckstring.engine import Engine

KINDS = ("failed", "blocked", "killed", "stale", "recovered")
CAUSES = ("failed", "killed")
UNHEALTHY = ("failed", "killed", "blocked")
MISSING = "missing"
TEST = "test"

Memory = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Rule:
    name: str
    on: frozenset[str]
    target: str
    ponds: tuple[str, ...] = ()  # () = every Pond
    stale_ms: int | None = None
    renotify_ms: int | None = None

    def covers(self, line: str) -> bool:
        return not self.ponds or line in self.ponds or pond_name(line) in self.ponds


def make_rule(name: str, target: str, *, on: Iterable[str] | None = None,
              ponds: Iterable[str] = (), stale_ms: int | None = None,
              renotify_ms: int | None = None) -> Rule:
    """A valid rule, or ValueError saying what to change. Without `on`: every kind (`stale`
    only with a bound)."""
    kinds = {k.strip().lower() for k in on if k.strip()} if on is not None else (
        set(KINDS) - ({"stale"} if stale_ms is None else set()))
    unknown = sorted(kinds - set(KINDS))
    if unknown:
        raise ValueError(f"--on {','.join(unknown)}: not a kind; use {','.join(KINDS)}")
    if not kinds:
        raise ValueError(f"--on needs at least one of {','.join(KINDS)}")
    if "stale" in kinds and stale_ms is None:
        raise ValueError("--on stale needs a bound: add --stale 2h")
    if stale_ms is not None and "stale" not in kinds:
        raise ValueError("--stale is only used with stale in --on")
    for value, flag in ((stale_ms, "--stale"), (renotify_ms, "--renotify")):
        if value is not None and value <= 0:
            raise ValueError(f"{flag} must be a positive duration")
    return Rule(name, frozenset(kinds), target, tuple(sorted(set(ponds))), stale_ms,
                renotify_ms)


@dataclass(frozen=True)
class LineView:
    """What the rules read of a line."""

    line: str
    status: str  # engine.status: failed | killed | blocked | running | queued | idle
    blocked_by: tuple[str, ...] = ()
    staleness_ms: int | None = None
    completed: int = 0  # runs completed so far
    error: str | None = None


def views(eng: Engine, now: int) -> dict[str, LineView]:
    """Every line's view, read from the engine (hold the coordinator's lock)."""
    from duckstring.engine import status as derive

    return {
        line: LineView(line, derive.status(p),
                       tuple(derive.blocked_by(eng, p)) if p.is_blocked else (),
                       derive.staleness(p, now), p.runs_completed, p.error)
        for line, p in eng.ponds.items()
    }


@dataclass(frozen=True)
class Alert:
    rule: str
    kind: str  # a KINDS member, or "test"
    pond: str  # the root cause's line, or the stale line
    at: int
    blocks: tuple[str, ...] = ()  # the lines the root cause blocks (named in the alert)
    cause: str | None = None  # what the root is: failed | killed | missing
    error: str | None = None
    staleness_ms: int | None = None
    bound_ms: int | None = None
    repeat: bool = False


@dataclass
class _Cause:
    root: str
    kind: str  # failed | killed | missing
    members: set[str] = field(default_factory=set)


def _causes(lines: Mapping[str, LineView]) -> dict[str, _Cause]:
    found = {v.line: _Cause(v.line, v.status) for v in lines.values() if v.status in CAUSES}
    for v in lines.values():
        if v.status == "blocked":
            for root in v.blocked_by:
                kind = lines[root].status if root in lines else MISSING
                found.setdefault(root, _Cause(root, kind)).members.add(v.line)
    return found


def _due(rule: Rule, note: dict[str, Any], now: int) -> bool:
    return rule.renotify_ms is not None and now - int(note["sent_at"]) >= rule.renotify_ms


def evaluate(rule: Rule, memory: Memory, lines: Mapping[str, LineView],
             now: int) -> tuple[list[Alert], Memory]:
    """The alerts `rule` sends now, and its next memory (rules 1-6)."""
    out: list[Alert] = []
    memory = {k: dict(v) for k, v in memory.items()}
    causes = _causes(lines)
    covered: set[str] = set()

    for root, c in sorted(causes.items()):
        key = f"cause:{root}"
        note = memory.get(key)
        kind = None
        blocks = tuple(sorted(c.members))
        if c.kind in CAUSES and c.kind in rule.on and rule.covers(root):
            kind = c.kind
        elif "blocked" in rule.on and any(rule.covers(m) for m in c.members):
            kind, blocks = "blocked", tuple(m for m in blocks if rule.covers(m))
        if kind is None:
            continue
        view = lines.get(root)
        alert = Alert(rule.name, kind, root, now, blocks, c.kind,
                      view.error if view else None)
        if note is None or not note["active"]:
            out.append(alert)
            memory[key] = {"kind": kind, "sent_at": now, "active": True,
                           "completed": view.completed if view else None}
        elif _due(rule, note, now):
            out.append(replace(alert, repeat=True))
            note["sent_at"] = now
        covered |= {root, *c.members}

    for key, note in sorted(memory.items()):
        root = key.removeprefix("cause:")
        if not key.startswith("cause:") or root in causes:
            continue
        view = lines.get(root)
        if view is None:
            del memory[key]  # removed: nothing left to recover
        elif view.status == "idle" or (view.status not in UNHEALTHY and (
                note["completed"] is None or view.completed > note["completed"])):
            if "recovered" in rule.on:
                out.append(Alert(rule.name, "recovered", root, now, cause=note["kind"]))
            del memory[key]
        else:
            note["active"] = False

    if rule.stale_ms is not None:
        for line, view in sorted(lines.items()):
            key = f"stale:{line}"
            note = memory.get(key)
            over = view.staleness_ms is not None and view.staleness_ms > rule.stale_ms
            if (note is None and not over) or not rule.covers(line) or (over and line in covered):
                continue
            if over and (note is None or _due(rule, note, now)):
                out.append(Alert(rule.name, "stale", line, now, staleness_ms=view.staleness_ms,
                                 bound_ms=rule.stale_ms, repeat=note is not None))
                memory[key] = {"kind": "stale", "sent_at": now}
            elif not over and note is not None:
                if "recovered" in rule.on:
                    out.append(Alert(rule.name, "recovered", line, now, cause="stale",
                                     staleness_ms=view.staleness_ms, bound_ms=rule.stale_ms))
                del memory[key]
    for key in [k for k in memory if k.startswith("stale:")]:
        if key.removeprefix("stale:") not in lines:
            del memory[key]
    return out, memory


# -- how an alert reads --------------------------------------------------------------------
def _seconds(ms: int | None) -> str:
    if ms is None:
        return "never"
    from duckstring.times import format_duration

    return format_duration(ms if ms < 1000 else round(ms / 1000) * 1000)


def summary(a: Alert) -> str:
    """One line for people (Slack text, e-mail subject and first line)."""
    again = " (still)" if a.repeat else ""
    if a.kind == TEST:
        return f"test alert from rule {a.rule}: delivery works"
    if a.kind in CAUSES:
        text = f"{a.pond} {a.kind}{again}"
        if a.error:
            text += f": {a.error}"
        if a.blocks:
            text += f" — blocks {', '.join(a.blocks)}"
        return text
    if a.kind == "blocked":
        why = "is not deployed" if a.cause == MISSING else f"{a.cause}"
        text = f"{', '.join(a.blocks)} blocked{again} by {a.pond} ({why})"
        return text + (f": {a.error}" if a.error else "")
    if a.kind == "stale":
        return (f"{a.pond} is stale{again}: {_seconds(a.staleness_ms)} old, "
                f"bound {_seconds(a.bound_ms)}")
    if a.cause == "stale":
        return f"{a.pond} recovered: fresh again ({_seconds(a.staleness_ms)} old)"
    return f"{a.pond} recovered (was {a.cause})"


def document(a: Alert, catchment: Mapping[str, str], at_iso: str) -> dict[str, Any]:
    """The JSON an alert is delivered as (webhook body; the e-mail's details)."""
    return {
        "alert": a.rule, "kind": a.kind, "pond": a.pond, "at": at_iso, "repeat": a.repeat,
        "blocks": list(a.blocks), "cause": a.cause, "error": a.error,
        "staleness_s": None if a.staleness_ms is None else a.staleness_ms / 1000,
        "bound_s": None if a.bound_ms is None else a.bound_ms / 1000,
        "summary": summary(a), "catchment": dict(catchment),
    }
