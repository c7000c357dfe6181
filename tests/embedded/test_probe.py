"""Reading a Pond's Ripple topology in a child process, whatever its module does."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from duckstring import manifest
from duckstring.embedded.probe import ProbeError, read_topology
from duckstring.engine.ripples import RippleSpec

TOML = '[pond]\nname = "sales"\nversion = "1.0.0"\n'


def project(tmp_path: Path, source: str, *, path: str = "src/pond.py",
            extra: dict[str, str] | None = None) -> tuple[Path, manifest.Manifest]:
    root = tmp_path / "sales"
    files = {path: source, **(extra or {})}
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    toml = TOML + (f'ripples = "{path}"\n' if path != "src/pond.py" else "")
    (root / "pond.toml").write_text(toml)
    return root, manifest.parse(toml)


GOOD = """
    from duckstring.authoring import ripple
    from helpers import OUT

    print("importing prints to stdout must not confuse the probe")

    @ripple
    def daily_sales(pond):
        open(OUT, "w").write("the body ran")

    @ripple(always_run=True)
    def price_tiers(pond):
        open(OUT, "w").write("the body ran")

    @ripple(parents=[daily_sales, price_tiers], name="join_lines")
    def join(pond):
        open(OUT, "w").write("the body ran")
"""


def test_reads_the_topology_without_running_bodies(tmp_path: Path) -> None:
    out = tmp_path / "side_effect.txt"
    root, m = project(tmp_path, GOOD, extra={"src/helpers.py": f"OUT = {str(out)!r}\n"})
    specs = read_topology(root, m)
    assert specs == [
        RippleSpec("daily_sales"),
        RippleSpec("price_tiers", always_run=True),
        RippleSpec("join_lines", ("daily_sales", "price_tiers")),
    ]
    assert not out.exists()
    assert not list(root.rglob("__pycache__"))  # the deployed source stays as uploaded


def test_missing_ripples_file_names_the_path_from_pond_toml(tmp_path: Path) -> None:
    root, m = project(tmp_path, GOOD, path="pipeline/ripples.py")
    (root / "pipeline" / "ripples.py").unlink()
    with pytest.raises(ProbeError, match=r"pipeline/ripples\.py.*pond\.toml"):
        read_topology(root, m)


BROKEN = {
    "syntax error": ("def broken(:\n    pass\n", "SyntaxError"),
    "import error": ("import no_such_module_here\n", "ModuleNotFoundError: No module named"),
    "raises at import": ("raise RuntimeError('the database is down')\n",
                         "RuntimeError: the database is down"),
    "no ripples": ("def plain(pond):\n    pass\n", "no Ripples"),
    "unknown parent": ("""
        from duckstring import authoring
        @authoring.ripple(parents=["ghost"])
        def a(pond): pass
    """, "unknown parent 'ghost'"),
    "cycle": ("""
        from duckstring.authoring import ripple
        @ripple(parents=["b"])
        def a(pond): pass
        @ripple(parents=["a"])
        def b(pond): pass
    """, "cycle"),
    "duplicate name": ("""
        from duckstring.authoring import ripple
        @ripple(name="same")
        def a(pond): pass
        @ripple(name="same")
        def b(pond): pass
    """, "same"),
    "sys.exit": ("import sys\nsys.exit(3)\n", r"sys\.exit\(3\)"),
    "os._exit": ("import os\nos._exit(0)\n", "ended the process"),
    "hard crash": ("import os, sys\nsys.stderr.write('fatal: gone\\n')\nos._exit(7)\n",
                   "exit code 7.*fatal: gone"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_module_becomes_a_probe_error(tmp_path: Path, case: str) -> None:
    source, expected = BROKEN[case]
    root, m = project(tmp_path, source)
    with pytest.raises(ProbeError, match=expected) as info:
        read_topology(root, m)
    assert "\n" not in info.value.message
    assert info.value.message.startswith("src/pond.py")  # with the line when there is one


def test_the_traceback_comes_along(tmp_path: Path) -> None:
    root, m = project(tmp_path, """
        def helper():
            raise ValueError("bad config")
        helper()
    """)
    with pytest.raises(ProbeError) as info:
        read_topology(root, m)
    assert "Traceback" in info.value.traceback
    assert "helper()" in info.value.traceback and "bad config" in info.value.traceback


def test_the_traceback_is_the_authors_own_with_project_paths(tmp_path: Path) -> None:
    root, m = project(tmp_path, """
        from duckstring import ripple
        import helpers

        @ripple
        def a(pond): pass
    """, extra={"src/helpers.py": "x = 1\nraise ValueError(f'bad config in {__file__}')\n"})
    with pytest.raises(ProbeError) as info:
        read_topology(root, m)
    assert info.value.message == "src/helpers.py:2: ValueError: bad config in src/helpers.py"
    text = info.value.traceback
    assert str(root) not in text and str(root.resolve()) not in text
    assert "duckstring" not in text and "importlib" not in text and "<frozen" not in text
    assert 'File "src/pond.py", line 3, in <module>' in text
    assert 'File "src/helpers.py", line 2, in <module>' in text
    assert text.rstrip().endswith("ValueError: bad config in src/helpers.py")


def test_a_syntax_error_names_its_file_and_line(tmp_path: Path) -> None:
    root, m = project(tmp_path, "import helpers\n", extra={"src/helpers.py": "x = 1\ndef (:\n"})
    with pytest.raises(ProbeError) as info:
        read_topology(root, m)
    assert info.value.message == "src/helpers.py:2: SyntaxError: invalid syntax"
    assert 'File "src/helpers.py", line 2' in info.value.traceback
    assert str(root) not in info.value.traceback


def daemon_module(pidfile: Path) -> str:
    """A Ripple module that starts a daemon at import (the classic double fork, leaving the
    session too) which writes its pid to `pidfile` and lives on for two minutes. The import
    waits for the pid file, so the probe's clean-up never races the daemon's start."""
    return f"""
        import os, time
        from duckstring import ripple

        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                open({str(pidfile)!r} + ".tmp", "w").write(str(os.getpid()))
                os.rename({str(pidfile)!r} + ".tmp", {str(pidfile)!r})
                time.sleep(120)
            os._exit(0)
        while not os.path.exists({str(pidfile)!r}):  # the daemon is up before import ends
            time.sleep(0.01)

        @ripple
        def a(pond): pass
    """


def test_a_daemon_forked_at_import_does_not_outlive_the_probe(tmp_path: Path) -> None:
    pidfile = tmp_path / "daemon.pid"
    root, m = project(tmp_path, daemon_module(pidfile))
    assert read_topology(root, m, timeout=20) == [RippleSpec("a")]
    assert wait_for(pidfile.exists), "the daemon never started"
    daemon = int(pidfile.read_text())
    assert wait_for(lambda: not alive(daemon)), f"daemon {daemon} outlived the probe"


def test_a_hanging_module_with_a_daemon_leaves_nothing_running(tmp_path: Path) -> None:
    pidfile = tmp_path / "daemon.pid"
    root, m = project(tmp_path, f"""
        import os, time
        if os.fork() == 0:
            os.setsid()
            open({str(pidfile)!r} + ".tmp", "w").write(str(os.getpid()))
            os.rename({str(pidfile)!r} + ".tmp", {str(pidfile)!r})
            time.sleep(120)
            os._exit(0)
        time.sleep(120)
    """)
    with pytest.raises(ProbeError, match="longer than 6 s"):
        read_topology(root, m, timeout=6)
    assert pidfile.exists(), "the daemon never started"
    daemon = int(pidfile.read_text())
    assert wait_for(lambda: not alive(daemon)), f"daemon {daemon} outlived the probe"


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def wait_for(check, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    return check()


def test_a_hanging_module_times_out(tmp_path: Path) -> None:
    root, m = project(tmp_path, "import time\ntime.sleep(60)\n")
    started = time.monotonic()
    with pytest.raises(ProbeError, match="longer than 1 s"):
        read_topology(root, m, timeout=1)
    assert time.monotonic() - started < 10


def test_threads_left_running_do_not_hold_the_probe(tmp_path: Path) -> None:
    root, m = project(tmp_path, """
        import threading, time
        from duckstring.authoring import ripple
        threading.Thread(target=lambda: time.sleep(60)).start()
        @ripple
        def a(pond): pass
    """)
    started = time.monotonic()
    assert read_topology(root, m, timeout=20) == [RippleSpec("a")]
    assert time.monotonic() - started < 10
