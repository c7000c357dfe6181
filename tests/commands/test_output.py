"""Readable output: the status table labels its columns, shows staleness only where it differs
from freshness age (Windows) and never cuts an error below the terminal width; a one-shot
view ends when nothing is left to watch; a closed pipe ends a command quietly; a wrong key is
"refused" with a hint that fits a local registration; `download` says what it will write."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.commands.conftest import Cli, assert_nothing_running, local_demo, make_cli, serving

LONG = "the upstream export was missing its header row " * 3  # ~150 characters


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    cli = make_cli(tmp_path_factory.mktemp("output"))
    root, _ = local_demo(cli)
    cli.ok("trigger", "pulse", "reports")
    yield cli
    assert_nothing_running(root)


def header(out: str) -> list[str]:
    return next(line.split() for line in out.splitlines() if line.startswith("pond"))


def test_the_table_labels_its_columns_and_drops_stale_without_windows(demo: Cli) -> None:
    out = demo.ok("status", "--once").out
    assert header(out) == ["pond", "version", "state", "age", "trigger", "done/started",
                           "activity"]


def test_stale_shows_only_where_a_window_makes_it_differ(demo: Cli) -> None:
    demo.ok("trigger", "window", "products", "add", "-n", "daily", "-e", "1d", "-s", "00:00")
    try:
        demo.ok("trigger", "pulse", "products")
        out = demo.ok("status", "--once").out
        assert "stale" in header(out)
        rows = {line.split()[0]: line for line in out.splitlines() if "@1" in line}
        ages = re.findall(r"\d+(?:\.\d)?[smhd]\S*", rows["products@1"])
        assert len(ages) == 2, rows["products@1"]  # its age, and a staleness a day longer
        assert len(re.findall(r"\d+(?:\.\d)?[smhd]\S*", rows["transactions@1"])) == 1
    finally:
        demo.ok("trigger", "window", "products", "remove", "daily")


def test_an_error_is_shown_to_the_terminal_width(demo: Cli, tmp_path: Path) -> None:
    project = tmp_path / "broken"
    (project / "src").mkdir(parents=True)
    (project / "pond.toml").write_text('[pond]\nname = "broken"\nversion = "1.0.0"\n'
                                       'type = "inlet"\n')
    (project / "src/pond.py").write_text(textwrap.dedent(f'''
        from duckstring import ripple


        @ripple
        def load(pond):
            raise RuntimeError({LONG.strip()!r})
    '''))
    demo.ok("pond", "deploy", str(project), "-y")
    assert demo("trigger", "pulse", "broken").code == 1
    wide = demo.ok("status", "--once", env={"COLUMNS": "400"}).out
    assert LONG.strip() in wide
    narrow = demo.ok("status", "--once", env={"COLUMNS": "100"}).out
    row = next(line for line in narrow.splitlines() if line.startswith("broken@1"))
    assert len(row) <= 100 and row.endswith("…"), row
    assert len(row) > 80, "the error fills the line, not a narrow column"
    demo.ok("pond", "remove", "broken", "--wipe", "-y")


def test_a_wake_with_nothing_newer_upstream_ends_and_says_so(demo: Cli) -> None:
    demo.ok("trigger", "pulse", "reports")
    r = demo("control", "wake", "reports", timeout=90)
    assert r.code == 1, r
    assert "nothing is running and reports@1 waits for newer data from its Sources" in r.err
    assert "the Wake stays in place" in r.err
    doc = json.loads(demo.ok("status", "reports", "--json").out)
    assert next(p for p in doc["ponds"] if p["id"] == "reports@1")["status"] == "queued"
    demo.ok("control", "sleep", "reports")


def test_download_says_the_size_it_will_write(demo: Cli) -> None:
    r = demo.ok("catchment", "download", "--path", "copy", "-y")
    assert re.search(r"'dev' holds [\d.]+ [KMG]?B in \d+ files; downloading writes about that "
                     r"much into .*copy", r.out), r.out


@pytest.mark.parametrize("args", [["--help"], ["trigger", "pulse", "--help"],
                                  ["simulate", "examples/scenarios/tide.toml", "--json"]])
def test_a_closed_pipe_ends_quietly(args: list[str]) -> None:
    from duckstring.reference.gendocs import ROOT

    read, write = os.pipe()
    os.close(read)  # like `… | head` once head has gone
    try:
        proc = subprocess.run([sys.executable, "-m", "duckstring", *args], cwd=ROOT,
                              stdout=write, stderr=subprocess.PIPE, text=True, timeout=60,
                              env={**os.environ, "DUCKSTRING_DEBUG": "1"})
    finally:
        os.close(write)
    assert proc.stderr == "", proc.stderr
    assert proc.returncode in (0, 1)


def test_a_wrong_key_is_refused_with_a_hint_for_a_local_registration(tmp_path: Path) -> None:
    cli = make_cli(tmp_path)
    cli.ok("catchment", "init", "-n", "dev", "--generate-key", "--no-start")
    with serving(cli) as url:
        config = cli.home / "config.toml"
        text = config.read_text()
        config.write_text(re.sub(r'key = "[^"]+"', 'key = "wrong"', text))
        r = cli("status", "--once")
        assert r.code == 4, r
        assert "refused the request (401): that key is not valid here" in r.err
        assert "needs a key" not in r.err
        assert "stop it and run `duckstring catchment start dev`" in r.err
        assert "catchment connect" not in r.err
        bare = httpx.get(f"{url}/api/status", timeout=10)
        assert bare.status_code == 401 and "needs a key" in bare.text
        config.write_text(text)
    assert_nothing_running(cli.home / "dev")
