"""The README's "Use it" block works as written right after `quickstart`: each line is taken
literally from README.md and run by bash in a fresh DUCKSTRING_HOME, one after the other (a
`cd` carries over), with real Catchments and Ducks; the live view that runs "until Ctrl+C"
gets a Ctrl+C once it shows the new Pond. Every process is gone at the end."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

from duckstring.demo import PONDS
from duckstring.reference.gendocs import ROOT
from tests.commands.conftest import Cli, assert_nothing_running
from tests.e2e.harness import free_port

CWD_MARK = "__cwd__="


def block(title: str) -> list[str]:
    """The command lines of the first ```sh block under the `## {title}` heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"\n## {title}\n", 1)[1]
    body = section.split("```sh\n", 1)[1].split("\n```", 1)[0]
    return [line for line in body.splitlines() if line.strip()]


def command(line: str) -> str:
    """The line without its trailing `# comment`."""
    return re.sub(r"\s+#\s.*$", "", line).strip()


def run_line(cli: Cli, cwd: Path, line: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    script = f"{command(line)}\necho {CWD_MARK}\"$PWD\""
    proc = subprocess.run(["bash", "-ec", script], cwd=cwd, env=cli.env, capture_output=True,
                          text=True, timeout=150, stdin=subprocess.DEVNULL)
    marks = [m for m in proc.stdout.splitlines() if m.startswith(CWD_MARK)]
    return proc, Path(marks[-1][len(CWD_MARK):]) if marks else cwd


def until_ctrl_c(cli: Cli, cwd: Path, line: str, expect: str) -> str:
    proc = subprocess.Popen(["bash", "-c", f"exec {command(line)}"], cwd=cwd, env=cli.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    seen = ""
    deadline = time.monotonic() + 90
    assert proc.stdout is not None
    while expect not in seen and time.monotonic() < deadline:
        chunk = proc.stdout.readline()
        if not chunk and proc.poll() is not None:
            break
        seen += chunk
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert expect in seen, f"{line}: {seen}{out}\n--- stderr\n{err}"
    assert proc.returncode == 0, f"{line}: exit {proc.returncode}\n{err}"
    return seen + out


def test_the_use_it_block_works_after_quickstart(cli: Cli) -> None:
    lines = block("Use it")
    names = set(re.findall(r"pond init (\w+)", "\n".join(lines)))
    assert names and not names & set(PONDS), "the example must not share a demo Pond's name"
    (pond,) = names

    cli.ok("quickstart", "--port", str(free_port()), timeout=150)
    cwd = cli.base
    outputs = []
    for line in lines:
        if "until Ctrl+C" in line:
            outputs.append(until_ctrl_c(cli, cwd, line, expect=f"{pond}@0"))
            continue
        proc, cwd = run_line(cli, cwd, line)
        assert proc.returncode == 0, f"{line}\nexit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        outputs.append(proc.stdout + proc.stderr)
    text = "\n".join(outputs)
    assert f"✓ {pond}@0 is fresh as of" in text
    assert "81" in text, "the query printed the Pond's table"
    assert cwd == cli.base / pond
    for name in ("demo", "dev"):
        assert_nothing_running(cli.home / name)
