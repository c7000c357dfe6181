"""The Catchment's HTTP resources (docs/http-api.md); `add_routes` is the route table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import falcon

from duckstring.embedded.resources.data import Query, Tables
from duckstring.embedded.resources.deploy import Deploy
from duckstring.embedded.resources.duck import DuckChannel
from duckstring.embedded.resources.meta import Health, Identity
from duckstring.embedded.resources.observe import Runs, Status
from duckstring.embedded.resources.placement import DuckPlacement
from duckstring.embedded.resources.ponds import Budget, Ponds, Verb, Why, Windows

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment


def add_routes(app: falcon.App, c: Catchment) -> None:
    identity, ponds, windows, tables, duck = Identity(c), Ponds(c), Windows(c), Tables(c), DuckChannel(c)
    app.add_route("/api/health", Health())
    app.add_route("/api/catchment", identity)
    app.add_route("/api/catchment/usage", identity, suffix="usage")
    app.add_route("/api/catchment/archive", identity, suffix="archive")
    app.add_route("/api/deploy", Deploy(c))
    app.add_route("/api/ponds", ponds)
    app.add_route("/api/ponds/{name}", ponds, suffix="item")
    app.add_route("/api/ponds/{name}/versions/{version}", ponds, suffix="version")
    app.add_route("/api/ponds/{name}/budget", Budget(c))
    app.add_route("/api/ponds/{name}/why", Why(c))
    placement = DuckPlacement(c)
    app.add_route("/api/ponds/{name}/duck", placement)
    app.add_route("/api/ponds/{name}/duck/check", placement, suffix="check")
    app.add_route("/api/ponds/{name}/windows", windows)
    app.add_route("/api/ponds/{name}/windows/{window}", windows, suffix="item")
    app.add_route("/api/ponds/{name}/tables", tables)
    app.add_route("/api/ponds/{name}/tables/{table}", tables, suffix="file")
    app.add_route("/api/ponds/{name}/{verb}", Verb(c))
    app.add_route("/api/status", Status(c))
    app.add_route("/api/runs", Runs(c))
    app.add_route("/api/query", Query(c))
    app.add_route("/api/duck/{name}/{major}/jobs", duck, suffix="jobs")
    app.add_route("/api/duck/{name}/{major}/events", duck, suffix="events")
    app.add_route("/api/duck/{name}/{major}/bootstrap", duck, suffix="bootstrap")
    app.add_route("/api/duck/{name}/{major}/artifact", duck, suffix="artifact")
    from duckstring.embedded.resources.team import add_team_routes
    from duckstring.embedded.resources.ui import add_ui

    add_team_routes(app, c)

    add_ui(app)
