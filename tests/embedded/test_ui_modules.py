"""The web UI's pure modules (layout, format, store, the live loop's pacing) have unit tests
under tests/js, run with `node --test`; this runs them so the one test command covers them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is missing (apt-get install nodejs; .ci/run does)")
def test_the_ui_modules_pass_their_node_unit_tests() -> None:
    files = sorted((ROOT / "tests" / "js").glob("*.test.mjs"))
    assert files, "no tests/js/*.test.mjs"
    proc = subprocess.run([str(NODE), "--test", *map(str, files)], capture_output=True, text=True,
                          timeout=100, cwd=ROOT)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report[-6000:]
    passed = re.search(r"^# pass (\d+)", report, re.M)
    assert passed and int(passed.group(1)) > 0, report[-2000:]
