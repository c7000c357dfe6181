"""Operating a Catchment as a team (docs/operating.md §5): `catchment key …`, `secret …`,
`alert …` and `audit`. Each is a thin call of the HTTP API; the server checks levels."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from duckstring.cli_errors import FAILED, USAGE, CliError
from duckstring.commands._context import CATCHMENT, JSON, open_catchment, print_json

if TYPE_CHECKING:
    from duckstring.client import Client

key_app = typer.Typer(name="key", no_args_is_help=True,
                      help="API keys with levels: read < demand < full.")
secret_app = typer.Typer(name="secret", no_args_is_help=True,
                         help="Secrets Ducks get as environment variables (values never shown).")
alert_app = typer.Typer(name="alert", no_args_is_help=True,
                        help="Alerts on failed, blocked, killed, stale and recovered Ponds.")

NAME = typer.Argument(..., metavar="NAME")


def _table(rows: list[dict[str, Any]], cols: list[str], empty: str) -> None:
    from rich.table import Table

    from duckstring.terminal import console

    if not rows:
        console.say(empty)
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in cols:
        table.add_column(col.replace("_", " "), overflow="fold")
    for r in rows:
        table.add_row(*(console.escape(_cell(r.get(c))) for c in cols))
    console.out().print(table)


def _listing(catchment: str | None, json_out: bool, fetch: Callable[[Client], dict[str, Any]],
             rows: Callable[[dict[str, Any]], list[dict[str, Any]]], cols: list[str],
             empty: str) -> None:
    """`fetch(client)`: printed as JSON, or its `rows(doc)` as a table of `cols` (`empty` if
    none)."""
    with open_catchment(catchment) as s:
        doc = fetch(s.client)
    if json_out:
        print_json(doc)
        return
    _table(rows(doc), cols, empty)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _show_key(doc: dict[str, Any], what: str) -> None:
    from duckstring.terminal import console

    console.note(f"{what} {doc['name']!r}; this is the only time the key is shown:")
    sys.stdout.write(doc["key"] + "\n")
    sys.stdout.flush()


def _keep_key(reg_name: str, key: str, why: str) -> None:
    """Store `key` as the registration's own, so this CLI is not locked out by the change."""
    from duckstring.config import Config
    from duckstring.terminal import console

    cfg = Config.load(warn=console.warn)
    cfg.doc["catchments"][reg_name]["key"] = key
    cfg.save()
    console.note(f"{why}: stored the key for {reg_name!r} in {cfg.path}")


# -- keys ----------------------------------------------------------------------------------
@key_app.command("add")
def key_add(
    name: str = NAME,
    level: str = typer.Option(..., "--level", "-l", metavar="read|demand|full",
                              help="What the key may do: read < demand (+ triggers) < full."),
    catchment: str | None = CATCHMENT,
) -> None:
    """Make a key and print it once (only its hash is stored).

    Example: [bold]duckstring catchment key add ci --level demand[/]
    """
    if level.strip().lower() not in ("read", "demand", "full"):
        raise typer.BadParameter(f"{level!r} is not read, demand or full", param_hint="--level")
    with open_catchment(catchment) as s:
        doc = s.client.add_key(name, level.strip().lower())
        reg = s.reg
    _show_key(doc, f"added {doc['level']} key")
    if doc.get("was_open") and not reg.key:
        _keep_key(reg.name, doc["key"], "the Catchment was open and now needs a key")


@key_app.command("list")
def key_list(catchment: str | None = CATCHMENT, json_out: bool = JSON) -> None:
    """Keys: name, level, created, last used — never the key.

    Example: [bold]duckstring catchment key list[/]
    """
    _listing(catchment, json_out, lambda c: c.keys(), lambda doc: doc["keys"],
             ["name", "level", "hint", "created_at", "rotated_at", "last_used_at"],
             "no keys: this Catchment is open (duckstring catchment key add NAME --level full)")


@key_app.command("revoke")
def key_revoke(name: str = NAME, catchment: str | None = CATCHMENT) -> None:
    """Revoke a key at once: requests with it get 401.

    Example: [bold]duckstring catchment key revoke ci[/]
    """
    from duckstring.terminal import console

    with open_catchment(catchment) as s:
        s.client.revoke_key(name)
    console.say(f"revoked key {name!r}")


@key_app.command("rotate")
def key_rotate(name: str = NAME, catchment: str | None = CATCHMENT) -> None:
    """Give a key a new secret (same name and level); the old one stops working at once.

    Example: [bold]duckstring catchment key rotate ci[/]
    """
    with open_catchment(catchment) as s:
        doc = s.client.rotate_key(name)
        reg = s.reg
    _show_key(doc, "rotated key")
    if doc.get("yours"):
        _keep_key(reg.name, doc["key"], f"{name!r} is the key this registration uses")


# -- secrets -------------------------------------------------------------------------------
def save_secrets_key(key: str, root: Path) -> None:
    """The key file a root's secrets open with, beside it (`ROOT.secrets-key`, mode 0600)."""
    import os

    from duckstring.layout import Layout
    from duckstring.terminal import console

    path = Layout(root).secrets_key
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    console.note(f"wrote the secrets key to {path} (mode 0600); keep it apart from the root's "
                 "backups")


POND_OPT = typer.Option(None, "--pond", "-p", metavar="POND",
                        help="Only for this Pond (repeatable; default: every Pond).")


def _read_value(name: str) -> str:
    """From a hidden prompt on a terminal, else stdin (one trailing newline dropped)."""
    if sys.stdin.isatty():
        import getpass

        value = getpass.getpass(f"value of {name} (hidden): ")
    else:
        value = sys.stdin.read()
        value = value[:-1] if value.endswith("\n") else value
        value = value[:-1] if value.endswith("\r") else value
    if not value:
        raise CliError(f"no value for {name}: type it at the prompt or pipe it on stdin "
                       f"(e.g. `duckstring secret set {name} < file`)", USAGE)
    return value


@secret_app.command("set")
def secret_set(name: str = NAME, pond: list[str] | None = POND_OPT,
               catchment: str | None = CATCHMENT) -> None:
    """Set a secret; the value comes from a hidden prompt or stdin, never an argument.

    Ducks get it as the environment variable NAME; idle Ducks restart to pick a change up,
    a busy one when it next starts.

    Example: [bold]duckstring secret set DB_PASSWORD --pond sales[/]
    Example: [bold]printf %s "$TOKEN" | duckstring secret set API_TOKEN[/]
    """
    from duckstring.terminal import console

    value = _read_value(name)
    with open_catchment(catchment) as s:
        doc = s.client.set_secret(name, value, pond or [])
    for w in doc.get("warnings") or []:
        console.warn(w)
    console.say(f"set secret {name} for " + (", ".join(doc["ponds"]) if doc.get("ponds")
                                             else "every Pond"))


@secret_app.command("list")
def secret_list(catchment: str | None = CATCHMENT, json_out: bool = JSON) -> None:
    """Secrets: names, scope and when set — never a value.

    Example: [bold]duckstring secret list[/]
    """
    _listing(catchment, json_out, lambda c: c.secrets(),
             lambda doc: [r | {"pond": r["pond"] or "(every Pond)"} for r in doc["secrets"]],
             ["name", "pond", "set_at"], "no secrets")


@secret_app.command("rm")
def secret_rm(name: str = NAME, pond: list[str] | None = POND_OPT,
              catchment: str | None = CATCHMENT) -> None:
    """Remove a secret (for every scope, or only the --pond ones).

    Example: [bold]duckstring secret rm DB_PASSWORD[/]
    """
    from duckstring.terminal import console

    with open_catchment(catchment) as s:
        doc = s.client.remove_secret(name, pond)
    console.say(f"removed secret {name} ({doc['removed']} scope(s))")


# -- alerts --------------------------------------------------------------------------------
def _seconds(raw: str | None, flag: str) -> float | None:
    if raw is None:
        return None
    from duckstring.times import parse_duration

    try:
        return parse_duration(raw) / 1000
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint=flag) from None


@alert_app.command("add")
def alert_add(
    name: str = NAME,
    on: str | None = typer.Option(None, "--on", metavar="KINDS",
                                  help="Comma-separated: failed,blocked,killed,stale,recovered "
                                       "(default: all but stale; stale with --stale)."),
    pond: list[str] | None = typer.Option(None, "--pond", "-p", metavar="POND",
                                          help="Only these Ponds (repeatable; NAME or "
                                               "NAME@MAJOR; default: every Pond)."),
    stale: str | None = typer.Option(None, "--stale", metavar="DURATION",
                                     help="Alert when a Pond is staler than this, e.g. 2h."),
    renotify: str | None = typer.Option(None, "--renotify", metavar="DURATION",
                                        help="Send a standing alert again after this, e.g. 4h."),
    to: str = typer.Option(..., "--to", metavar="TARGET",
                           help="webhook:URL, slack:URL or email:ADDR (an address may be "
                                "secret:NAME)."),
    catchment: str | None = CATCHMENT,
) -> None:
    """Add an alert rule. One alert per root cause: a failed Pond alerts once, naming the
    Sinks it blocks.

    Example: [bold]duckstring alert add oncall --on failed,stale,recovered --stale 2h --to slack:https://hooks.slack.com/services/…[/]
    Example: [bold]duckstring alert add sales-mail --pond sales --to email:data@example.com[/]
    """
    from duckstring.terminal import console

    body: dict[str, Any] = {"name": name, "to": to, "ponds": pond or [],
                            "stale_s": _seconds(stale, "--stale"),
                            "renotify_s": _seconds(renotify, "--renotify")}
    if on is not None:
        body["on"] = [k.strip() for k in on.split(",") if k.strip()]
    with open_catchment(catchment) as s:
        doc = s.client.add_alert(body)
    console.say(f"added alert {doc['name']!r}: {', '.join(doc['on'])} → {doc['to']}")


@alert_app.command("list")
def alert_list(catchment: str | None = CATCHMENT, json_out: bool = JSON) -> None:
    """Alert rules: what they listen for, on which Ponds, and where they go.

    Example: [bold]duckstring alert list[/]
    """
    _listing(catchment, json_out, lambda c: c.alerts(),
             lambda doc: [a | {"ponds": a["ponds"] or ["(every Pond)"]} for a in doc["alerts"]],
             ["name", "on", "ponds", "stale_s", "renotify_s", "to"],
             "no alerts (duckstring alert add NAME --to TARGET)")


@alert_app.command("rm")
def alert_rm(name: str = NAME, catchment: str | None = CATCHMENT) -> None:
    """Remove an alert rule; its pending deliveries are cancelled.

    Example: [bold]duckstring alert rm oncall[/]
    """
    from duckstring.terminal import console

    with open_catchment(catchment) as s:
        s.client.remove_alert(name)
    console.say(f"removed alert {name!r}")


@alert_app.command("test")
def alert_test(name: str = NAME, catchment: str | None = CATCHMENT,
               wait: float = typer.Option(30.0, "--wait", metavar="S",
                                          help="How long to wait for the delivery.")) -> None:
    """Send a test alert to the rule's target and wait for the outcome.

    Example: [bold]duckstring alert test oncall[/]
    """
    import time

    from duckstring.terminal import console

    with open_catchment(catchment) as s:
        outbox = s.client.test_alert(name)
        deadline = time.monotonic() + wait
        entry: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            entry = next((e for e in s.client.alert_log(alert=name, limit=20)["log"]
                          if e["id"] == outbox), None)
            if entry is not None and (entry["status"] != "pending" or entry["deliveries"]):
                break
            time.sleep(0.2)
    tries = (entry or {}).get("deliveries") or []
    last = tries[-1]["detail"] if tries else "no attempt yet"
    if entry is not None and entry["status"] == "sent":
        console.say(f"test alert {name!r} delivered: {last}")
        return
    raise CliError(f"test alert {name!r} not delivered ({(entry or {}).get('status', 'pending')}"
                   f"): {last}", FAILED, hint=f"see `duckstring alert log --alert {name}`")


@alert_app.command("log")
def alert_log(alert: str | None = typer.Option(None, "--alert", "-a", metavar="NAME",
                                               help="Only this rule's alerts."),
              limit: int = typer.Option(20, "--limit", "-n", min=1, max=10_000),
              catchment: str | None = CATCHMENT, json_out: bool = JSON) -> None:
    """Every alert sent, newest first, with its status and each delivery attempt.

    Example: [bold]duckstring alert log --alert oncall[/]
    """
    _listing(catchment, json_out, lambda c: c.alert_log(alert=alert, limit=limit),
             lambda doc: [e | {"alert": e["rule"], "summary": e["payload"].get("summary"),
                               "last": e["deliveries"][-1]["detail"] if e["deliveries"] else None}
                          for e in doc["log"]],
             ["created_at", "alert", "kind", "status", "attempts", "summary", "last"],
             "no alerts sent yet")


# -- audit ---------------------------------------------------------------------------------
def audit(
    pond: str | None = typer.Option(None, "--pond", "-p", metavar="POND", help="Only this Pond."),
    who: str | None = typer.Option(None, "--who", metavar="KEY", help="Only this key's name."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=10_000),
    catchment: str | None = CATCHMENT, json_out: bool = JSON,
) -> None:
    """The audit trail, newest first: every trigger, control verb, deploy, remove, key,
    secret and alert change, with the key's name and time.

    Example: [bold]duckstring audit --who ci -n 20[/]
    """
    _listing(catchment, json_out, lambda c: c.audit(pond=pond, who=who, limit=limit),
             lambda doc: [e | {"detail": " ".join(f"{k}={_cell(v)}"
                                                  for k, v in e["detail"].items()) or None}
                          for e in doc["entries"]],
             ["at", "who", "verb", "pond", "detail"], "no audit entries")
