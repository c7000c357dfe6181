"""`POST /api/deploy`: multipart `manifest` (pond.toml text) + `archive` (zip of the project)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import falcon

from duckstring.embedded.deployment import deploy
from duckstring.embedded.domain_errors import BadInput, TooLarge

if TYPE_CHECKING:
    from duckstring.embedded.app import Catchment


class Deploy:
    def __init__(self, c: Catchment) -> None:
        self.c = c

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        limit = self.c.settings.max_upload_bytes
        if req.content_length is not None and req.content_length > limit:
            raise TooLarge(f"the upload is {req.content_length} bytes; the limit is {limit}")
        if not (req.content_type or "").startswith("multipart/form-data"):
            raise BadInput("send multipart/form-data with parts manifest and archive")
        manifest_text, archive = None, None
        for part in req.get_media():
            data = part.stream.read(limit + 1)
            if len(data) > limit:
                raise TooLarge(f"part {part.name!r} is over the {limit}-byte limit")
            if part.name == "manifest":
                manifest_text = data.decode("utf-8", errors="replace")
            elif part.name == "archive":
                archive = data
        if manifest_text is None or archive is None:
            raise BadInput("the deploy needs both parts: manifest (pond.toml) and archive (zip)")
        result = deploy(self.c, manifest_text, archive)
        resp.status = falcon.HTTP_201
        resp.media = result
