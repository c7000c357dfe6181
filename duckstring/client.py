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
from urllib.parse import quote

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

    # -- requests (private: callers use the typed methods below) ---------------------------
    def _request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
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

    def _get(self, path: str, *, timeout: float | None = None,
             **params: Any) -> dict[str, Any]:
        return self.json(self._request("GET", path, params=params, timeout=timeout))

    def _post(self, path: str, body: Any = None, **params: Any) -> dict[str, Any]:
        return self.json(self._request("POST", path, params=params, json=body))

    def _put(self, path: str, body: Any = None, **params: Any) -> dict[str, Any]:
        return self.json(self._request("PUT", path, params=params, json=body))

    def _delete(self, path: str, **params: Any) -> dict[str, Any]:
        return self.json(self._request("DELETE", path, params=params))

    def json(self, resp: httpx.Response) -> dict[str, Any]:
        """The JSON object of the body; anything else means the URL is not a Catchment's (every
        Catchment answer is an object)."""
        try:
            doc = resp.json()
        except ValueError:
            raise ApiError(f"{self.who} answered {resp.request.url.path} with something that is "
                           "not JSON; is that URL a duckstring Catchment?",
                           resp.status_code) from None
        if not isinstance(doc, dict):
            raise ApiError(f"{self.who} answered {resp.request.url.path} with JSON but not an "
                           f"object ({type(doc).__name__}); is that URL a duckstring Catchment?",
                           resp.status_code)
        return doc

    @contextlib.contextmanager
    def _stream(self, path: str, **params: Any) -> Iterator[httpx.Response]:
        try:
            with self.http.stream("GET", path, params=_clean(params), timeout=None) as resp:
                if resp.status_code >= 400:
                    resp.read()
                self.check(resp)
                yield resp
        except httpx.HTTPError as e:
            raise self._transport_error(e) from None

    # -- the API, typed (docs/http-api.md): one method an operation ------------------------
    # Health and identity
    def health(self, timeout: float = 2.0) -> bool:
        """Whether something answers `GET /api/health` with ok (never raises)."""
        try:
            resp = self.http.get("/api/health", timeout=timeout)
            return resp.status_code == 200 and resp.json().get("status") == "ok"
        except (httpx.HTTPError, ValueError, AttributeError):
            return False

    def check_health(self) -> dict[str, Any]:
        """`GET /api/health`, raising the precise `ApiError` when it does not answer."""
        return self._get("/api/health")

    def identity(self) -> dict[str, Any]:
        """`GET /api/catchment`: `{"id", "name", "version", "root_bytes"}`."""
        return self._get("/api/catchment")

    # Deploying and removing
    def deploy(self, manifest_text: bytes, archive: bytes) -> dict[str, Any]:
        """`POST /api/deploy` of a packed project with its `pond.toml`."""
        return self.json(self._request("POST", "/api/deploy", files={
            "manifest": ("pond.toml", manifest_text, "text/plain"),
            "archive": ("project.zip", archive, "application/zip"),
        }, timeout=300))

    def ponds(self) -> list[dict[str, Any]]:
        """`GET /api/ponds`: the live lines."""
        rows: list[dict[str, Any]] = self._get("/api/ponds")["ponds"]
        return rows

    def version(self, target: Target) -> dict[str, Any]:
        """`GET /api/ponds/NAME/versions/V`: the target's pinned version (404 when absent)."""
        assert target.version is not None
        return self._get(_pond(target.pond, "versions", target.version))

    def remove(self, pond: str, *, major: int | None, wipe: bool,
               dry_run: bool = False) -> dict[str, Any]:
        """`DELETE /api/ponds/NAME`: retire a line (or, `dry_run`, say what that would stop)."""
        return self._delete(_pond(pond), major=major, wipe=wipe, dry_run=dry_run or None)

    # Status and history
    def status(self, pond: str | None = None, *, timeout: float | None = None,
               **params: Any) -> dict[str, Any]:
        """`GET /api/status`: every Pond's state, or one Pond's lines (`pond`, `major`, ...);
        with `since` and `wait`, after the next change (give a `timeout` past `wait`)."""
        return self._get("/api/status", timeout=timeout, pond=pond, **params)

    def runs(self, **params: Any) -> dict[str, Any]:
        """`GET /api/runs` (`pond`, `major`, `lineage`, `ripples`, `status`, `limit`)."""
        return self._get("/api/runs", **params)

    def why(self, target: Target) -> dict[str, Any]:
        """`GET /api/ponds/NAME/why`: the Pond's state and the chain of reasons."""
        return self._get(_pond(target.pond, "why"), **target.params())

    # Triggers, control, budgets, Windows, Ducks
    def verb(self, target: Target, verb: str, body: dict[str, Any] | None = None,
             **params: Any) -> dict[str, Any]:
        """`POST /api/ponds/NAME/VERB` (tap, flood, pulse, budget, ...) on the target's line."""
        return self._post(_pond(target.pond, verb), body, **params, **target.params())

    def budget(self, target: Target) -> dict[str, Any]:
        """`GET /api/ponds/NAME/budget` (set it with `verb(target, "budget", body)`)."""
        return self._get(_pond(target.pond, "budget"), **target.params())

    def windows(self, target: Target) -> dict[str, Any]:
        """`GET /api/ponds/NAME/windows`: `{"pond", "windows"}`."""
        return self._get(_pond(target.pond, "windows"), **target.params())

    def add_window(self, target: Target, rule: dict[str, Any]) -> dict[str, Any]:
        """`POST /api/ponds/NAME/windows`: the Pond's Windows after adding `rule`."""
        return self._post(_pond(target.pond, "windows"), rule, **target.params())

    def remove_window(self, target: Target, name: str) -> dict[str, Any]:
        """`DELETE /api/ponds/NAME/windows/W`."""
        return self._delete(_pond(target.pond, "windows", name), **target.params())

    def duck(self, pond: str) -> dict[str, Any]:
        """`GET /api/ponds/NAME/duck`: where the Pond's Ducks run."""
        return self._get(_pond(pond, "duck"))

    def set_duck(self, pond: str, placement: dict[str, Any]) -> dict[str, Any]:
        """`POST /api/ponds/NAME/duck`: change where its Ducks run."""
        return self._post(_pond(pond, "duck"), placement)

    def check_duck(self, pond: str) -> dict[str, Any]:
        """`POST /api/ponds/NAME/duck/check`: a no-op placed like its Duck."""
        return self._post(_pond(pond, "duck", "check"), {})

    # Data
    def tables(self, target: Target) -> dict[str, Any]:
        """`GET /api/ponds/NAME/tables`: the line's published tables and recent runs."""
        return self._get(_pond(target.pond, "tables"), **target.params())

    def table_file(self, target: Target, table: str, **pinned: Any) -> bytes:
        """`GET /api/ponds/NAME/tables/T`: one Parquet file of the table (latest, or pinned by
        `as_of` / `table_version`)."""
        resp = self._request("GET", _pond(target.pond, "tables", table),
                             params={**target.params(), **pinned})
        return resp.content

    def query(self, body: dict[str, Any], target: Target | None = None) -> httpx.Response:
        """`POST /api/query`; the response, whose body is JSON or the asked-for format."""
        return self._request("POST", "/api/query", json=body,
                             params=target.params() if target is not None else None)

    # State download
    def usage(self) -> dict[str, Any]:
        """`GET /api/catchment/usage`: what a download of the root would hold."""
        return self._get("/api/catchment/usage")

    def archive(self) -> contextlib.AbstractContextManager[httpx.Response]:
        """`GET /api/catchment/archive`, streamed: read it with `iter_bytes()` inside `with`."""
        return self._stream("/api/catchment/archive")

    def secrets_key(self) -> str:
        """`GET /api/catchment/secrets-key`: the secrets' master key."""
        return str(self._get("/api/catchment/secrets-key")["key"])

    # Keys, secrets, alerts, audit
    def keys(self) -> dict[str, Any]:
        """`GET /api/keys`: `{"keys": [...]}`, never a key."""
        return self._get("/api/keys")

    def add_key(self, name: str, level: str) -> dict[str, Any]:
        """`POST /api/keys`: the new key, shown this once."""
        return self._post("/api/keys", {"name": name, "level": level})

    def revoke_key(self, name: str) -> None:
        """`DELETE /api/keys/NAME`."""
        self._delete(_path("/api/keys", name))

    def rotate_key(self, name: str) -> dict[str, Any]:
        """`POST /api/keys/NAME/rotate`: its new secret."""
        return self._post(_path("/api/keys", name, "rotate"))

    def secrets(self) -> dict[str, Any]:
        """`GET /api/secrets`: `{"secrets": [...]}`, never a value."""
        return self._get("/api/secrets")

    def set_secret(self, name: str, value: str, ponds: list[str]) -> dict[str, Any]:
        """`PUT /api/secrets/NAME` (every Pond when `ponds` is empty)."""
        return self._put(_path("/api/secrets", name), {"value": value, "ponds": ponds})

    def remove_secret(self, name: str, ponds: list[str] | None = None) -> dict[str, Any]:
        """`DELETE /api/secrets/NAME` (every scope, or only those of `ponds`)."""
        return self._delete(_path("/api/secrets", name), pond=ponds or None)

    def alerts(self) -> dict[str, Any]:
        """`GET /api/alerts`: `{"alerts": [...]}`."""
        return self._get("/api/alerts")

    def add_alert(self, rule: dict[str, Any]) -> dict[str, Any]:
        """`POST /api/alerts`: the stored rule."""
        alert: dict[str, Any] = self._post("/api/alerts", rule)["alert"]
        return alert

    def remove_alert(self, name: str) -> None:
        """`DELETE /api/alerts/NAME`."""
        self._delete(_path("/api/alerts", name))

    def test_alert(self, name: str) -> int:
        """`POST /api/alerts/NAME/test`: the queued alert's id (find it in `alert_log`)."""
        return int(self._post(_path("/api/alerts", name, "test"))["id"])

    def alert_log(self, **params: Any) -> dict[str, Any]:
        """`GET /api/alerts/log` (`alert`, `status`, `limit`): `{"log": [...]}`."""
        return self._get("/api/alerts/log", **params)

    def audit(self, **params: Any) -> dict[str, Any]:
        """`GET /api/audit` (`pond`, `who`, `verb`, `before`, `limit`): `{"entries": [...]}`."""
        return self._get("/api/audit", **params)

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


def _path(base: str, *segments: str) -> str:
    """`base/seg/...`, each segment quoted whole (a name never adds a path level)."""
    return "/".join((base, *(quote(seg, safe="") for seg in segments)))


def _pond(pond: str, *rest: str) -> str:
    return _path("/api/ponds", pond, *rest)


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
