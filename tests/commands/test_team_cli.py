"""The team commands against a running keyed Catchment: `catchment key …` prints a key once
and never lists it, a read key's Pulse exits 4 naming the level needed, `secret set` reads
stdin and never shows the value, `alert add/list`, and `audit` names who did what."""

from __future__ import annotations

import json
import re

from tests.commands.conftest import Cli, local_demo, serving


def test_keys_secrets_alerts_and_audit_from_the_command_line(cli: Cli) -> None:
    local_demo(cli, key=True)
    with serving(cli) as url:
        r = cli.ok("catchment", "key", "add", "analyst", "--level", "read")
        key = r.out.strip()
        assert re.fullmatch(r"dsk_[A-Za-z0-9_-]{43}", key), r
        listed = json.loads(cli.ok("catchment", "key", "list", "--json").out)["keys"]
        assert {k["name"]: k["level"] for k in listed} == {"admin": "full", "analyst": "read"}
        assert key not in cli.ok("catchment", "key", "list").out

        cli.ok("catchment", "connect", "-n", "ro", "--url", url, "--key", key, "--no-default")
        refused = cli("trigger", "pulse", "reports", "--silent", "-c", "ro")
        assert refused.code == 4, refused
        assert "needs a demand key" in refused.err and "--level demand" in refused.err
        assert cli.ok("status", "--json", "-c", "ro").out

        value = "hunter2-is-not-a-password"
        r = cli.ok("secret", "set", "DB_PASSWORD", "--pond", "sales", input=value + "\n")
        assert "sales" in r.out and value not in r.out + r.err
        assert cli("secret", "set", "X", "-c", "ro", input="value1").code == 4
        secrets = json.loads(cli.ok("secret", "list", "--json").out)["secrets"]
        assert [(s["name"], s["pond"]) for s in secrets] == [("DB_PASSWORD", "sales")]
        assert value not in json.dumps(secrets)

        cli.ok("alert", "add", "oncall", "--on", "failed,stale", "--stale", "2h",
               "--to", "webhook:http://127.0.0.1:9/hook/with/token")
        alerts = json.loads(cli.ok("alert", "list", "--json").out)["alerts"]
        assert alerts[0]["stale_s"] == 7200 and alerts[0]["to"] == "webhook:http://127.0.0.1:9/…"
        bad = cli("alert", "add", "x", "--on", "exploded", "--to", "webhook:http://h/")
        assert bad.code == 2 and "exploded" in bad.err

        cli.ok("secret", "rm", "DB_PASSWORD")
        cli.ok("catchment", "key", "revoke", "analyst")
        assert cli("status", "-c", "ro").code == 4
        trail = json.loads(cli.ok("audit", "--json").out)["entries"]
        assert [(e["who"], e["verb"]) for e in reversed(trail)][:4] == [("admin", "deploy")] * 4
        assert [(e["who"], e["verb"]) for e in reversed(trail)][4:] == [
            ("admin", "key-add"), ("admin", "secret-set"), ("admin", "alert-add"),
            ("admin", "secret-rm"), ("admin", "key-revoke")]
        assert "key-revoke" in cli.ok("audit").out
