"""Names as printed are names accepted: every command that takes a Pond takes `name@major`
(as output prints it) as well as `name -m N`, and the CLI keeps the deployed Ponds where the
static completion scripts read them. In process (Typer's runner, the app over WSGITransport, a
launcher that starts no Duck); `query`/`get` on data as `name@major` are in test_keyed's
end-to-end reads, where real Ducks publish it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.commands.inprocess import InProcess, open_inprocess
from tests.embedded.test_server import Recorder

Cli = InProcess


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    for cli in open_inprocess(tmp_path_factory.mktemp("names"), launcher=Recorder()):
        cli.ok("pond", "demo", "demo")
        cli.ok("pond", "deploy", "demo", "--all", "-y")
        yield cli


def test_every_pond_command_takes_name_at_major(demo: Cli) -> None:
    r = demo.ok("trigger", "pulse", "reports@1", "--silent")
    assert "reports@1" in r.out
    for args in (
        ["status", "reports@1", "--once"],
        ["runs", "reports@1", "-n", "1"],
        ["trigger", "tap", "sales@1", "--silent"],
        ["trigger", "tide", "reports@1", "1h", "--silent"],
        ["trigger", "remove", "reports@1"],
        ["trigger", "window", "transactions@1", "list"],
        ["control", "failure-budget", "sales@1"],
        ["control", "clear", "sales@1"],
        ["control", "sleep", "sales@1"],
        ["trigger", "pulse", "sales@1", "-m", "1", "--silent"],  # agreeing -m is fine
    ):
        r = demo(*args)
        assert r.code == 0, (args, r)
    lineage = json.loads(demo.ok("status", "sales@1", "--json").out)
    assert {p["id"] for p in lineage["ponds"]} == {"sales@1", "transactions@1", "products@1"}


@pytest.mark.parametrize(("args", "message"), [
    (["trigger", "pulse", "sales@1", "-m", "2"], "names major 1 but -m says 2"),
    (["query", "sales@one"], "is not NAME or NAME@MAJOR"),
    (["status", "@1"], "is not NAME or NAME@MAJOR"),
])
def test_a_bad_spelling_is_a_usage_error(demo: Cli, args: list[str], message: str) -> None:
    r = demo(*args)
    assert r.code == 2 and message in r.err, r


def test_an_unknown_major_is_not_found(demo: Cli) -> None:
    r = demo("trigger", "pulse", "sales@7")
    assert r.code == 5 and "sales has no major 7" in r.err


def test_completion_reads_the_ponds_the_cli_has_seen(demo: Cli) -> None:
    cache: Path = demo.home / "completion" / "dev.ponds"
    demo.ok("status", "--once")
    words = cache.read_text().split()
    assert {"reports", "reports@1", "sales", "sales@1", "transactions@1"} <= set(words)


def test_the_completion_cache_of_one_name_under_two_homes_is_two_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One process (a test run, a long-lived tool) may use the same registration name under two
    homes: each home gets its file, though the words are the same (the second was skipped)."""
    from duckstring import known

    for home in ("a", "b"):
        monkeypatch.setenv("DUCKSTRING_HOME", str(tmp_path / home))
        known.remember("dev", ["sales@1"], complete=True)
        assert known.path("dev").read_text().split() == ["sales", "sales@1"]
