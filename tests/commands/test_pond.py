"""`pond init` scaffolds a project that deploys and runs; `pond deploy` lists validation
problems per file and line, asks before replacing a version, and `--all` deploys a folder."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.commands.conftest import Cli, assert_nothing_running, make_cli
from tests.e2e.harness import free_port


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    cli = make_cli(tmp_path_factory.mktemp("pond"))
    cli.ok("catchment", "init", "-n", "dev", "-p", str(free_port()), "--no-start")
    yield cli
    assert_nothing_running(cli.home / "dev")


def test_init_scaffolds_a_pond_that_deploys_and_runs(local: Cli) -> None:
    r = local.ok("pond", "init", "hello")
    assert "created Pond 'hello' in hello/ — next: `cd hello && duckstring pond deploy`" in r.out
    work = local.base / "hello"
    for rel in ("pond.toml", "src/pond.py", "src/puddles.py", ".gitignore", "README.md"):
        assert (work / rel).is_file(), rel
    again = local("pond", "init", "hello")  # a project already: left alone
    assert again.code == 2 and "already holds a Pond project (pond.toml, src/pond.py)" in again.err
    here = local.base / "here"
    here.mkdir()
    (here / "README.md").write_text("mine")
    r = local.ok("pond", "init", "other", ".", cwd=here)  # in place, keeping the README
    assert "created Pond 'other' here" in r.out and "kept your README.md" in r.err
    assert (here / "pond.toml").is_file() and (here / "README.md").read_text() == "mine"
    assert local("pond", "init", "Bad-Name").code == 2

    r = local.ok("pond", "deploy", cwd=work)
    assert "deployed hello 0.1.0 (line hello@0)" in r.out and "is new" in r.err
    local.ok("trigger", "pulse", "hello")
    rows = local.ok("query", "hello", "numbers").out
    assert "square" in rows and "81" in rows


def test_redeploying_an_existing_version_asks_first(local: Cli) -> None:
    project = local.base / "hello"
    r = local("pond", "deploy", str(project))
    assert r.code == 2 and "already deployed" in r.err and "-y" in r.err
    r = local.ok("pond", "deploy", str(project), "-y")
    assert r.out.startswith("replaced hello 0.1.0 (unchanged; line hello@0)")
    (project / "src/pond.py").write_text((project / "src/pond.py").read_text() + "\n# edited\n")
    r = local.ok("pond", "deploy", str(project), "-y")
    assert r.out.startswith("replaced hello 0.1.0 (code changed; line hello@0)")


def test_validation_problems_are_one_line_each(cli: Cli) -> None:
    project = cli.base / "bad"
    (project / "src").mkdir(parents=True)
    (project / "pond.toml").write_text(
        '[pond]\nname = "Bad Name"\nversion = "1.0"\ntype = "inlet"\ncolour = "blue"\n\n'
        '[sources]\nsales = "1.0.0"\n')
    r = cli("pond", "deploy", str(project))  # checked before any Catchment is needed
    assert r.code == 2, r
    assert "Traceback" not in r.err
    lines = r.err.strip().splitlines()
    assert lines[0] == f"error: {project / 'pond.toml'} is not valid (4 problems)"
    where = str(project / "pond.toml")
    assert any(re.match(rf"\s+{re.escape(where)}:2: \[pond\] name: ", x) for x in lines)
    assert any(re.match(rf"\s+{re.escape(where)}:3: \[pond\] version: ", x) for x in lines)
    assert any(re.match(rf"\s+{re.escape(where)}:5: \[pond\] colour: unknown key", x) for x in lines)
    assert any("[sources]" in x and "inlet" in x for x in lines)

    (project / "pond.toml").write_text('[pond\nname = "x"\n')
    r = cli("pond", "deploy", str(project))
    assert r.code == 2 and f"{where}:1: syntax" in r.err


def test_a_ripple_module_that_does_not_import_is_refused_with_its_traceback(local: Cli) -> None:
    project = local.base / "broken"
    (project / "src").mkdir(parents=True)
    (project / "pond.toml").write_text('[pond]\nname = "broken"\nversion = "1.0.0"\ntype = "inlet"\n')
    (project / "src/pond.py").write_text("import no_such_module_here\n")
    r = local("pond", "deploy", str(project))
    assert r.code == 2, r
    assert f"error: deploy refused: {project}: src/pond.py:1: ModuleNotFoundError" in r.err
    assert "no_such_module_here" in r.err and "Traceback" in r.err  # the author's traceback

    (project / "src/pond.py").write_text("from duckstring import ripple\nimport helpers\n")
    (project / "src/helpers.py").write_text("LIMIT = 3\nraise ValueError('bad config')\n")
    r = local("pond", "deploy", str(project))
    assert r.code == 2, r
    lines = r.err.splitlines()
    refused = next(i for i, x in enumerate(lines) if x.startswith("error:"))
    assert lines[refused] == (f"error: deploy refused: {project}: "
                              "src/helpers.py:2: ValueError: bad config")
    shown = "\n".join(lines[refused + 1:])
    assert 'File "src/pond.py", line 2, in <module>' in shown
    assert 'File "src/helpers.py", line 2, in <module>' in shown
    assert shown.rstrip().endswith("ValueError: bad config")
    for noise in ("duckstring", "importlib", "<frozen", str(local.home), "/tmp/"):
        assert noise not in shown, noise


def test_deploy_warns_about_undeployed_sources_with_a_command_that_works(local: Cli) -> None:
    feeds = local.base / "feeds"
    for name, toml in (
        ("feed", '[pond]\nname = "feed"\nversion = "1.0.0"\ntype = "inlet"\n'),
        ("board", '[pond]\nname = "board"\nversion = "1.0.0"\n\n'
                  '[sources]\nfeed = "1.0.0"\nextra = "1.0.0?"\n'),
    ):
        (feeds / name / "src").mkdir(parents=True)
        (feeds / name / "pond.toml").write_text(toml)
        (feeds / name / "src/pond.py").write_text(
            "from duckstring import ripple\n\n@ripple\ndef make(pond):\n"
            "    pond.write_table('t', pond.con.sql('SELECT 1 AS v'))\n")
    r = local.ok("pond", "deploy", "feeds/board")  # out of order stays allowed
    assert "deployed board 1.0.0" in r.out
    warnings = [x for x in r.err.splitlines() if x.startswith("warning:")]
    assert len(warnings) == 2, r
    required = next(w for w in warnings if "feed@1" in w)
    assert "Source feed@1 is not deployed; board@1 stays blocked until it is" in required
    assert any("optional Source extra@1 is not deployed; board@1 runs without it" in w
               for w in warnings)

    pulse = local("trigger", "pulse", "board")
    assert pulse.code == 1, pulse
    assert "missing Source feed@1" in pulse.err and "feed@1 failed" not in pulse.err
    assert "hint: deploy feed@1" in pulse.err and "runs feed" not in pulse.err

    command = re.search(r"`(duckstring pond deploy [^`]+)`", required).group(1)
    assert command == "duckstring pond deploy feeds/feed"
    assert "deployed feed 1.0.0" in local.ok(*command.split()[1:]).out


def test_a_failed_pulse_shows_the_ripples_traceback_with_project_paths(local: Cli) -> None:
    project = local.base / "crashy"
    (project / "src").mkdir(parents=True)
    (project / "pond.toml").write_text('[pond]\nname = "crashy"\nversion = "1.0.0"\ntype = "inlet"\n')
    (project / "src/pond.py").write_text(
        "from duckstring import ripple\n\n\ndef check(n):\n    raise RuntimeError(f'{n} rows')\n"
        "\n\n@ripple\ndef make(pond):\n    check(0)\n")
    local.ok("pond", "deploy", str(project))
    r = local("trigger", "pulse", "crashy")
    assert r.code == 1, r
    assert 'File "src/pond.py", line 10, in make' in r.err
    assert 'File "src/pond.py", line 5, in check' in r.err
    shown = r.err[r.err.index("error:"):]
    assert "RuntimeError: 0 rows" in shown
    for noise in ("duckstring/", str(local.home)):
        assert noise not in shown, noise


def test_deploy_all_deploys_every_project_of_a_folder(local: Cli) -> None:
    local.ok("pond", "demo", "demo")
    r = local.ok("pond", "deploy", "demo", "--all")
    deployed = re.findall(r"deployed (\w+) 1\.0\.0", r.out)
    assert sorted(deployed) == ["products", "reports", "sales", "transactions"]
    assert deployed.index("sales") > max(deployed.index("transactions"), deployed.index("products"))
    assert deployed.index("reports") > deployed.index("sales")
    assert "warning" not in r.err  # each Source went before the Sinks that read it
    r = local("pond", "deploy", str(local.base / "nothing-here"), "--all")
    assert r.code == 2
