"""The one HTTP client of the command line (docs/http-api.md).

It sends the registration's key (`Authorization: Bearer`) and every registered header, and
turns whatever goes wrong into an `ApiError` with one clear line, the HTTP status (None when
nothing answered) and a hint; the CLI maps the status to its exit code (`cli_errors.exit_code`).
A `422` deploy lists its `problems` as detail lines.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx

from duckstring import __version__
from duckstring.api_error import ApiError
from duckstring.config import Registration
from duckstring.target import Target

TIMEOUT_S = 60.0

__all__ = ["ApiError", "Client"]


class Client:
    # Where a client without a `transport` of its own sends its requests: None = the network.
    # Tests route the whole command line to an in-process app (`httpx.WSGITransport`) here.
    default_transport: ClassVar[httpx.BaseTransport | None] = None

    def __init__(self, reg: Registration, *, timeout: float = TIMEOUT_S,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.reg = reg
        self.http = httpx.Client(
            base_url=reg.url, timeout=timeout, transport=transport or Client.default_transport,
            headers={"User-Agent": f"duckstring/{__version__}", **reg.request_headers()},
        )

    def close(self) -> None:
        self.http.close()

    @property
    def who(self) -> str:
        return f"Catchment {self.reg.name!r} ({self.reg.url})"

    # -- requests --------------------------------------------------------------------------
    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                json: Any = None, files: Any = None, timeout: float | None = None) -> httpx.Response:
        kwargs: dict[str, Any] = {"params": _clean(params), "json": json, "files": files}
        if timeout is not None:
            kwargs["timeout"] = timeout
        try:
            resp = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as e:
            raise self._transport_error(e) from None
        self.check(resp)
        return resp

    def get(self, path: str, **params: Any) -> Any:
        return self.json(self.request("GET", path, params=params))

    def post(self, path: str, body: Any = None, **params: Any) -> Any:
        return self.json(self.request("POST", path, params=params, json=body))

    def delete(self, path: str, **params: Any) -> Any:
        return self.json(self.request("DELETE", path, params=params))

    def json(self, resp: httpx.Response) -> Any:
        """The JSON body; anything else means the URL is not a Catchment's."""
        try:
            return resp.json()
        except ValueError:
            raise ApiError(f"{self.who} answered {resp.request.url.path} with something that is "
                           "not JSON; is that URL a duckstring Catchment?",
                           resp.status_code) from None

    @contextlib.contextmanager
    def stream(self, path: str, **params: Any) -> Iterator[httpx.Response]:
        try:
            with self.http.stream("GET", path, params=_clean(params), timeout=None) as resp:
                if resp.status_code >= 400:
                    resp.read()
                self.check(resp)
                yield resp
        except httpx.HTTPError as e:
            raise self._transport_error(e) from None

    # -- the API, typed (docs/http-api.md) -------------------------------------------------
    def status(self, pond: str | None = None, **params: Any) -> dict[str, Any]:
        """`GET /api/status`: every Pond's state, or one Pond's lines (`pond`, `major`, ...)."""
        doc: dict[str, Any] = self.get("/api/status", pond=pond, **params)
        return doc

    def verb(self, target: Target, verb: str, body: dict[str, Any] | None = None,
             **params: Any) -> dict[str, Any]:
        """`POST /api/ponds/NAME/VERB` (tap, flood, pulse, budget, ...) on the target's line."""
        doc: dict[str, Any] = self.post(target.path(verb), body, **params, **target.params())
        return doc

    def version(self, target: Target) -> dict[str, Any]:
        """`GET /api/ponds/NAME/versions/V`: the target's pinned version (404 when absent)."""
        assert target.version is not None
        doc: dict[str, Any] = self.get(target.path("versions", target.version))
        return doc

    def tables(self, target: Target) -> dict[str, Any]:
        """`GET /api/ponds/NAME/tables`: the line's published tables and recent runs."""
        doc: dict[str, Any] = self.get(target.path("tables"), **target.params())
        return doc

    def table_file(self, target: Target, table: str, **pinned: Any) -> bytes:
        """`GET /api/ponds/NAME/tables/T`: one Parquet file of the table (latest, or pinned by
        `as_of` / `table_version`)."""
        resp = self.request("GET", target.path("tables", table),
                            params={**target.params(), **pinned})
        return resp.content

    def query(self, body: dict[str, Any], target: Target | None = None) -> httpx.Response:
        """`POST /api/query`; the response, whose body is JSON or the asked-for format."""
        return self.request("POST", "/api/query", json=body,
                            params=target.params() if target is not None else None)

    def deploy(self, manifest_text: bytes, archive: bytes) -> dict[str, Any]:
        """`POST /api/deploy` of a packed project with its `pond.toml`."""
        doc: dict[str, Any] = self.json(self.request("POST", "/api/deploy", files={
            "manifest": ("pond.toml", manifest_text, "text/plain"),
            "archive": ("project.zip", archive, "application/zip"),
        }, timeout=300))
        return doc

    def health(self, timeout: float = 2.0) -> bool:
        """Whether something answers `GET /api/health` with ok (never raises)."""
        try:
            resp = self.http.get("/api/health", timeout=timeout)
            return resp.status_code == 200 and resp.json().get("status") == "ok"
        except (httpx.HTTPError, ValueError, AttributeError):
            return False

    # -- errors ----------------------------------------------------------------------------
    def _transport_error(self, e: httpx.HTTPError) -> ApiError:
        if isinstance(e, httpx.TimeoutException):
            return ApiError(f"{self.who} did not answer in time ({type(e).__name__})", None)
        reason = str(e) or type(e).__name__
        hint = None
        if self.reg.local:
            hint = f"start it with `duckstring catchment start {self.reg.name}`"
        return ApiError(f"cannot reach {self.who}: {reason}", None, hint=hint)

    def check(self, resp: httpx.Response) -> None:
        if resp.status_code < 400:
            return
        message, extra = _error_body(resp)
        status = resp.status_code
        details = [str(p) for p in extra.get("problems") or []]
        if details == [message]:
            details = []
        if extra.get("traceback"):
            details += ["", *str(extra["traceback"]).rstrip().splitlines()]
        hint = None
        if status in (401, 403):
            message = f"{self.who} refused the request ({status}): {message}"
            need = extra.get("level_needed")
            hint = self._auth_hint() if not need else (
                f"use a {need} key with {self.reg.name!r} (someone with a full key makes one: "
                f"duckstring catchment key add NAME --level {need})")
        elif status == 503 and resp.headers.get("Retry-After"):
            message = f"{self.who} is busy: {message}"
            hint = f"try again in {resp.headers['Retry-After']} s"
        elif status >= 500:
            message = f"{self.who} failed ({status}): {message}"
        raise ApiError(message, status, details, hint=hint)

    def _auth_hint(self) -> str:
        from duckstring.config import home

        name = self.reg.name
        if self.reg.local:
            return (f"{name!r} is local, and a Catchment this CLI starts uses the key stored "
                    f"in {home() / 'config.toml'}; the one running now was started with "
                    f"another key: stop it and run `duckstring catchment start {name}`")
        return (f"check the key or headers of {name!r}; to change them, "
                f"`duckstring catchment disconnect {name}`, then `duckstring catchment connect "
                f"-n {name} --url {self.reg.url} --key K` (or --header 'Name: value')")


def _clean(params: dict[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    out = {}
    for k, v in params.items():
        if v is None:
            continue
        out[k] = ("true" if v else "false") if isinstance(v, bool) else v
    return out


def _error_body(resp: httpx.Response) -> tuple[str, dict[str, Any]]:
    """`{"error": {"code", "message", ...}}`, or whatever a gate in front of us sent."""
    try:
        data = resp.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        err = data["error"]
        return str(err.get("message") or err.get("code") or resp.reason_phrase), err
    text = resp.text.strip().splitlines()[0][:200] if resp.text.strip() else ""
    if text.startswith("<"):
        text = ""
    return text or resp.reason_phrase or f"HTTP {resp.status_code}", {}
