"""The team commands against a keyed Catchment (in process: the runner and the real app over
`httpx.WSGITransport`): `catchment key …` prints a key once and never lists it, a read key's
Pulse exits 4 naming the level needed, `secret set` reads stdin and never shows the value,
`alert add/list`, and `audit` names who did what."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from tests.commands.inprocess import URL, InProcess, open_inprocess

ADMIN = "dsk_" + "a" * 43


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InProcess, str]]:
    """A keyed Catchment with no Pond: levels are checked before a Pond is looked up."""
    for cli in open_inprocess(tmp_path_factory.mktemp("team"), api_key=ADMIN):
        yield cli, URL


def test_keys_with_levels_from_the_command_line(served: tuple[InProcess, str]) -> None:
    cli, url = served
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
    assert cli("secret", "set", "X", "-c", "ro", input="value1").code == 4
    assert json.loads(cli.ok("status", "--json", "-c", "ro").out)["caller"]["level"] == "read"
    cli.ok("catchment", "key", "revoke", "analyst")
    assert cli("status", "-c", "ro").code == 4
    trail = json.loads(cli.ok("audit", "--json", "--who", "admin").out)["entries"]
    assert [e["verb"] for e in trail][:2] == ["key-revoke", "key-add"]


def test_secrets_alerts_and_audit_from_the_command_line(served: tuple[InProcess, str]) -> None:
    cli, _ = served
    value = "hunter2-is-not-a-password"
    r = cli.ok("secret", "set", "DB_PASSWORD", "--pond", "sales", input=value + "\n")
    assert "sales" in r.out and value not in r.out + r.err
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
    trail = json.loads(cli.ok("audit", "--json").out)["entries"]
    assert [(e["who"], e["verb"]) for e in trail][:3] == [
        ("admin", "secret-rm"), ("admin", "alert-add"), ("admin", "secret-set")]
    assert "secret-rm" in cli.ok("audit").out


def test_the_first_key_of_an_open_catchment_is_kept_so_the_cli_stays_in(
        inprocess: InProcess) -> None:
    cli = inprocess
    refused = cli("catchment", "key", "add", "ci", "--level", "demand")
    assert refused.code == 2 and "first key must be full" in refused.err
    r = cli.ok("catchment", "key", "add", "ops", "--level", "full")
    assert "stored the key" in r.err and r.out.strip().startswith("dsk_")
    assert json.loads(cli.ok("status", "--json").out)["caller"]["level"] == "full"
    rotated = cli.ok("catchment", "key", "rotate", "ops")
    assert rotated.out.strip() != r.out.strip() and "stored the key" in rotated.err
    assert cli.ok("catchment", "key", "list", "--json").out


def test_download_carries_the_secrets_key_only_when_asked(served: tuple[InProcess, str]) -> None:
    import stat

    cli, _ = served
    cli.ok("secret", "set", "API_TOKEN", input="a-token-for-the-download-test")
    plain = cli.base / "plain"
    cli.ok("catchment", "download", "--path", str(plain), "-y")
    assert (plain / "duck.db").exists() and not (cli.base / "plain.secrets-key").exists()
    keyed = cli.base / "keyed"
    cli.ok("catchment", "download", "--path", str(keyed), "--with-secrets-key", "-y")
    key_file = cli.base / "keyed.secrets-key"
    assert key_file.read_text() == (cli.base / "root.secrets-key").read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert json.loads(cli.ok("audit", "--json").out)["entries"][0]["verb"] == "secrets-key-download"
