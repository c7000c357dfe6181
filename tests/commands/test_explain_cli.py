"""Issue 14 items 1 and 2 on the command line: `why` and the dry-runs, against a real local
Catchment started on demand."""

from __future__ import annotations

import json

from tests.commands.conftest import Cli, local_demo


def test_why_and_dry_runs(cli: Cli) -> None:
    local_demo(cli)
    doc = json.loads(cli.ok("why", "reports", "-c", "dev", "--json").out)
    assert (doc["pond"], doc["status"]) == ("reports@1", "idle")
    assert [(r["kind"], r["rule"]) for r in doc["reasons"]] == [("idle", "§3")]
    out = cli.ok("why", "reports@1", "-c", "dev").out
    assert out.splitlines()[0] == "reports@1 idle"
    assert "no demand: no pull, no push target, no standing trigger  (§3)" in out
    bad = cli("why", "nowhere", "-c", "dev")
    assert bad.code != 0 and "nowhere" in bad.err

    # dry-runs predict and trigger nothing
    plan = json.loads(cli.ok("trigger", "pulse", "reports", "--dry-run", "--json", "-c", "dev").out)
    assert plan["dry_run"] and plan["run"][-2:] == ["sales@1", "reports@1"]
    text = cli.ok("control", "force", "transactions", "--dry-run", "-c", "dev").out
    assert text.splitlines()[0] == "dry-run: a Force on transactions@1 (nothing was triggered)"
    assert "run   transactions@1  1s" in text and "transactions@1 would settle in 1s" in text
    assert "never run, so taken as 1s each: transactions@1.append_transactions" in text
    # a force waits while a Source never ran (§10): the prediction says so, and where to look
    text = cli.ok("control", "force", "sales", "--dry-run", "-c", "dev").out
    assert "sales@1 would not settle (queued); `duckstring why sales@1` says why" in text
    runs = json.loads(cli.ok("runs", "--json", "-c", "dev").out)["runs"]
    assert runs == []  # nothing ran
    bad = cli("trigger", "tap", "reports", "--json", "-c", "dev")
    assert bad.code == 2 and "--dry-run" in bad.err
