"""Registrations in config.toml: mode 0600, comments kept, resolution order, corrupt files
reported and never overwritten, and catchment list / set-default / disconnect (--purge); in
process, but for `catchment init` serving in the foreground (a subprocess and Ctrl+C)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from duckstring.cli_errors import CliError
from duckstring.config import CATCHMENT_ENV, Config, Registration
from tests.commands.conftest import make_cli
from tests.commands.inprocess import InProcess


@pytest.fixture
def cli(runner: InProcess) -> InProcess:
    """These commands need no running Catchment: they run in process (Typer's runner)."""
    return runner


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def init(cli: InProcess, name: str, *extra: str) -> Path:
    r = cli.ok("catchment", "init", "-n", name, "--no-start", *extra)
    assert "Traceback" not in r.out + r.err
    return cli.home / name


def test_init_writes_a_0600_file_with_the_generated_key(cli: InProcess) -> None:
    r = cli.ok("catchment", "init", "-n", "dev", "-p", "7999", "--generate-key", "--no-start", "-y")
    config = cli.home / "config.toml"
    assert mode(config) == 0o600
    reg = Config.load(config).get("dev")
    assert reg.key and len(reg.key) >= 32
    assert r.out.count(reg.key) == 1, "the generated key is printed exactly once"
    assert reg.root == cli.home / "dev" and reg.root.is_dir()
    assert Config.load(config).default == "dev"
    assert not any(mode(p) & 0o077 for p in cli.home.glob(".config.toml*"))  # no stray temp file


def test_key_and_generate_key_are_exclusive(cli: InProcess) -> None:
    r = cli("catchment", "init", "-n", "dev", "--key", "k", "--generate-key", "--no-start")
    assert r.code == 2
    assert "mutually exclusive" in r.err
    assert not (cli.home / "config.toml").exists()


def test_a_looser_file_is_set_back_to_0600_with_a_warning(cli: InProcess) -> None:
    init(cli, "dev")
    config = cli.home / "config.toml"
    os.chmod(config, 0o644)
    r = cli.ok("catchment", "list")
    assert "warning:" in r.err and "0644" in r.err
    assert mode(config) == 0o600


def test_comments_survive_edits(cli: InProcess) -> None:
    config = cli.home / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('# my Catchments\n\n[catchments.prod]  # the big one\nurl = "https://x.example"\n')
    os.chmod(config, 0o600)
    init(cli, "dev")
    cli.ok("catchment", "set-default", "dev")
    text = config.read_text()
    assert "# my Catchments" in text and "# the big one" in text
    assert text.index('default = "dev"') < text.index("[catchments.prod]")
    assert set(Config.load(config).registrations()) == {"prod", "dev"}


@pytest.mark.parametrize(("content", "line", "what"), [
    ('default = "dev"\n\n[catchments.dev\nurl = "http://x"\n', 3, "not valid TOML"),
    ('default = "dev"\n\n[catchments.dev]\nroot = "/tmp/x"\n', 3, "needs url"),
    ('[catchments.dev]\nurl = "http://x"\nheaders = "Authorization: x"\n', 3, "headers"),
])
def test_a_corrupt_file_is_named_with_its_line_and_left_untouched(
        cli: InProcess, content: str, line: int, what: str) -> None:
    config = cli.home / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(content)
    os.chmod(config, 0o600)
    before = config.stat().st_mtime_ns
    for args in (["status", "--once"], ["catchment", "list"],
                 ["catchment", "init", "-n", "x", "--no-start"], ["catchment", "set-default", "dev"]):
        r = cli(*args)
        assert r.code == 2, r
        assert f"{config}:{line}" in r.err and what in r.err, r
        assert "Traceback" not in r.err
        assert len(r.err.strip().splitlines()) == 1, "one line"
    assert config.read_text() == content
    assert config.stat().st_mtime_ns == before


def test_no_registration_says_how_to_create_one(cli: InProcess) -> None:
    r = cli("trigger", "pulse", "reports")
    assert r.code == 2
    assert "no Catchment is registered" in r.err and "catchment init" in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    cfg = Config.load(path)
    cfg.add(Registration("a", "http://127.0.0.1:1"))
    cfg.save()
    monkeypatch.delenv(CATCHMENT_ENV, raising=False)
    assert Config.load(path).resolve().name == "a"  # the only one
    cfg.add(Registration("b", "http://127.0.0.1:2"))
    cfg.add(Registration("c", "http://127.0.0.1:3"))
    cfg.save()
    with pytest.raises(CliError, match="none is the default"):
        Config.load(path).resolve()
    cfg.set_default("b")
    cfg.save()
    assert Config.load(path).resolve().name == "b"  # the default
    monkeypatch.setenv(CATCHMENT_ENV, "c")
    assert Config.load(path).resolve().name == "c"  # the environment
    assert Config.load(path).resolve("a").name == "a"  # -c wins
    with pytest.raises(CliError, match="no Catchment named 'zz'"):
        Config.load(path).resolve("zz")


def test_several_without_a_default_is_a_usage_error(cli: InProcess) -> None:
    config = cli.home / "config.toml"
    cfg = Config.load(config)
    cfg.add(Registration("a", "http://127.0.0.1:1"))
    cfg.add(Registration("b", "http://127.0.0.1:2"))
    cfg.save()
    r = cli("status", "--once")
    assert r.code == 2 and "-c NAME" in r.err and "set-default" in r.err


def test_list_set_default_disconnect_and_purge(cli: InProcess) -> None:
    dev = init(cli, "dev")
    ci = init(cli, "ci", "-y")  # -y accepts making it the default
    (ci / "marker").write_text("x")
    r = cli.ok("catchment", "list")
    assert "● ci" in " ".join(r.out.split()) or any(
        line.split()[:2] == ["●", "ci"] for line in r.out.splitlines())
    doc = json.loads(cli.ok("catchment", "list", "--json").out)
    assert doc["default"] == "ci"
    assert {c["name"]: (c["local"], c["reachable"]) for c in doc["catchments"]} == {
        "dev": (True, False), "ci": (True, False)}

    cli.ok("catchment", "set-default", "dev")
    assert Config.load(cli.home / "config.toml").default == "dev"
    r = cli("catchment", "set-default", "nope")
    assert r.code == 2 and "no Catchment named 'nope'" in r.err

    r = cli.ok("catchment", "disconnect", "ci")  # no terminal: the root is kept
    assert "its root stays" in r.err and (ci / "marker").exists()
    assert "ci" not in Config.load(cli.home / "config.toml").registrations()

    r = cli.ok("catchment", "disconnect", "dev", "--purge")
    assert not dev.exists()
    assert "deleted" in r.out
    assert Config.load(cli.home / "config.toml").registrations() == {}
    assert mode(cli.home / "config.toml") == 0o600


def test_init_serves_in_the_foreground_until_ctrl_c(tmp_path: Path) -> None:
    import httpx

    from tests.commands.conftest import assert_nothing_running, stop
    from tests.e2e.harness import free_port, wait_until

    cli = make_cli(tmp_path)

    port = free_port()
    proc = cli.popen("catchment", "init", "-n", "fg", "-p", str(port), "-y")

    def up() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(up, timeout=30, what="catchment init to serve")
    again = cli("catchment", "start", "fg")
    assert again.code == 1 and "already running" in again.err
    code, out, err = stop(proc)
    assert code == 0, err
    assert "serving on" in out and "stopped" in err
    assert_nothing_running(cli.home / "fg")
