"""`duckstring quickstart` on a fresh home: a local Catchment, the demo Ponds deployed, one
Pulse of reports through the on-demand Catchment, the summary printed; twice is harmless."""

from __future__ import annotations

import re

from duckstring.config import Config
from tests.commands.conftest import Cli, assert_nothing_running
from tests.e2e.harness import free_port


def test_quickstart_from_nothing_then_again(cli: Cli) -> None:
    r = cli.ok("quickstart", "--dir", "tour", "-p", str(free_port()), timeout=110)
    assert "registered a local Catchment 'demo'" in r.err
    assert "✓ reports@1 is fresh as of" in r.out
    assert "reports.monthly_summary" in r.out
    assert re.search(r"\d{4}-\d{2}-01 .* (budget|standard|premium)", r.out), r.out
    assert "Next, try" in r.out and "duckstring status" in r.out
    for pond in ("transactions", "products", "sales", "reports"):
        assert (cli.base / "tour" / pond / "pond.toml").is_file()
    cfg = Config.load(cli.home / "config.toml")
    assert cfg.default == "demo" and cfg.get("demo").root == cli.home / "demo"
    assert_nothing_running(cli.home / "demo")

    (cli.base / "tour/sales/NOTES.md").write_text("mine")  # edits survive a second run
    again = cli.ok("quickstart", "--dir", "tour", timeout=110)
    assert "registered" not in again.err
    assert again.err.count("already deployed") == 4
    assert "✓ reports@1 is fresh as of" in again.out
    assert (cli.base / "tour/sales/NOTES.md").read_text() == "mine"
    assert_nothing_running(cli.home / "demo")
