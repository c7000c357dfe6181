"""Where alerts go, and the one call that sends one there.

- `webhook:URL` — the alert document as a JSON POST.
- `slack:URL` — a Slack-compatible incoming webhook: `{"text": summary}` (Mattermost, Rocket.Chat
  and Discord's `/slack` endpoints take the same).
- `email:ADDR` — over SMTP from `DUCKSTRING_SMTP_URL` (`smtp://user:pass@host:587`, or
  `smtps://…:465` for TLS from the start; `?from=ADDR` sets the sender). STARTTLS is used when
  the server offers it; a password is never sent over a connection without TLS.
- An address may be `secret:NAME`, read from the secrets at delivery: a webhook URL carries
  its own token, so it need not sit in duck.db, a shell history or `alert list` in clear.
- Outputs show a URL as scheme and host only (`display`); errors never carry the URL's path
  or the SMTP password.
- Every send has a timeout; a failure says whether trying again can help (`DeliveryError`).
"""

from __future__ import annotations

import json
import re
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from duckstring.redact import Redactor

KINDS = ("webhook", "slack", "email")
SECRET_REF = "secret:"
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


@dataclass(frozen=True)
class Target:
    kind: str
    address: str  # a URL, an e-mail address, or secret:NAME

    def __str__(self) -> str:
        return f"{self.kind}:{self.address}"


def parse_target(text: str) -> Target:
    """`webhook:URL`, `slack:URL` or `email:ADDR` (any address may be `secret:NAME`)."""
    kind, sep, address = (text or "").strip().partition(":")
    kind = kind.lower()
    if not sep or kind not in KINDS or not address:
        raise ValueError(f"--to {text!r}: use webhook:URL, slack:URL or email:ADDR")
    if address.startswith(SECRET_REF):
        from duckstring.embedded.access.secrets import check_name

        check_name(address.removeprefix(SECRET_REF))
    elif kind == "email":
        if not _EMAIL.match(address):
            raise ValueError(f"--to {text!r}: {address!r} is not an e-mail address")
    else:
        parts = urlsplit(address)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"--to {kind}:…: the URL must be http(s)://HOST/…")
    return Target(kind, address)


def display(target: Target) -> str:
    """The target as outputs show it: a URL cut to its scheme and host."""
    if target.kind == "email" or target.address.startswith(SECRET_REF):
        return str(target)
    parts = urlsplit(target.address)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    rest = "/…" if (parts.path not in ("", "/") or parts.query) else "/"
    return f"{target.kind}:{parts.scheme}://{host}{port}{rest}"


class DeliveryError(Exception):
    def __init__(self, detail: str, *, permanent: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    ssl: bool
    user: str | None
    password: str | None
    sender: str | None


def parse_smtp_url(url: str) -> SmtpConfig:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("DUCKSTRING_SMTP_URL must look like smtp://user:pass@host:587 "
                         "(or smtps://…:465)")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("DUCKSTRING_SMTP_URL has a port that is not a number") from None
    tls = parts.scheme == "smtps"
    sender = parse_qs(parts.query).get("from", [None])[0]
    return SmtpConfig(parts.hostname, port or (465 if tls else 587), tls,
                      unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password else None, sender)


Resolve = Callable[[str], str]


def _no_secrets(name: str) -> str:
    raise LookupError(name)


class Senders:
    """Sends one alert to one target; `send` returns what happened (`HTTP 200`) or raises
    DeliveryError."""

    def __init__(self, *, smtp_url: str | None = None, timeout_s: float = 10.0,
                 resolve: Resolve = _no_secrets, ssl_context: ssl.SSLContext | None = None,
                 user_agent: str = "duckstring") -> None:
        self.smtp = None if not smtp_url else parse_smtp_url(smtp_url)
        self.timeout_s = timeout_s
        self.resolve = resolve
        self.ssl_context = ssl_context
        self.user_agent = user_agent

    def send(self, target: Target, doc: dict[str, Any]) -> str:
        address = target.address
        if address.startswith(SECRET_REF):
            name = address.removeprefix(SECRET_REF)
            try:
                address = self.resolve(name)
            except Exception:
                raise DeliveryError(f"secret {name!r} cannot be read: set it for every Pond "
                                    f"(duckstring secret set {name})", permanent=True) from None
        parts = urlsplit(address)
        hide = Redactor([address, parts.path, parts.query,
                         *([self.smtp.password] if self.smtp and self.smtp.password else [])])
        try:
            if target.kind == "email":
                return self._email(address, doc)
            body = doc if target.kind == "webhook" else {"text": doc["summary"]}
            return self._post(address, body)
        except DeliveryError as e:
            raise DeliveryError(hide(e.detail), permanent=e.permanent) from None
        except Exception as e:  # whatever a library raises, say what it was, never the URL
            raise DeliveryError(hide(f"{type(e).__name__}: {e}")) from None

    def _post(self, url: str, body: dict[str, Any]) -> str:
        import httpx

        try:
            resp = httpx.post(url, content=json.dumps(body).encode(),
                              headers={"Content-Type": "application/json",
                                       "User-Agent": self.user_agent},
                              timeout=self.timeout_s, follow_redirects=False)
        except httpx.TimeoutException:
            raise DeliveryError(f"no answer within {self.timeout_s:g}s") from None
        except httpx.TransportError as e:
            raise DeliveryError(f"cannot connect: {type(e).__name__}: {e}") from None
        detail = f"HTTP {resp.status_code}"
        if 200 <= resp.status_code < 300:
            return detail
        text = " ".join(resp.text[:200].split())
        detail += f": {text}" if text else ""
        retry = resp.status_code in (408, 425, 429) or resp.status_code >= 500
        raise DeliveryError(detail, permanent=not retry)

    def _email(self, to: str, doc: dict[str, Any]) -> str:
        import smtplib
        from email.message import EmailMessage

        cfg = self.smtp
        if cfg is None:
            raise DeliveryError("e-mail alerts need DUCKSTRING_SMTP_URL in the server's "
                                "environment (e.g. smtp://user:pass@host:587)", permanent=True)
        msg = EmailMessage()
        msg["Subject"] = f"[duckstring] {doc['summary']}"
        msg["From"] = cfg.sender or f"duckstring@{socket.gethostname()}"
        msg["To"] = to
        msg.set_content(f"{doc['summary']}\n\n{json.dumps(doc, indent=2)}\n")
        context = self.ssl_context or ssl.create_default_context()
        try:
            smtp = (smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=self.timeout_s, context=context)
                    if cfg.ssl else smtplib.SMTP(cfg.host, cfg.port, timeout=self.timeout_s))
            with smtp:
                smtp.ehlo()
                if not cfg.ssl and smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif not cfg.ssl and cfg.user:
                    raise DeliveryError(f"{cfg.host} does not offer STARTTLS: refusing to send "
                                        "the password in clear (use smtps://, or a server "
                                        "with STARTTLS)", permanent=True)
                if cfg.user:
                    smtp.login(cfg.user, cfg.password or "")
                refused = smtp.send_message(msg)
        except smtplib.SMTPResponseException as e:
            text = e.smtp_error.decode(errors="replace") if isinstance(e.smtp_error, bytes) \
                else str(e.smtp_error)
            raise DeliveryError(f"SMTP {e.smtp_code}: {text}",
                                permanent=500 <= e.smtp_code < 600) from None
        except smtplib.SMTPRecipientsRefused as e:
            raise DeliveryError(f"SMTP refused {', '.join(e.recipients)}", permanent=True) \
                from None
        except (OSError, smtplib.SMTPException) as e:
            raise DeliveryError(f"SMTP: {type(e).__name__}: {e}") from None
        if refused:
            raise DeliveryError(f"SMTP refused {', '.join(refused)}", permanent=True)
        return f"SMTP accepted for {to}"

