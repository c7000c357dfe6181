"""Why: the engine's own rules, said in words. Pure, like the rest of the engine.

Two views, both worded here so every caller (the simulator's timeline, a `why` command, the
UI) says the same thing:

- `Note`: something that just happened and the rule that made it happen — a Pond blocked by
  a failed Source, unblocked by its recovery, the demand it held sent upstream again, how far
  a Tap's pull or a Pulse's target travelled and where it stopped, why a run started and
  whether it executed or passed. The engine records notes only when asked (`Engine.notes`).
- `explain(eng, line)`: the state a Pond is in now and the chain of reasons — failed,
  blocked by which root cause, running, waiting for which Source or Window, idle without
  demand, its next run will pass.

Texts name other lines as `{0}`, `{1}`, … (`lines`), so each caller prints names its own way
(`sales@1`, or `sales` in a one-major simulation); a time the engine knows (a target, a Window's
next opening, when a trigger was removed) is the reason's `at`, shown as `{at}` the caller's
way (an ISO time, an offset into a simulation). What only the history knows (since when a
Source runs, when a root cause failed) the caller adds from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from duckstring.engine import sources, windows
from duckstring.engine.freshness import NEVER
from duckstring.engine.pond import Pond, TideTrigger, WaveTrigger
from duckstring.engine.status import blocked_by, status

if TYPE_CHECKING:
    from collections.abc import Callable

    from duckstring.engine.engine import Engine
    from duckstring.engine.events import Pulse, Tap


def literal(text: str) -> str:
    """`text` (an error message, a name) safe inside a note's template."""
    return text.replace("{", "{{").replace("}", "}}")


class _Worded:
    __slots__ = ()
    text: str  # a template over `lines`
    lines: tuple[str, ...]

    def render(self, name: Callable[[str], str] = str,
               when: Callable[[int], str] = str) -> str:
        at = getattr(self, "at", None)
        return self.text.format(*(name(x) for x in self.lines),
                                at="" if at is None else when(at))


@dataclass(frozen=True, slots=True)
class Note(_Worded):
    """Something that happened to `line`: `kind` is one of blocked, recovered, unblocked,
    resent, reached, stopped (where a trigger's demand went, `cause` names the trigger), run,
    pass."""

    line: str
    kind: str
    text: str  # a template over `lines`
    rule: str  # the section or rule of docs/concepts.md it comes from
    lines: tuple[str, ...] = ()
    cause: Tap | Pulse | None = None


@dataclass(frozen=True, slots=True)
class Reason(_Worded):
    """One step in the explanation of a Pond's state: `kind` is one of failed, retry,
    recover, killed, blocked, holds, running, waits, window, clock, idle, standing, pass."""

    kind: str
    text: str
    rule: str
    lines: tuple[str, ...] = ()
    at: int | None = None  # a time (ms) the text shows as `{at}`


@dataclass(frozen=True, slots=True)
class Explanation:
    line: str
    status: str
    reasons: tuple[Reason, ...]

    def render(self, name: Callable[[str], str] = str,
               when: Callable[[int], str] = str) -> str:
        return f"{self.status}: " + "; ".join(r.render(name, when) for r in self.reasons)


def root_cause(eng: Engine, root: str) -> str:
    """What is wrong with a line at the root of a blocked state, as a template over `{0}`."""
    node = eng.ponds.get(root)
    if node is None:
        return "{0} is not deployed"
    if node.is_killed:
        return "{0} was killed"
    return "{0} failed" + (f" ({literal(node.error)})" if node.error else "")


def blocked_note(eng: Engine, p: Pond) -> Note:
    """`p` became blocked by a failed, killed or missing line upstream (its own failure is
    told by its run)."""
    roots = tuple(blocked_by(eng, p))
    causes = ", ".join(root_cause(eng, r).replace("{0}", "{" + str(i) + "}")
                       for i, r in enumerate(roots))
    return Note(p.line, "blocked", f"blocked: {causes}; it takes no new demand and keeps what "
                "it holds", "§9", roots)


def unblocked_note(p: Pond, origin: Pond, why: str) -> Note:
    if p is origin:
        return Note(p.line, "recovered", f"recovered ({why})", "§9")
    return Note(p.line, "unblocked", f"unblocked: {{0}} recovered ({why})", "§9", (origin.line,))


def run_note(p: Pond, demand: str, execute_reason: str | None, changed: list[str]) -> Note:
    """Why run `p` began (P4's demand) and why it executes or passes (§6)."""
    if execute_reason is None:
        return Note(p.line, "pass", f"{demand}; no Source changed since its last run", "§6")
    return Note(p.line, "run", f"{demand}; {execute_reason}", "P4, §6", tuple(changed))


def execute_reason(p: Pond, changed: list[str], idle: bool) -> str | None:
    """§6: why the next run of `p` executes (a template over `changed`), or None: it passes."""
    if p.forcing:
        return "forced"
    if p.is_inlet:
        return "Inlet"
    if p.runs_started == 0:
        return "first run"
    if changed:
        return ", ".join("{" + str(i) + "}" for i in range(len(changed))) + " changed"
    if p.code_changed:
        return "new code"
    if p.graph.always_run:
        return "an always_run Ripple"
    if not idle:
        return "a run is still in flight"
    return None


def demand_kind(p: Pond, sf: int) -> str:
    """P4: which demand lets `p` start at `sf`."""
    if p.is_failed:
        return "retry on change"
    if p.forcing:
        return "force"
    if p.targets and sf >= p.targets.min():
        return "push target"
    if p.wake and not p.has_pull:
        return "wake"
    return "pull"


def explain(eng: Engine, line: str) -> Explanation:
    """The state of `line` now and why, from the rules that put it there."""
    p = eng.pond(line)
    out: list[Reason] = []
    if p.is_failed:
        out.append(Reason("failed", literal(p.error) if p.error else "its run failed", "§9"))
        if p.failures <= p.source_retries:
            out.append(Reason("retry", "retries when its Sources have fresher output "
                              "(source_retries)", "§9"))
        out.append(Reason("recover", "runs again after a deploy of a fix, wake, force, or clear "
                          "then demand", "§9, §10"))
    elif p.is_killed:
        out.append(Reason("killed", "stopped until clear, wake, force or a deploy", "§10"))
    elif p.is_blocked:
        for root in blocked_by(eng, p):
            out.append(Reason("blocked", root_cause(eng, root), "§9", (root,)))
    if p.busy:
        running = [r.name for r in p.graph if r.running]
        what = f"Ripples {', '.join(running)} running" if running else "a run in flight"
        out.append(Reason("running", literal(what), "P5"))
    held = _held(p)
    if held:
        kept = ", kept until it unblocks" if p.is_blocked else ""
        real = [t for t in p.targets if t != NEVER]
        out.append(Reason("holds", "holds " + " and ".join(held) + kept, "§3, §9",
                          at=min(real) if real else None))
        if not (p.is_failed or p.is_killed or p.is_blocked) and not p.busy:
            out.extend(_waits(eng, p))
    elif not p.busy and not (p.is_failed or p.is_killed or p.is_blocked):
        out.append(_idle(p))
    if not (p.is_failed or p.is_killed or p.busy) and p.end_f != NEVER and _will_pass(eng, p):
        out.append(Reason("pass", "its next run will pass: no Source changed since its last run",
                          "§6"))
    return Explanation(line, status(p), tuple(out))


def _held(p: Pond) -> list[str]:
    held = []
    real = [t for t in p.targets if t != NEVER]
    if real:  # a Pulse's (a Tide pulses too), its own or one a Sink sent upstream (P3)
        held.append("a push target {at}" if len(real) == 1
                    else f"{len(real)} push targets, the oldest {{at}}")
    if p.has_pull:
        held.append("pull")
    if p.wake:
        held.append("a wake (one local run)")
    if p.forcing:
        held.append("a force")
    return held


def _waits(eng: Engine, p: Pond) -> list[Reason]:
    """P4: what a Pond holding demand waits for."""
    if p.is_inlet:
        if p.windows and windows.active(p.windows, eng.now) is None:
            nxt = min(
                ((t, w.name) for w in p.windows
                 if (t := windows.next_opening(w, eng.now)) is not None),
                default=None,
            )
            if nxt is None:
                return [Reason("window", "waits for a Window, but none opens again", "§8")]
            return [Reason("window", "waits for Window " + literal(nxt[1]) + " to open at {at}",
                           "§8", at=nxt[0])]
        return [Reason("clock", "waits for the clock to reach its target", "P4")]
    required = [s.line for s in p.sources if s.required] or [s.line for s in p.sources]
    real = [t for t in p.targets if t != NEVER]
    need = min(real) if real else None
    behind = []
    for src_line in required:
        src = eng.ponds.get(src_line)
        if src is None:
            continue
        if src.end_f < need if need is not None else src.end_f <= p.start_f:
            behind.append(src_line)
    return [
        Reason("waits", "waits for Source {0}, " + _doing(eng.ponds[s]), "P4", (s,))
        for s in behind
    ]


def _doing(src: Pond) -> str:
    st = status(src)
    if st == "running":
        return "running"
    if st == "queued":
        return "itself waiting"
    return st


def _idle(p: Pond) -> Reason:
    if isinstance(p.trigger, WaveTrigger):
        return Reason("standing", "its Wave waits for fresher Source output", "§7")
    if isinstance(p.trigger, TideTrigger):
        return Reason("standing", "its Tide pulses when staleness reaches the bound", "§7")
    if p.trigger_removed is not None:
        kind, at = p.trigger_removed
        return Reason("idle", f"no demand: no pull, no push target; its {kind.title()} was "
                      "removed at {at}", "§3, §7", at=at)
    return Reason("idle", "no demand: no pull, no push target, no standing trigger", "§3")


def _will_pass(eng: Engine, p: Pond) -> bool:
    changed = sources.changed(eng, p, p.start_f)
    return execute_reason(p, changed, p.idle) is None
