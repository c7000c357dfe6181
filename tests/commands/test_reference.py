"""Generated artefacts match the command tree (completions, man pages, the README list), the
completion scripts complete, and every command has help with an example."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from duckstring.cli import app
from duckstring.reference import completions, gendocs
from duckstring.reference.tree import load


def test_generated_files_have_not_drifted() -> None:
    stale = gendocs.drifted()
    assert not stale, (
        f"out of date: {[str(p.relative_to(gendocs.ROOT)) for p in stale]}; "
        "run `python -m duckstring.reference.gendocs`"
    )


def test_every_group_has_a_man_page_and_every_command_is_listed() -> None:
    tree = load(app)
    groups = [c.path[-1] for c in tree.children if c.is_group]
    pages = {p.name for p in (gendocs.ROOT / "man").glob("*.1")}
    assert pages == {"duckstring.1", *(f"duckstring-{g}.1" for g in groups)}
    readme = (gendocs.ROOT / "README.md").read_text()
    for node in tree.walk()[1:]:
        if not node.is_group:
            assert f"`{node.usage()}`" in readme
    assert "duckstring quickstart" in readme.split("```sh", 1)[1].split("```", 1)[0]


def test_every_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    for node in load(app).walk():
        if node.is_group and len(node.path) > 1 and node.path[-1] != "window":
            continue
        if len(node.path) == 1:
            continue
        assert "\n" not in node.short, f"{node.name}: the first help line wraps"
        if not node.is_group:
            assert "Example: " in node.help and node.name.split()[0] in node.help, node.name
        args = list(node.path[1:])
        if node.path[-2:-1] == ("window",):
            args.insert(2, "POND")
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, (node.name, result.output)


@pytest.mark.parametrize("shell", completions.SHELLS)
def test_show_completion_prints_the_committed_script(shell: str, tmp_path: Path) -> None:
    # --show-completion detects the shell; whichever it finds, the script is the committed one.
    committed = {(gendocs.ROOT / "completions" / completions.FILES[s]).read_text()
                 for s in completions.SHELLS}
    proc = subprocess.run([sys.executable, "-m", "duckstring", "--show-completion"],
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "SHELL": f"/bin/{shell}",
                               "HOME": str(tmp_path)})
    if proc.returncode == 2 and "cannot complete" in proc.stderr:
        pytest.skip("no supported shell detected here")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout in committed


@pytest.mark.parametrize("shell", completions.SHELLS)
def test_install_writes_where_the_shell_looks(shell: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    done = completions.install(shell, load(app))
    assert done[-1].startswith(f"{shell} completion installed")
    expected = completions.script(shell, load(app))
    if shell == "bash":
        assert (tmp_path / ".bash_completions/duckstring.sh").read_text() == expected
        assert "source" in (tmp_path / ".bashrc").read_text()
    elif shell == "zsh":
        assert (tmp_path / ".zfunc/_duckstring").read_text() == expected
        assert "fpath+=~/.zfunc" in (tmp_path / ".zshrc").read_text()
    else:
        folder = tmp_path / ".config/fish/completions"
        assert (folder / "duckstring.fish").read_text() == expected
        assert (folder / "ds.fish").read_text() == expected
    completions.install(shell, load(app))  # twice: the rc file is not edited again
    rc = {"bash": ".bashrc", "zsh": ".zshrc"}.get(shell)
    if rc:
        assert (tmp_path / rc).read_text().count("# duckstring completion") == 1


BASH_PROBE = """
source {script}
t() {{ COMP_WORDS=("$@"); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); COMPREPLY=(); _duckstring;
      echo "${{COMPREPLY[*]}}"; }}
t duckstring tr
t duckstring trigger ""
t duckstring trigger pulse --wa
t duckstring status -c ""
t ds catchment set-default ""
t duckstring trigger window sales ""
t duckstring query sales --json out.json --pa
t duckstring trigger pulse ""
t duckstring trigger window ""
t duckstring status -c dev s
t duckstring trigger tide sales ""
t duckstring pond remove r
"""


def test_bash_completion_completes(tmp_path: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('[catchments.dev]\nurl = "http://x"\n'
                                      '[catchments."ci"]\nurl = "http://y"\n')
    (home / "completion").mkdir()  # what the CLI caches of deployed Ponds (duckstring.known)
    (home / "completion/dev.ponds").write_text("reports\nreports@1\nsales\nsales@1\n")
    (home / "completion/ci.ponds").write_text("sales\nsales@2\n")
    probe = tmp_path / "probe.sh"
    probe.write_text(BASH_PROBE.format(script=gendocs.ROOT / "completions" / "duckstring.bash"))
    out = subprocess.run(["bash", str(probe)], capture_output=True, text=True, timeout=30,
                         env={"PATH": "/usr/bin:/bin", "DUCKSTRING_HOME": str(home)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "trigger",
        "tap pulse wave tide remove window",
        "--watch",
        "dev ci",
        "dev ci",
        "add list remove",
        "--parquet --path",  # out.json was --json's value, not a command word
        "reports reports@1 sales sales@1 sales@2",
        "reports reports@1 sales sales@1 sales@2",  # a Window's Pond comes before its verb
        "sales sales@1 sales@2",
        "",  # BOUND is not a Pond
        "reports reports@1",
    ]


def test_fish_completion_offers_deployed_ponds(tmp_path: Path) -> None:
    if shutil.which("fish") is None:
        pytest.skip("no fish")
    home = tmp_path / "home"
    (home / "completion").mkdir(parents=True)
    (home / "config.toml").write_text('[catchments.dev]\nurl = "http://x"\n')
    (home / "completion/dev.ponds").write_text("sales\nsales@1\n")
    script = gendocs.ROOT / "completions" / completions.FILES["fish"]
    probe = "; ".join(f'echo "== {line}"; complete -C "{line}"' for line in (
        "duckstring trigger pulse ", "duckstring trigger window ",
        "duckstring trigger window sales ", "ds pond remove s"))
    out = subprocess.run(["fish", "-c", f"source {script}; {probe}"], capture_output=True,
                         text=True, timeout=30, cwd=tmp_path,
                         env={"PATH": "/usr/bin:/bin", "DUCKSTRING_HOME": str(home),
                              "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    blocks = [b.strip().splitlines() for b in out.stdout.split("== ")[1:]]
    assert blocks[0][1:] == ["sales", "sales@1"]
    assert blocks[1][1:] == ["sales", "sales@1"]
    assert [w.split("\t")[0] for w in blocks[2][1:]] == ["add", "list", "remove"]
    assert blocks[3][1:] == ["sales", "sales@1"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_other_scripts_parse(shell: str) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"no {shell} here")
    path = gendocs.ROOT / "completions" / completions.FILES[shell]
    out = subprocess.run([shell, "-n", str(path)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr


def test_the_tree_is_the_app() -> None:
    command = typer.main.get_command(app)
    assert set(command.commands) == {c.path[-1] for c in load(app).children}  # type: ignore[attr-defined]
