"""Health and identity (docs/http-api.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import falcon

from duckstring import __version__

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment


class Health:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "ok"}


class Identity:
    def __init__(self, c: Catchment) -> None:
        self.c = c

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        from duckstring.embedded.archive import usage

        resp.media = {"id": self.c.id, "name": self.c.name, "version": __version__,
                      "root_bytes": usage(self.c.layout)["total_bytes"]}

    def on_get_usage(self, req: falcon.Request, resp: falcon.Response) -> None:
        from duckstring.embedded.archive import usage
        from duckstring.lake.where import data_url

        # the tables of an object-store root are not in the archive: say where they stay
        resp.media = {**usage(self.c.layout), "data_url": data_url(self.c.layout)}

    def on_get_archive(self, req: falcon.Request, resp: falcon.Response) -> None:
        from duckstring.embedded.archive import stream_archive

        resp.content_type = "application/x-tar"
        resp.downloadable_as = f"{self.c.name}.tar"
        resp.stream = stream_archive(self.c.layout)
