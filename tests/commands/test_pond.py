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
    assert r.out.startswith("replaced hello 0.1.0")


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
    assert f"error: {project}: deploy refused" in r.err
    assert "no_such_module_here" in r.err and "Traceback" in r.err  # the author's traceback


def test_deploy_all_deploys_every_project_of_a_folder(local: Cli) -> None:
    local.ok("pond", "demo", "demo")
    r = local.ok("pond", "deploy", "demo", "--all")
    assert sorted(re.findall(r"deployed (\w+) 1\.0\.0", r.out)) == [
        "products", "reports", "sales", "transactions"]
    r = local("pond", "deploy", str(local.base / "nothing-here"), "--all")
    assert r.code == 2
