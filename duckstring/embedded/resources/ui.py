"""The web UI's static files, served at `/` (runtime.md §9)."""

from __future__ import annotations

from pathlib import Path

import falcon

STATIC = Path(__file__).resolve().parent.parent / "static"


class Index:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        index = STATIC / "index.html"
        if not index.exists():
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = "duckstring Catchment: the API is under /api/\n"
            return
        resp.content_type = falcon.MEDIA_HTML
        resp.text = index.read_text(encoding="utf-8")


def add_ui(app: falcon.App) -> None:
    app.add_route("/", Index())
    if STATIC.is_dir():
        app.add_static_route("/static", str(STATIC))
