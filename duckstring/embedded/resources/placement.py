"""Where a Pond's Ducks run (docs/http-api.md, docs/scale.md): `GET/POST
/api/ponds/{name}/duck` shows and changes its placement, `POST /api/ponds/{name}/duck/check`
runs a no-op where its Duck would run and reports the versions found there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import falcon

from duckstring.embedded.domain_errors import NotFound
from duckstring.embedded.placement import REMOTE, effective, refuse_local_tables, update
from duckstring.embedded.resources.common import body
from duckstring.embedded.store import placements, versions
from duckstring.engine import line_id
from duckstring.lake.where import data_url

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment


class DuckPlacement:
    def __init__(self, c: Catchment) -> None:
        self.c = c

    def _lines(self, name: str) -> list[str]:
        with self.c.store.transaction() as conn:
            lines = sorted({line_id(v.name, v.major) for v in versions.of_pond(conn, name)})
        if not lines:
            raise NotFound(f"no Pond {name!r} is deployed")
        return lines

    def _doc(self, name: str, lines: list[str]) -> dict[str, Any]:
        with self.c.store.transaction() as conn:
            placement = placements.get(conn, name)
        default = self.c.launchers.default
        return {"pond": name, "launcher": effective(placement, default),
                "default_launcher": default, "placement": placement.doc(),
                "ducks": [{"line": line, **(self.c.supervisor.running_where(line)
                                            or {"launcher": None, "node": None})}
                          for line in lines]}

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        resp.media = self._doc(name, self._lines(name))

    def on_post(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        lines = self._lines(name)
        data = body(req)
        with self.c.store.transaction() as conn:
            new = update(placements.get(conn, name), data)
            launcher = effective(new, self.c.launchers.default)
            if launcher in REMOTE:
                refuse_local_tables(launcher, data_url(self.c.layout), name)
            placements.put(conn, name, new, self.c.coordinator.clock())
        # a Duck running idle leaves, so the next one starts where the Pond now says
        busy = self.c.coordinator.busy_lines()
        self.c.supervisor.idle({line for line in lines if line not in busy}
                               & self.c.supervisor.live_lines())
        resp.media = {"ok": True, **self._doc(name, lines)}

    def on_post_check(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        lines = self._lines(name)
        line = lines[-1]
        launcher = self.c.launchers.name_for(line)
        resp.media = {"pond": name, "launcher": launcher, **self.c.launchers.check(line)}
