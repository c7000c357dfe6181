"""Live views (cli.md): follow the status document with the `?since=V&wait=S` long-poll and
redraw on every change.

- On a terminal: a rich table of the Ponds (state colours, freshness age, staleness, trigger,
  run counts) that updates in place; ages keep ticking between changes.
- Off a terminal: one plain line per Pond whose state changed, no colour.

A one-shot (tap, pulse, wake, force) follows its target's lineage until the target settles:

- pulse: settled when the target is idle with `end_f ≥` the Pulse's target freshness;
- tap, wake, force: settled when the target is idle and has completed a run since the request;
- failed: the target is failed, killed or blocked and nothing in its lineage is still running
  (a retry may yet rescue it while something runs) — then the failing Ripple's error and
  traceback are fetched from the run history and reported, exit 1.

Standing triggers and `status` follow until Ctrl+C; closing the view never cancels anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from duckstring.cli_errors import FAILED, UNREACHABLE, CliError
from duckstring.terminal import console
from duckstring.terminal.views import StatusTable, progress_lines

if TYPE_CHECKING:
    from rich.console import RenderableType

    from duckstring.session import Session

WAIT_S = 20.0  # long-poll hold; the server answers sooner when anything changes
BROKEN = ("failed", "killed", "blocked")
INTERRUPTED = 130


@dataclass(frozen=True)
class Outcome:
    ok: bool
    summary: str


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
        head.append(f"  {time.monotonic() - self.started:5.1f}s", style="dim")
        if self.state:
            head.append(f"  {self.state}")
        parts: list[Any] = [head]
        if self.table is not None:
            parts.append(self.table)
        parts.append(Text(self.footer, style="dim"))
        return Group(*parts)


def poll(session: Session, params: dict[str, Any], since: int | None) -> dict[str, Any]:
    """The next status document: at once without `since`, else after the next change (or
    the wait). A local Catchment that went away is started again (or waited for)."""
    query = dict(params)
    if since is not None:
        query.update(since=since, wait=WAIT_S)
    for attempt in range(3):
        try:
            resp = session.client.request("GET", "/api/status", params=query,
                                          timeout=WAIT_S + 30)
            return dict(session.client.json(resp))
        except CliError as e:
            if e.code != UNREACHABLE or not session.reg.local or attempt == 2:
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
    try:
        while True:
            for line in progress_lines(seen, doc, started):
                out.print(line, markup=False, soft_wrap=True)
            if outcome is not None and not keep_open:
                return outcome
            doc = poll(session, params, doc["version"])
            if goal is not None and outcome is None:
                outcome = goal.check(doc)
    except KeyboardInterrupt:
        return outcome


def _wait_quietly(session: Session, params: dict[str, Any], doc: dict[str, Any],
                  goal: Goal | None, outcome: Outcome | None) -> Outcome | None:
    try:
        while goal is not None and outcome is None:
            doc = poll(session, params, doc["version"])
            outcome = goal.check(doc)
    except KeyboardInterrupt:
        return None
    return outcome


def _live(session: Session, params: dict[str, Any], doc: dict[str, Any], goal: Goal | None,
          outcome: Outcome | None, heading: str, footer: str,
          keep_open: bool) -> Outcome | None:
    from rich.live import Live

    screen = Screen(heading, footer)
    screen.table = StatusTable(doc)
    with Live(screen, console=console.out(), refresh_per_second=4, transient=False) as live:
        try:
            while True:
                if outcome is not None:
                    screen.state = ("[done]" if outcome.ok else "[failed]")
                    if not keep_open:
                        break
                doc = poll(session, params, doc["version"])
                screen.table = StatusTable(doc)
                if goal is not None and outcome is None:
                    outcome = goal.check(doc)
                live.refresh()
        except KeyboardInterrupt:
            pass
        live.refresh()
    return outcome


def failure(session: Session, line: str, outcome: Outcome) -> CliError:
    """Why a one-shot did not succeed: the failing Pond's error and its Ripple traceback."""
    doc = poll(session, {"pond": line.rpartition("@")[0], "major": line.rpartition("@")[2]}, None)
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
        first = culprits[0].rpartition("@")[0]
        hint = (f"`duckstring runs {first} --failed` shows the history; after a fix, "
                f"`duckstring pond deploy` or `duckstring control wake {first}` runs it again")
    else:
        hint = (f"deploy {', '.join(missing)} first: run `duckstring pond deploy` in each one's "
                "project directory (or pass it: `duckstring pond deploy DIR`)")
    return CliError(message, FAILED, details, hint=hint)


def _why(session: Session, line: str, p: dict[str, Any] | None) -> tuple[str, list[str]]:
    name, _, major = line.rpartition("@")
    if p is not None and p.get("is_killed"):
        return f"{line} was killed", []
    try:
        runs = session.client.get("/api/runs", pond=name, major=major, ripples=True, limit=20)
    except CliError:
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
