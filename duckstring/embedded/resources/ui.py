"""The web UI's static files, served at `/` (docs/operating.md §9). Every reference in them is
relative, so the UI works wherever the app is mounted (e.g. under `/content/abc/`)."""

from __future__ import annotations

from pathlib import Path

import falcon

STATIC = Path(__file__).resolve().parent.parent / "static"


class Index:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.env.get("PATH_INFO", "") == "" and req.root_path:
            # Mounted under a prefix and asked for it without the slash: relative URLs would
            # resolve one level too high, so send the browser to `prefix/`.
            resp.status = falcon.HTTP_308
            resp.location = req.root_path.rsplit("/", 1)[-1] + "/"
            return
        index = STATIC / "index.html"
        if not index.exists():
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = "duckstring Catchment: the API is under /api/\n"
            return
        resp.content_type = falcon.MEDIA_HTML
        resp.cache_control = ["no-cache"]
        resp.text = index.read_text(encoding="utf-8")


def add_ui(app: falcon.App) -> None:
    app.add_route("/", Index())
    if STATIC.is_dir():
        app.add_static_route("/static", str(STATIC))
