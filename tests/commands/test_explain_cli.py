"""Issue 14 items 1 and 2 on the command line: `why` and the dry-runs, against a real local
Catchment started on demand."""

from __future__ import annotations

import json

from tests.commands.conftest import Cli, local_demo


def test_why_prints_the_state_and_its_reasons(cli: Cli) -> None:
    local_demo(cli)
    doc = json.loads(cli.ok("why", "reports", "-c", "dev", "--json").out)
    assert (doc["pond"], doc["status"]) == ("reports@1", "idle")
    assert [(r["kind"], r["rule"]) for r in doc["reasons"]] == [("idle", "§3")]
    out = cli.ok("why", "reports@1", "-c", "dev").out
    assert out.splitlines()[0] == "reports@1 idle"
    assert "no demand: no pull, no push target, no standing trigger  (§3)" in out
    bad = cli("why", "nowhere", "-c", "dev")
    assert bad.code != 0 and "nowhere" in bad.err
