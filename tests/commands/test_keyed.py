"""`catchment init --generate-key`, then every command with the stored key against the running
Catchment (`catchment start`, real Ducks), and 401 → exit 4 with a wrong key. What needs no Duck
(a wrong key, SQL refused, triggers, Windows and budgets) runs in process against a keyed app
(Typer's runner over WSGITransport, a launcher that starts no Duck)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from duckstring.config import Config, Registration
from tests.commands.conftest import Cli, assert_nothing_running, make_cli, stop
from tests.commands.inprocess import URL, InProcess, open_inprocess
from tests.e2e.harness import free_port, wait_until
from tests.embedded.test_server import Recorder

ANSI = "\x1b["


@dataclass
class Keyed:
    cli: Cli
    key: str
    url: str
    root: Path

    def status(self) -> dict[str, Any]:
        return {p["name"]: p for p in json.loads(self.cli.ok("status", "--json").out)["ponds"]}


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keyed]:
    cli = make_cli(tmp_path_factory.mktemp("keyed"))
    port = free_port()
    r = cli.ok("catchment", "init", "-n", "dev", "-p", str(port), "--generate-key", "--no-start",
               "-y")
    key = re.search(r"API key \(shown once; stored in .*\): (\S+)", r.out)
    assert key, r
    url = f"http://127.0.0.1:{port}"
    server = cli.popen("catchment", "start", "dev")
    try:
        wait_until(lambda: _healthy(url), timeout=30, what="catchment start to serve")
        cli.ok("pond", "demo", "demo")
        cli.ok("pond", "deploy", "demo", "--all", "-y")
        yield Keyed(cli, key.group(1), url, cli.home / "dev")
    finally:
        code, out, err = stop(server)
        assert code == 0, err
        assert "serving on" in out
    assert_nothing_running(cli.home / "dev")


ADMIN = "dsk_" + "k" * 43


@pytest.fixture(scope="module")
def inproc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
    """The demo deployed to a keyed Catchment in process; the CLI holds its key."""
    for cli in open_inprocess(tmp_path_factory.mktemp("keyed-inproc"), api_key=ADMIN,
                              launcher=Recorder()):
        cli.ok("pond", "demo", "demo")
        cli.ok("pond", "deploy", "demo", "--all", "-y")
        yield cli


def _status(cli: InProcess) -> dict[str, Any]:
    return {p["name"]: p for p in json.loads(cli.ok("status", "--json").out)["ponds"]}


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_server_requires_the_stored_key(keyed: Keyed) -> None:
    assert httpx.get(f"{keyed.url}/api/status", timeout=10).status_code == 401
    assert Config.load(keyed.cli.home / "config.toml").get("dev").key == keyed.key
    headers = {"Authorization": f"Bearer {keyed.key}"}
    assert httpx.get(f"{keyed.url}/api/status", headers=headers, timeout=10).status_code == 200


def test_a_wrong_key_exits_4(inproc: InProcess) -> None:
    cli = inproc
    r = cli("catchment", "connect", "-n", "bad", "--url", URL, "--key", "wrong")
    assert r.code == 4, r
    assert "refused" in r.err and "Traceback" not in r.err
    assert "bad" not in Config.load(cli.home / "config.toml").registrations()
    r = cli("catchment", "connect", "-n", "nokey", "--url", URL)
    assert r.code == 4, r

    cfg = Config.load(cli.home / "config.toml")
    cfg.add(Registration("bad", URL, key="wrong"))
    cfg.save()
    try:
        for args in (["status", "--once"], ["trigger", "pulse", "reports"], ["query", "reports"],
                     ["runs"], ["pond", "deploy", "demo/reports", "-y"]):
            r = cli(*args, "-c", "bad")
            assert r.code == 4, (args, r)
            assert len(r.err.strip().splitlines()) == 2  # the error and a hint
    finally:
        cli.ok("catchment", "disconnect", "bad")


def test_pulse_settles_and_exits_0_with_plain_lines(keyed: Keyed) -> None:
    r = keyed.cli.ok("trigger", "pulse", "reports")
    assert ANSI not in r.out + r.err, "no colour without a terminal"
    assert "Pulse reports@1 → fresh as of" in r.out
    assert re.search(r"\+\d+\.\ds\s+sales@1\s+running", r.out), r.out
    assert "✓ reports@1 is fresh as of" in r.out
    target = re.search(r"fresh as of (\S+)", r.out).group(1)  # type: ignore[union-attr]
    reports = keyed.status()["reports"]
    assert reports["status"] == "idle" and reports["end_f"] >= target
    assert all(p["status"] == "idle" for p in keyed.status().values())


def test_reads(keyed: Keyed) -> None:
    cli = keyed.cli
    keyed.cli.ok("trigger", "pulse", "reports")  # waits until reports is fresh
    once = cli.ok("status", "--once").out
    for name in ("transactions@1", "products@1", "sales@1", "reports@1"):
        assert name in once
    lineage = cli.ok("status", "sales", "--once").out
    assert "sales@1" in lineage and "reports@1" not in lineage

    runs = cli.ok("runs", "reports", "-n", "1").out  # its own Pulse: at least one run, whatever ran before
    assert runs.count("reports@1") == 1 and "monthly_summary #1  success" in runs
    doc = json.loads(cli.ok("runs", "--json", "-n", "50").out)
    assert {r["pond"] for r in doc["runs"]} == {"transactions", "products", "sales", "reports"}
    assert all("ripples" in r for r in doc["runs"])
    assert cli.ok("runs", "--failed").out.strip() == "no failed runs"

    listing = cli.ok("query", "sales").out
    assert "sale_line" in listing and "rows" in listing
    preview = cli.ok("query", "reports", "monthly_summary").out
    assert "month" in preview and "tier" in preview
    rows = json.loads(cli.ok("query", "reports", "monthly_summary", "--json", "-").out)
    assert rows and {"month", "tier", "revenue"} <= set(rows[0])
    total = cli.ok("query", "sales", "--sql", "SELECT count(*) AS n FROM sales.sale_line",
                   "--csv", "-").out
    assert total.splitlines()[0] == "n" and int(total.splitlines()[1]) > 0
    (cli.base / "q.sql").write_text("SELECT tier, count(*) AS n FROM sale_line GROUP BY ALL")
    cli.ok("query", "sales", "--sql", "@q.sql", "--parquet", "tiers.parquet")
    assert (cli.base / "ponds/sales/tiers.parquet").stat().st_size > 0
    cli.ok("query", "reports", "monthly_summary", "--csv", "summary.csv")
    csv = (cli.base / "ponds/reports/monthly_summary/summary.csv").read_text()
    assert csv.startswith("month,tier")
    assert len(csv.splitlines()) == len(rows) + 1
    cli.ok("query", "reports", "monthly_summary", "--json", "out.json", "--path", "exports")
    assert json.loads((cli.base / "exports/out.json").read_text()) == rows
    cli.ok("get", "reports", "monthly_summary")
    # names as printed are names accepted (test_names, in process, has the rest)
    assert cli.ok("query", "reports@1", "monthly_summary", "--json", "-").out == cli.ok(
        "query", "reports", "monthly_summary", "--json", "-").out
    cli.ok("query", "sales@1", "--sql", "SELECT count(*) AS n FROM sale_line")
    cli.ok("get", "reports@1", "monthly_summary", "--path", "out")
    assert (cli.base / "out/monthly_summary.parquet").is_file()
    assert (cli.base / "ponds/reports/monthly_summary.parquet").read_bytes()[:4] == b"PAR1"

    assert cli("query", "nope").code == 5
    assert cli("query", "reports", "nope").code == 5
    assert cli("trigger", "pulse", "nope").code == 5
    assert cli("query", "reports", "-v", "9.9.9").code == 5


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "COPY (SELECT 1) TO '{dest}'",
    "ATTACH '{dest}' AS x",
    "SELECT * FROM read_parquet('{root}/ponds/sales/m1/data/*.parquet')",
    "INSTALL httpfs",
    "SELECT 1; SELECT 2",
])
def test_query_refuses_sql_that_escapes_the_published_data(inproc: InProcess, sql: str) -> None:
    dest = inproc.base / "escaped.out"
    r = inproc("query", "sales", "--sql", sql.format(dest=dest, root=inproc.base / "root"))
    assert r.code == 2, r
    assert r.err.startswith("error: ") and "Traceback" not in r.err
    assert not dest.exists()


def test_triggers_windows_and_budgets(inproc: InProcess) -> None:
    cli = inproc
    cli.ok("trigger", "tap", "transactions", "--silent")
    r = cli.ok("trigger", "wave", "reports", "--silent")
    assert "Wave set on reports@1" in r.out
    assert _status(cli)["reports"]["trigger"] == {"type": "wave"}
    cli.ok("trigger", "tide", "reports", "1h30m", "--silent")
    assert _status(cli)["reports"]["trigger"] == {"type": "tide", "bound_s": 5400.0}
    assert cli("trigger", "tide", "reports", "soon").code == 2
    cli.ok("trigger", "remove", "reports")
    assert _status(cli)["reports"]["trigger"] is None

    cli.ok("trigger", "window", "transactions", "add", "-n", "always", "-e", "1d", "-s", "00:00")
    listed = json.loads(cli.ok("trigger", "window", "transactions", "list", "--json").out)
    assert [w["name"] for w in listed["windows"]] == ["always"]
    clash = cli("trigger", "window", "transactions", "add", "-n", "again", "-e", "1d")
    assert clash.code == 2 and "overlap" in clash.err.lower()
    cli.ok("trigger", "window", "transactions", "remove", "always")
    assert "no Windows" in cli.ok("trigger", "window", "transactions", "list").out
    assert cli("trigger", "window", "transactions", "remove", "always").code == 5

    budget = cli.ok("control", "failure-budget", "sales").out
    assert "immediate retries 0, on-change retries 0" in budget
    cli.ok("control", "failure-budget", "sales", "-i", "2", "-o", "1")
    assert _status(cli)["sales"]["immediate_retries"] == 2
    assert json.loads(cli.ok("control", "failure-budget", "sales", "--json").out)[
        "source_retries"] == 1


def test_control(keyed: Keyed) -> None:
    cli = keyed.cli
    before = keyed.status()["transactions"]["runs_completed"]
    r = cli.ok("control", "wake", "transactions")
    assert "✓ transactions@1 ran" in r.out
    assert keyed.status()["transactions"]["runs_completed"] > before
    cli.ok("control", "force", "products")
    cli.ok("control", "sleep", "reports", "--upstream")
    cli.ok("control", "kill", "products")
    assert keyed.status()["products"]["status"] == "killed"
    r = cli("trigger", "pulse", "sales")
    assert r.code == 1 and "products@1 was killed" in r.err
    cli.ok("control", "clear", "products")
    assert keyed.status()["products"]["status"] == "idle"
    cli.ok("trigger", "pulse", "sales")


def test_catchment_list_shows_it_reachable(keyed: Keyed) -> None:
    doc = json.loads(keyed.cli.ok("catchment", "list", "--json").out)
    ident = Config.load(keyed.cli.home / "config.toml").get("dev").id
    assert doc["catchments"] == [{"name": "dev", "url": keyed.url, "local": True, "id": ident,
                                  "root": str(keyed.root), "reachable": True, "state": "yes",
                                  "shares_port_with": [], "default": True}]


def test_download_with_the_key_and_a_progress_free_log(keyed: Keyed) -> None:
    r = keyed.cli.ok("catchment", "download", "--path", "backup", "-y")
    assert "verified" in r.out and ANSI not in r.out + r.err
    copy = keyed.cli.base / "backup"
    assert (copy / "duck.db").is_file() and not (copy / "catchment.lock").exists()
    assert sorted(p.name for p in (copy / "ponds").iterdir()) == [
        "products", "reports", "sales", "transactions"]
    refused = keyed.cli("catchment", "download", "--path", str(keyed.root), "-y")
    assert refused.code == 2 and "running Catchment" in refused.err
