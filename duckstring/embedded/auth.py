"""Authentication (docs/operating.md §5). Open by default; with a key, every `/api` route except
`GET /api/health` needs `Authorization: Bearer {key}`. Duck routes take only the internal Duck
token — a user key gets 401 there. Comparisons are constant-time; keys are never logged."""

from __future__ import annotations

import hmac

import falcon

from duckstring.embedded.errors import Unauthorized


def _bearer(req: falcon.Request) -> str:
    header = req.get_header("Authorization") or ""
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class AuthMiddleware:
    def __init__(self, api_key: str | None, duck_token: str) -> None:
        self.api_key = api_key
        self.duck_token = duck_token

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        path = req.path
        if not path.startswith("/api/") or path == "/api/health":
            return
        if path.startswith("/api/duck/"):
            if not _same(_bearer(req), self.duck_token):
                raise Unauthorized("Duck routes take the Catchment's internal Duck token")
            return
        if self.api_key is not None and not _same(_bearer(req), self.api_key):
            if _bearer(req):
                raise Unauthorized("the key was refused: it is not this Catchment's key")
            raise Unauthorized("this Catchment needs a key: send Authorization: Bearer <key>")
