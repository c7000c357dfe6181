"""Deployed Ponds, triggers, control verbs, budgets and Windows (docs/http-api.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import falcon

from duckstring.embedded.domain_errors import BadInput, NotFound
from duckstring.embedded.resources.common import MAX_BUDGET, body, instant, number, resolve_line
from duckstring.embedded.status_document import when, window_doc
from duckstring.embedded.store import versions
from duckstring.engine import WindowRule, events, line_id
from duckstring.engine.windows import WEEKDAYS
from duckstring.times import DAY

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment


class Ponds:
    def __init__(self, c: Catchment) -> None:
        self.c = c

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        with self.c.store.transaction() as conn:
            selected = versions.lines(conn)
            out = []
            for row in selected:
                out.append({
                    "id": line_id(row.name, row.major), "name": row.name, "major": row.major,
                    "version": row.version, "kind": row.kind,
                    "versions": [v.version for v in versions.of_pond(conn, row.name)
                                 if v.major == row.major],
                })
        resp.media = {"ponds": out}

    def on_delete_item(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        """Remove a line: `?major=` (required when several are live), `?wipe=true` deletes its
        versions and data too, `?dry_run=true` only says what would happen."""
        from duckstring.embedded import remove

        line = remove.pick_line(self.c, name, req.get_param_as_int("major"))
        wipe = req.get_param_as_bool("wipe", default=False)
        if req.get_param_as_bool("dry_run", default=False):
            resp.media = {"ok": True, "dry_run": True, **remove.plan(self.c, line, wipe)}
        else:
            resp.media = {"ok": True, **remove.remove(self.c, line, wipe)}

    def on_get_version(self, req: falcon.Request, resp: falcon.Response, name: str,
                       version: str) -> None:
        with self.c.store.transaction() as conn:
            row = versions.get(conn, name, version)
            if row is None:
                raise NotFound(f"{name} {version} is not deployed")
            sel = versions.selected(conn, name, row.major)
        resp.media = {"name": name, "version": version, "major": row.major,
                      "digest": row.digest,
                      "selected": sel is not None and sel.version == version}


WINDOW_NAME_MAX = 64


def _bound_ms(data: dict[str, Any]) -> int:
    return round(number(data.get("bound_s"), "bound_s", minimum=0.001) * 1000)


def _every_ms(data: dict[str, Any]) -> int:
    """A Wave's pacing: `every_s` (absent or null = emergent cadence)."""
    if data.get("every_s") is None:
        return 0
    return round(number(data["every_s"], "every_s", minimum=0.001) * 1000)


_VERBS: dict[str, Any] = {
    "tap": lambda line, req, data: events.Tap(line),
    "pulse": lambda line, req, data: events.Pulse(
        line, instant(req.get_param("at") or data.get("at"), "at")),
    "wave": lambda line, req, data: events.Wave(line, _every_ms(data)),
    "tide": lambda line, req, data: events.Tide(line, _bound_ms(data)),
    "untrigger": lambda line, req, data: events.RemoveTrigger(line),
    "wake": lambda line, req, data: events.Wake(line),
    "force": lambda line, req, data: events.Force(line),
    "kill": lambda line, req, data: events.Kill(line),
    "clear": lambda line, req, data: events.Clear(line),
    "sleep": lambda line, req, data: events.Sleep(line, bool(data.get("upstream", False))),
}


DRY_RUNS = ("tap", "pulse", "wave", "tide", "wake", "force")


def _budget(p: Any) -> dict[str, int]:
    return {"immediate_retries": p.immediate_retries, "source_retries": p.source_retries}


class Verb:
    """`POST /api/ponds/{name}/{verb}` for every trigger and control verb."""

    def __init__(self, c: Catchment) -> None:
        self.c = c

    def on_post(self, req: falcon.Request, resp: falcon.Response, name: str, verb: str) -> None:
        make = _VERBS.get(verb)
        if make is None:
            raise NotFound(f"unknown verb {verb!r}; use one of {', '.join(sorted(_VERBS))}")
        line = resolve_line(self.c, name, req)
        data = body(req)
        event = make(line, req, data)
        co = self.c.coordinator
        if req.get_param_as_bool("dry_run", default=False):
            if verb not in DRY_RUNS:
                raise BadInput(f"{verb} has no dry-run; use one of {', '.join(DRY_RUNS)}")
            from duckstring.embedded.forecast import dry_run

            resp.media = dry_run(self.c, line, event, verb)
            return
        now = co.clock()
        co.forecasts.arm(line, verb, now)
        co.apply(event)
        out: dict[str, Any] = {"ok": True, "pond": line, "verb": verb}
        if isinstance(event, events.Pulse):
            out["target"] = when(event.at if event.at is not None else now)
        resp.media = out


class Why:
    """`GET /api/ponds/{name}/why`: the Pond's state and the chain of reasons."""

    def __init__(self, c: Catchment) -> None:
        self.c = c

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        from duckstring.embedded import why

        resp.media = why.build(self.c, resolve_line(self.c, name, req))


class Budget:
    def __init__(self, c: Catchment) -> None:
        self.c = c

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        line = resolve_line(self.c, name, req)
        resp.media = {"pond": line, **self.c.coordinator.pond_view(line, _budget)}

    def on_post(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        line = resolve_line(self.c, name, req)
        data = body(req)
        values = {}
        for key in ("immediate_retries", "source_retries"):
            if data.get(key) is not None:
                values[key] = int(number(data[key], key, maximum=MAX_BUDGET, whole=True))
        self.c.coordinator.apply(events.SetBudget(line, values.get("immediate_retries"),
                                                  values.get("source_retries")))
        resp.media = {"ok": True, "pond": line, **self.c.coordinator.pond_view(line, _budget)}


def _on_days(raw: Any) -> frozenset[int] | None:
    if raw is None or raw == []:
        return None
    items = raw.split(",") if isinstance(raw, str) else raw
    days = set()
    for d in items:
        if isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6:
            days.add(d)
        elif isinstance(d, str) and d.strip().upper()[:3] in WEEKDAYS:
            days.add(WEEKDAYS.index(d.strip().upper()[:3]))
        else:
            raise BadInput(f"on_days: {d!r} is not a weekday (MON … SUN)")
    return frozenset(days)


class Windows:
    def __init__(self, c: Catchment) -> None:
        self.c = c

    def _windows(self, line: str) -> list[dict[str, Any]]:
        return self.c.coordinator.pond_view(line, lambda p: [window_doc(w) for w in p.windows])

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        line = resolve_line(self.c, name, req)
        resp.media = {"pond": line, "windows": self._windows(line)}

    def on_post(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        line = resolve_line(self.c, name, req)
        data = body(req)
        wname = data.get("name")
        if not isinstance(wname, str) or not wname.strip():
            raise BadInput("name is required")
        if len(wname.strip()) > WINDOW_NAME_MAX:
            raise BadInput(f"name is {len(wname.strip())} characters; the limit is {WINDOW_NAME_MAX}")
        every = round(number(data.get("every_s"), "every_s", minimum=0.001) * 1000)
        duration = data.get("duration_s")
        now = self.c.coordinator.clock()
        start = instant(data.get("start"), "start")
        rule = WindowRule(
            name=wname.strip(),
            start=start if start is not None else now // DAY * DAY,
            every=every,
            duration=None if duration is None else round(number(duration, "duration_s") * 1000),
            on_days=_on_days(data.get("on_days")),
            until=instant(data.get("until"), "until"),
        )
        self.c.coordinator.apply(events.AddWindow(line, rule))
        resp.status = falcon.HTTP_201
        resp.media = {"ok": True, "pond": line, "window": window_doc(rule),
                      "windows": self._windows(line)}

    def on_delete_item(self, req: falcon.Request, resp: falcon.Response, name: str,
                       window: str) -> None:
        line = resolve_line(self.c, name, req)
        if not self.c.coordinator.pond_view(line, lambda p: any(w.name == window
                                                                for w in p.windows)):
            raise NotFound(f"{line} has no Window named {window!r}")
        self.c.coordinator.apply(events.RemoveWindow(line, window))
        resp.media = {"ok": True, "pond": line, "windows": self._windows(line)}
