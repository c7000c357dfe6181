"""Rich renderings of the Catchment's documents (docs/http-api.md): the status table, plain
progress lines for when there is no terminal, run history, query results and table listings."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from duckstring.times import format_duration, parse_instant

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.table import Table

STATE_STYLE = {
    "failed": "bold red", "killed": "bold magenta", "blocked": "yellow",
    "running": "bold cyan", "queued": "blue", "idle": "green",
}
RUN_STYLE = {"success": "green", "passed": "dim green", "running": "cyan", "failed": "bold red",
             "killed": "magenta"}


def ms(iso: str | None) -> int | None:
    return None if iso is None else parse_instant(iso)


def short_age(millis: float | None) -> str:
    """A compact age: `0.4s`, `12s`, `5m10s`, `3h05m`, `2d4h`."""
    if millis is None:
        return "—"
    s = max(0.0, millis / 1000)
    if s < 10:
        return f"{s:.1f}s"
    if s < 3600:
        m, sec = divmod(int(s), 60)
        return f"{m}m{sec:02d}s" if m else f"{sec}s"
    if s < 86_400:
        h, rest = divmod(int(s), 3600)
        return f"{h}h{rest // 60:02d}m"
    d, rest = divmod(int(s), 86_400)
    return f"{d}d{rest // 3600}h"


def trigger_text(trigger: dict[str, Any] | None) -> str:
    if not trigger:
        return ""
    if trigger.get("type") == "tide":
        return f"tide {format_duration(round(float(trigger['bound_s']) * 1000))}"
    if trigger.get("type") == "wave" and trigger.get("every_s"):
        return f"wave every {format_duration(round(float(trigger['every_s']) * 1000))}"
    return str(trigger.get("type", ""))


def activity(p: dict[str, Any]) -> str:
    """What a Pond is doing or why it is stuck, in a few words."""
    running = [r["name"] for r in p.get("ripples", []) if r.get("running")]
    if running:
        return ", ".join(running)
    if p.get("is_killed"):
        return "killed"
    if p.get("missing_sources"):
        return "missing " + ", ".join(p["missing_sources"])
    if p.get("is_blocked") and p.get("blocked_by") and not p.get("is_failed"):
        return "blocked by " + ", ".join(p["blocked_by"])
    if p.get("error") and p.get("is_failed"):
        return (str(p["error"]).strip().splitlines() or [""])[0]
    if p.get("status") == "queued":
        return "waiting for Sources" if p.get("targets") or p.get("has_pull") else "queued"
    return ""


class StatusTable:
    """The status document as a table; ages keep ticking between updates on a live screen."""

    def __init__(self, doc: dict[str, Any], title: str | None = None,
                 received: float | None = None) -> None:
        self.doc = doc
        self.title = title
        self.received = time.monotonic() if received is None else received

    def now_ms(self) -> int:
        return (ms(self.doc.get("now")) or 0) + round((time.monotonic() - self.received) * 1000)

    def delay_ms(self, p: dict[str, Any]) -> float:
        """How much staleness exceeds freshness age: the Window delay `d` (0 without
        Windows), read back from the document."""
        end_f, stale, at = ms(p.get("end_f")), p.get("staleness_s"), ms(self.doc.get("now"))
        if end_f is None or stale is None or at is None:
            return 0.0
        return float(stale) * 1000 - (at - end_f)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.table(options.max_width)

    def table(self, width: int) -> Table:
        """The table in `width` columns: every column as wide as its cells, and the activity
        (an error, say) given all the room that is left, cut only at the edge."""
        from rich.table import Table
        from rich.text import Text

        now = self.now_ms()
        ponds = self.doc.get("ponds", [])
        windowed = any(self.delay_ms(p) >= 1 for p in ponds)  # else stale == age everywhere
        # where Ducks run, once some run elsewhere than this machine (docs/scale.md)
        remote = any((p.get("duck") or {}).get("launcher") not in (None, "local") for p in ponds)
        heads = ["pond", "version", "state", "age", *(["stale"] if windowed else []), "trigger",
                 "done/started", *(["duck"] if remote else [])]
        rows: list[list[str]] = []
        for p in ponds:
            end_f = ms(p.get("end_f"))
            age = None if end_f is None else now - end_f
            row = [p["id"], p.get("version") or "—", p["status"], short_age(age)]
            if windowed:
                delay = self.delay_ms(p)
                row.append(short_age(age + delay) if age is not None and delay >= 1 else "")
            row += [trigger_text(p.get("trigger")),
                    f"{p.get('runs_completed', 0)}/{p.get('runs_started', 0)}"]
            if remote:
                duck = p.get("duck") or {}
                row.append(f"{duck['launcher']} {duck.get('node') or ''}".rstrip()
                           if duck.get("launcher") else "")
            rows.append(row)
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
        room = max(len("activity"), width - sum(w + 1 for w in widths))
        table = Table(title=self.title, title_justify="left", expand=False, pad_edge=False,
                      box=None, header_style="bold", padding=(0, 1, 0, 0))
        for head, w in zip(heads, widths, strict=True):
            right = head in ("age", "stale", "done/started")
            table.add_column(head, no_wrap=True, min_width=w,
                             justify="right" if right else "left")
        table.add_column("activity", no_wrap=True, overflow="ellipsis", max_width=room)
        for p, row in zip(ponds, rows, strict=True):
            cells: list[Any] = list(row)
            cells[2] = Text(p["status"], style=STATE_STYLE.get(p["status"], ""))
            cells.append(Text(activity(p), style="red" if p.get("is_failed") else "dim"))
            table.add_row(*cells)
        if not ponds:
            table.add_row("(no Ponds deployed)", *([""] * len(heads)))
        return table


def pond_signature(p: dict[str, Any]) -> tuple[Any, ...]:
    return (p["status"], p.get("end_f"), tuple(r["name"] for r in p.get("ripples", [])
                                               if r.get("running")), activity(p))


def progress_lines(before: dict[str, tuple[Any, ...]], doc: dict[str, Any],
                   started: float) -> Iterable[str]:
    """Plain lines for the Ponds whose state changed since `before` (which is updated)."""
    offset = f"+{time.monotonic() - started:.1f}s"
    for p in doc.get("ponds", []):
        sig = pond_signature(p)
        if before.get(p["id"]) == sig:
            continue
        before[p["id"]] = sig
        parts = [offset, p["id"], p["status"]]
        if p.get("end_f") and p["status"] == "idle":
            parts.append(f"fresh {p['end_f']}")
        what = activity(p)
        if what:
            parts.append(f"({what})")
        yield "  ".join(parts)


# -- run history ---------------------------------------------------------------------------


def _span(start: str | None, end: str | None) -> str:
    if not start or not end:
        return ""
    return short_age((ms(end) or 0) - (ms(start) or 0))


def run_lines(runs: list[dict[str, Any]], *, tracebacks: bool = True,
              logs: bool = False) -> list[RenderableType]:
    """Newest first: one line per Pond Run (a row of consecutive passes says how many and
    from when), then its Ripple attempts; failures show error, traceback and the attempt's
    `pond.log` lines, and `logs` shows those lines for every attempt."""
    from rich.text import Text

    out: list[RenderableType] = []
    for r in runs:
        line = Text()
        line.append(f"{r['id']:<16}", style="bold")
        count = int(r.get("count") or 1)
        status = r["status"] if count == 1 else f"{r['status']} ×{count}"
        line.append(f" {status:<8}", style=RUN_STYLE.get(r["status"], ""))
        if count > 1:
            line.append(f" F {r.get('first_f') or '—'} … {r.get('f') or '—'}")
            line.append(f"  v{r.get('version') or '?'}")
            line.append(f"  from {r.get('started_at') or '—'} to {r.get('finished_at') or '—'}",
                        style="dim")
        else:
            line.append(f" F {r.get('f') or '—'}")
            line.append(f"  v{r.get('version') or '?'}")
            line.append(f"  started {r.get('started_at') or '—'}", style="dim")
            took = _span(r.get("started_at"), r.get("finished_at"))
            if took:
                line.append(f"  {took}", style="dim")
        if r.get("launcher"):
            line.append(f"  on {r['launcher']} {r.get('node') or ''}".rstrip(), style="dim")
        if not r.get("executed", True):
            line.append("  no Source changed, nothing executed", style="dim")
        if r.get("prediction_error_s") is not None:  # a dry-run predicted this run's end
            err = r["prediction_error_s"]
            line.append(f"  ended {abs(err):.1f}s {'after' if err >= 0 else 'before'} the "
                        "dry-run's prediction", style="dim")
        out.append(line)
        if r.get("tables"):
            out.append(Text("    tables: " + ", ".join(
                f"{t} v{v}" for t, v in sorted(r["tables"].items())), style="dim"))
        for a in r.get("ripples") or []:
            att = Text("    ")
            att.append(f"{a['ripple']} #{a['attempt']}", style="bold" if a["status"] == "failed" else "")
            att.append(f"  {a['status']}", style=RUN_STYLE.get(a["status"], ""))
            took = _span(a.get("started_at"), a.get("finished_at"))
            if took:
                att.append(f"  {took}", style="dim")
            out.append(att)
            if a.get("error") and a["status"] != "success":
                out.append(Text(f"      error: {a['error']}", style="red"))
                if tracebacks and a.get("traceback"):
                    out.append(Text(_indent(a["traceback"], 6), style="dim"))
            if a.get("log") and str(a["log"]).strip() and (logs or a["status"] == "failed"):
                out.append(Text("      pond.log:", style="dim"))
                out.append(Text(_indent(a["log"], 8)))
        if r.get("error") and not any(a.get("error") for a in r.get("ripples") or []):
            out.append(Text(f"    error: {r['error']}", style="red"))
            if tracebacks and r.get("traceback"):
                out.append(Text(_indent(r["traceback"], 6), style="dim"))
    return out


def _indent(text: str, n: int) -> str:
    pad = " " * n
    return "\n".join(pad + line for line in str(text).rstrip().splitlines())


# -- data ----------------------------------------------------------------------------------


def rows_table(result: dict[str, Any], title: str | None = None) -> Table:
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    for col, kind in zip(result["columns"], result.get("types") or [""] * len(result["columns"]), strict=True):
        justify = "right" if _numeric(kind) else "left"
        table.add_column(str(col), justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in result["rows"]:
        table.add_row(*(_cell(v) for v in row))
    return table


def _numeric(kind: str) -> bool:
    k = kind.upper()
    return any(t in k for t in ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL", "NUMERIC"))


def _cell(value: Any) -> str:
    import json

    if value is None:
        return "NULL"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def tables_table(doc: dict[str, Any]) -> Table:
    from rich.table import Table

    from duckstring.terminal.console import human_bytes

    table = Table(header_style="bold", box=None, pad_edge=False)
    for col, justify in (("table", "left"), ("version", "right"), ("rows", "right"),
                         ("columns", "right"), ("size", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for t in doc.get("tables", []):
        rows = "?" if t.get("rows") is None else f"{t['rows']:,}"
        size = "?" if t.get("bytes") is None else human_bytes(t["bytes"])
        table.add_row(t["name"], str(t.get("version", "")), rows,
                      str(len(t.get("columns") or [])), size)
    if not doc.get("tables"):
        table.add_row("(nothing published yet)", "", "", "", "")
    return table
