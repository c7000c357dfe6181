"""Live views (docs/cli.md): follow the status document with the `?since=V&wait=S` long-poll and
redraw on every change.

- On a terminal: a rich table of the Ponds (state colours, freshness age, staleness, trigger,
  run counts) that updates in place; ages keep ticking between changes.
- Off a terminal: one plain line per Pond whose state changed, no colour.

A one-shot (tap, pulse, wake, force) follows its target's lineage until the target settles:

- pulse: settled when the target is idle with `end_f ≥` the Pulse's target freshness;
- tap, wake, force: settled when the target is idle and has completed a run since the request;
- failed: the target is failed, killed or blocked and nothing in its lineage is still running
  (a retry may yet rescue it while something runs) — then the failing Ripple's error and
  traceback are fetched from the run history and reported, exit 1;
- waiting: nothing in the lineage runs and nothing changes for a few seconds (a Wake whose
  Sources have nothing newer, a Pulse waiting on a closed Window) — the view ends saying what
  the demand waits for (it stays in place), exit 1.

Polls, and so redraws, are at most ten a second however fast the graph changes.

Standing triggers and `status` follow until Ctrl+C; closing the view never cancels anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from duckstring import known
from duckstring.api_error import ApiError
from duckstring.cli_errors import FAILED, CliError
from duckstring.lines import pond_name, split_line
from duckstring.terminal import console
from duckstring.terminal.views import StatusTable, progress_lines, short_age

if TYPE_CHECKING:
    from rich.console import RenderableType

    from duckstring.session import Session

WAIT_S = 20.0  # long-poll hold; the server answers sooner when anything changes
QUIET_S = 3.0  # a one-shot whose lineage stays this still has nothing left to watch
REDRAW_S = 0.1  # at most ten polls (and redraws) a second, however fast the graph changes
BROKEN = ("failed", "killed", "blocked")
INTERRUPTED = 130


@dataclass(frozen=True)
class Outcome:
    ok: bool
    summary: str
    waiting: bool = False  # nothing runs: the demand stays, waiting for its Sources or a Window


class Pace:
    """Spaces polls at least `REDRAW_S` apart: a fast Wave changes the status many times a
    second, and redrawing each change would keep a core busy. A busy server's `retry_s` (it
    answered without waiting) spaces them further."""

    def __init__(self) -> None:
        self.last = 0.0

    def wait(self, retry_s: object = None) -> None:
        hint = float(retry_s) if isinstance(retry_s, (int, float)) else 0.0
        left = self.last + max(REDRAW_S, min(hint, 10.0)) - time.monotonic()
        if left > 0:
            time.sleep(left)
        self.last = time.monotonic()


def find(doc: dict[str, Any], line: str) -> dict[str, Any] | None:
    return next((p for p in doc.get("ponds", []) if p["id"] == line), None)


def in_flight(p: dict[str, Any]) -> bool:
    """Work under way: a run in flight or a Ripple running. (A failed Pond keeps the halted
    run's `start_f` above `end_f`, so that alone does not count.)"""
    return p["status"] == "running" or any(r.get("running") for r in p.get("ripples", []))


@dataclass(frozen=True)
class Goal:
    """When a one-shot on `line` has settled."""

    line: str
    verb: str
    target_f: str | None = None  # pulse: the freshness to reach
    runs_before: int = 0  # tap / wake / force: runs_completed before the request

    def describe(self) -> str:
        if self.target_f is not None:
            return f"{self.verb} {self.line} → fresh as of {self.target_f}"
        return f"{self.verb} {self.line}"

    def check(self, doc: dict[str, Any]) -> Outcome | None:
        p = find(doc, self.line)
        if p is None:
            return Outcome(False, f"{self.line} is no longer deployed")
        if p["status"] == "idle":
            if self.target_f is not None and p.get("end_f") and p["end_f"] >= self.target_f:
                return Outcome(True, f"{self.line} is fresh as of {p['end_f']}")
            if self.target_f is None and int(p.get("runs_completed", 0)) > self.runs_before:
                return Outcome(True, f"{self.line} ran; fresh as of {p.get('end_f') or 'never'}")
        quiet = not any(in_flight(q) for q in doc.get("ponds", []))
        if p["status"] in BROKEN and quiet:
            return Outcome(False, f"{self.line} is {p['status']}")
        if p["status"] == "idle" and quiet and not any(
            q["status"] == "queued" for q in doc.get("ponds", [])
        ):
            return Outcome(False, f"{self.line} settled without running")
        return None

    def stalled(self, doc: dict[str, Any]) -> Outcome:
        """Nothing runs and nothing changed for a while: the demand waits."""
        p = find(doc, self.line) or {}
        windows = any(q.get("windows") for q in doc.get("ponds", []))
        on = "newer data from its Sources" + (" or a Window to open" if windows else "")
        if not p.get("sources"):
            on = "its Window to open" if p.get("windows") else "the clock"
        return Outcome(False, f"nothing is running and {self.line} waits for {on}; the "
                              f"{self.verb} stays in place and runs it then", waiting=True)


class Screen:
    """What a terminal shows: a heading with the elapsed time, the table, a footer."""

    def __init__(self, heading: str, footer: str) -> None:
        self.heading = heading
        self.footer = footer
        self.started = time.monotonic()
        self.table: StatusTable | None = None
        self.state = ""

    def __rich__(self) -> RenderableType:
        from rich.console import Group
        from rich.text import Text

        head = Text(self.heading, style="bold")
        head.append(f"  · watching for {short_age((time.monotonic() - self.started) * 1000)}",
                    style="dim")
        if self.state:
            head.append(f"  {self.state}")
        parts: list[Any] = [head]
        if self.table is not None:
            parts.append(self.table)
        parts.append(Text(self.footer, style="dim"))
        return Group(*parts)


def poll(session: Session, params: dict[str, Any], since: int | None,
         wait: float = WAIT_S) -> dict[str, Any]:
    """The next status document: at once without `since`, else after the next change (or
    the wait). A local Catchment that went away is started again (or waited for)."""
    query = dict(params)
    if since is not None:
        query.update(since=since, wait=wait)
    for attempt in range(3):
        try:
            doc = session.client.status(timeout=wait + 30, **query)
            known.remember(session.reg.name, [p["id"] for p in doc.get("ponds", [])],
                           complete=not params.get("pond"))
            return doc
        except ApiError as e:
            if not e.unreachable or not session.reg.local or attempt == 2:
                raise
            session.revive()
    raise AssertionError("unreachable")


def follow(session: Session, *, heading: str, pond: str | None = None, major: int | None = None,
           goal: Goal | None = None, keep_open: bool = False, quiet: bool = False,
           footer: str = "Ctrl+C closes the view") -> Outcome | None:
    """Follow the status of `pond`'s lineage (or every line) until `goal` settles (or Ctrl+C
    when there is no goal, or with `keep_open`). Returns the outcome, None when interrupted
    first."""
    params = {"pond": pond, "major": major}
    doc = poll(session, params, None)
    outcome = goal.check(doc) if goal else None
    if quiet:
        return _wait_quietly(session, params, doc, goal, outcome)
    out = console.out()
    if out.is_terminal:
        return _live(session, params, doc, goal, outcome, heading, footer, keep_open)
    out.print(heading, markup=False, soft_wrap=True)
    seen: dict[str, tuple[Any, ...]] = {}
    started = time.monotonic()
    pace = Pace()
    try:
        while True:
            for line in progress_lines(seen, doc, started):
                out.print(line, markup=False, soft_wrap=True)
            if outcome is not None and not keep_open:
                return outcome
            doc, outcome = _next(session, params, doc, goal, outcome, pace)
    except KeyboardInterrupt:
        return outcome


def _next(session: Session, params: dict[str, Any], doc: dict[str, Any], goal: Goal | None,
          outcome: Outcome | None, pace: Pace) -> tuple[dict[str, Any], Outcome | None]:
    """The next document and the goal's outcome. A one-shot whose lineage has nothing in
    flight is given `QUIET_S` to change; if nothing does, it has nothing left to watch."""
    pace.wait(doc.get("retry_s"))
    pending = goal is not None and outcome is None
    quiet = pending and not any(in_flight(q) for q in doc.get("ponds", []))
    new = poll(session, params, doc["version"], wait=QUIET_S if quiet else WAIT_S)
    if new.get("unchanged"):  # the server was too busy to hold the poll, and nothing changed
        new = {**doc, "retry_s": new.get("retry_s")}
    if goal is not None and pending:
        outcome = goal.check(new)
        waited = not new.get("retry_s")  # else the server was too busy to hold the poll
        if outcome is None and quiet and waited and new["version"] == doc["version"]:
            outcome = goal.stalled(new)
    return new, outcome


def _wait_quietly(session: Session, params: dict[str, Any], doc: dict[str, Any],
                  goal: Goal | None, outcome: Outcome | None) -> Outcome | None:
    pace = Pace()
    try:
        while goal is not None and outcome is None:
            doc, outcome = _next(session, params, doc, goal, outcome, pace)
    except KeyboardInterrupt:
        return None
    return outcome


def _live(session: Session, params: dict[str, Any], doc: dict[str, Any], goal: Goal | None,
          outcome: Outcome | None, heading: str, footer: str,
          keep_open: bool) -> Outcome | None:
    from rich.live import Live

    screen = Screen(heading, footer)
    screen.table = StatusTable(doc)
    pace = Pace()
    with Live(screen, console=console.out(), refresh_per_second=4, transient=False) as live:
        try:
            while True:
                if outcome is not None:
                    screen.state = ("[done]" if outcome.ok else
                                    "[waiting]" if outcome.waiting else "[failed]")
                    if not keep_open:
                        break
                doc, outcome = _next(session, params, doc, goal, outcome, pace)
                screen.table = StatusTable(doc)
                live.refresh()
        except KeyboardInterrupt:
            pass
        live.refresh()
    return outcome


def failure(session: Session, line: str, outcome: Outcome) -> CliError:
    """Why a one-shot did not succeed: the failing Pond's error and its Ripple traceback."""
    name, major = split_line(line)
    doc = poll(session, {"pond": name, "major": major}, None)
    p = find(doc, line) or {}
    missing = list(p.get("missing_sources") or [])
    culprits = [line] if p.get("is_failed") or p.get("is_killed") else [
        b for b in p.get("blocked_by") or [] if b not in missing and find(doc, b) is not None]
    details: list[str] = []
    reasons: list[str] = []
    for culprit in culprits:
        reason, lines = _why(session, culprit, find(doc, culprit))
        reasons.append(reason)
        details.extend(lines)
    if missing:
        reasons.append("missing Source " + ", ".join(missing) + " (not deployed)")
    message = f"{outcome.summary}: " + "; ".join(reasons) if reasons else outcome.summary
    if culprits:
        first = pond_name(culprits[0])
        hint = (f"`duckstring runs {first} --failed` shows the history; after a fix, "
                f"`duckstring pond deploy` or `duckstring control wake {first}` runs it again")
    else:
        hint = (f"deploy {', '.join(missing)} first: run `duckstring pond deploy` in each one's "
                "project directory (or pass it: `duckstring pond deploy DIR`)")
    return CliError(message, FAILED, details, hint=hint)


def _why(session: Session, line: str, p: dict[str, Any] | None) -> tuple[str, list[str]]:
    name, major = split_line(line)
    if p is not None and p.get("is_killed"):
        return f"{line} was killed", []
    try:
        runs = session.client.runs(pond=name, major=major, ripples=True, limit=20)
    except ApiError:
        runs = {"runs": []}
    run = next((r for r in runs["runs"] if r["status"] in ("failed", "killed")), None)
    if run is None:
        err = (p or {}).get("error")
        return f"{line} failed" + (f": {err}" if err else ""), []
    attempts = [a for a in run.get("ripples") or [] if a["status"] == "failed"]
    if attempts:
        a = attempts[-1]
        reason = f"{line} failed in Ripple {a['ripple']} (attempt {a['attempt']}): {a.get('error')}"
        tb = a.get("traceback") or run.get("traceback")
    else:
        reason = f"{line} {run['status']}: {run.get('error') or 'no error recorded'}"
        tb = run.get("traceback")
    return reason, (str(tb).rstrip().splitlines() if tb else [])
