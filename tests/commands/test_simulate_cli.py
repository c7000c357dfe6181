"""`duckstring simulate` (spec/simulate.md): output on stdout, one clear error line on stderr
and exit 2 for a scenario that cannot be simulated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from duckstring.cli import app

EXAMPLES = Path(__file__).parents[2] / "examples" / "scenarios"
POND = '[[pond]]\nname = "A"\n[[pond.ripple]]\nname = "a"\n'


def simulate(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["simulate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_text_output_shows_the_timeline_and_the_summary() -> None:
    code, out, err = simulate(str(EXAMPLES / "cold-tap.toml"))
    assert code == 0 and err == ""
    assert "+0.000s  p2  ← tap" in out
    assert "+2.000s  p2  run F=+0.000s started" in out
    summary = [line.split() for line in out.splitlines() if line.startswith(("p1 ", "p2 "))]
    assert [row[:3] for row in summary] == [["p1", "3", "3"], ["p2", "1", "1"]]
    assert out.rstrip().endswith("settled at +4.000s")


def test_json_output_is_the_documented_document() -> None:
    code, out, _ = simulate(str(EXAMPLES / "cold-tap.toml"), "--json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"until", "settled_at", "ponds"}
    assert doc["settled_at"] == 4000 and len(doc["ponds"]["p1"]["runs"]) == 3
    assert doc["ponds"]["p2"]["runs"] == [{"f": 0, "started": 2000, "finished": 3000,
                                           "status": "success"}]
    assert doc["ponds"]["p2"]["final"]["status"] == "idle"


def test_until_overrides_the_scenario_clock() -> None:
    code, out, _ = simulate(str(EXAMPLES / "wave-bottleneck.toml"), "--until", "10s", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["until"] == 10_000 and doc["settled_at"] is None
    assert all(r["started"] <= 10_000 for p in doc["ponds"].values() for r in p["runs"])


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.stem)
def test_the_same_scenario_prints_byte_identical_output(path: Path) -> None:
    for flags in ((), ("--json",)):
        first, second = simulate(str(path), *flags), simulate(str(path), *flags)
        assert first[0] == 0 and first == second


def test_a_bad_until_is_a_usage_error() -> None:
    code, out, err = simulate(str(EXAMPLES / "cold-tap.toml"), "--until", "soon")
    assert code == 2 and out == ""
    assert "'soon' is not a duration" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("color = 1\n" + POND, "top level: unknown key 'color'"),
        ('[clock]\nspeed = 2\n' + POND, "[clock]: unknown key 'speed'"),
        ('[[pond]]\nname = "A"\ncolour = 1\n[[pond.ripple]]\nname = "a"\n',
         "[[pond]] #1: unknown key 'colour'"),
        ('[[pond]]\nname = "A"\n[[pond.ripple]]\nname = "a"\nspeed = 1\n',
         "[[pond]] 'A' [[pond.ripple]] #1: unknown key 'speed'"),
        (POND + '[[event]]\nat = "0s"\ndo = "tap"\npond = "A"\nfoo = 1\n',
         "[[event]] #1: unknown key 'foo'"),
        ('[[pond]]\nname = "A"\nsources = ["Z"]\n[[pond.ripple]]\nname = "a"\n',
         "[[pond]] 'A' names unknown Source 'Z'"),
        (POND + '[[event]]\nat = "0s"\ndo = "tap"\npond = "Z"\n',
         "[[event]] #1: names unknown Pond 'Z'"),
        (POND + '[[event]]\nat = "0s"\ndo = "poke"\npond = "A"\n',
         "[[event]] #1: do = 'poke' is not one of"),
        ('[[pond]]\nname = "A"\n[[pond.ripple]]\nname = "a"\nparents = ["zz"]\n',
         "[[pond]] 'A': Ripple 'a' names unknown parent 'zz'"),
        ('[[pond]]\nname = "A"\nsources = ["B"]\n[[pond.ripple]]\nname = "a"\n'
         '[[pond]]\nname = "B"\nsources = ["A"]\n[[pond.ripple]]\nname = "b"\n',
         "Sources form a cycle: A → B → A"),
        ('[[pond]]\nname = "A"\n[[pond.ripple]]\nname = "a"\nparents = ["b"]\n'
         '[[pond.ripple]]\nname = "b"\nparents = ["a"]\n',
         "[[pond]] 'A': Ripples form a cycle"),
        ('[[pond]]\nname = "A"\nsources = ["A"]\n[[pond.ripple]]\nname = "a"\n',
         "[[pond]] 'A' lists itself as a Source"),
        (POND + '[[pond]]\nname = "B"\nsources = ["A"]\n[[pond.ripple]]\nname = "b"\n'
                '[[pond.window]]\nname = "w"\nevery = "1d"\n',
         "[[pond]] 'B': has Sources, so it cannot have Windows"),
        ('[[pond]]\nname = "A"\n[[pond.ripple]]\nname = "a"\nduration = "1 fortnight"\n',
         "[[pond]] 'A' ripple 'a': duration: '1 fortnight' is not a duration"),
        ('[clock]\nuntil = "soon"\n' + POND, "[clock]: until: 'soon' is not a duration"),
        (POND + '[[pond.window]]\nname = "w"\nevery = "1h"\nduration = "2h"\n',
         "[[pond]] 'A' window 'w': Window 'w': duration is longer than every"),
        (POND + '[[pond.window]]\nname = "w"\nstart = "02:00"\nevery = "1d"\nduration = "3h"\n'
                '[[pond.window]]\nname = "v"\nstart = "03:00"\nevery = "1d"\nduration = "3h"\n',
         "[[pond]] 'A' window 'v': Window 'v' overlaps Window 'w'"),
        (POND + '[[event]]\nat = "0s"\ndo = "tide"\npond = "A"\n',
         "[[event]] #1 (tide A): a tide needs bound"),
        (POND + POND, "[[pond]] 'A' is declared twice"),
        ("[[pond]\nname = \"A\"\n", ":1: not valid TOML"),
        ("", "no [[pond]] entries"),
    ],
    ids=[
        "unknown-top-key", "unknown-clock-key", "unknown-pond-key", "unknown-ripple-key",
        "unknown-event-key", "unknown-source", "unknown-event-pond", "unknown-verb",
        "unknown-parent", "pond-cycle", "ripple-cycle", "self-source", "window-on-non-inlet",
        "bad-duration", "bad-until", "window-longer-than-every", "window-overlap",
        "tide-without-bound", "duplicate-pond", "bad-toml", "no-ponds",
    ],
)
def test_a_bad_scenario_is_one_line_naming_the_file_and_entry(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    code, out, err = simulate(str(path))
    assert code == 2 and out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith(f"error: {path}")
    assert expected in err


def test_a_missing_file_is_one_line_too(tmp_path: Path) -> None:
    code, out, err = simulate(str(tmp_path / "nope.toml"))
    assert code == 2 and out == ""
    assert err == f"error: {tmp_path / 'nope.toml'}: cannot read the scenario: No such file or directory\n"


def test_a_bad_scenario_reports_every_problem_not_only_the_first(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(
        '[clock]\nspeed = 2\n'
        '[[pond]]\nname = "A"\n[[pond.ripple]]\nname = "a"\nduration = "soon"\n'
        '[[pond]]\nname = "B"\nsources = ["A", "Q"]\n[[pond.ripple]]\nname = "b"\n'
        '[[event]]\nat = "0s"\ndo = "poke"\npond = "A"\n'
        '[[event]]\nat = "0s"\ndo = "tap"\npond = "Z"\n', encoding="utf-8")
    code, out, err = simulate(str(path))
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert all(line.startswith(f"error: {path}: ") for line in lines), err
    assert [line.split(": ", 2)[2] for line in lines] == [
        "[clock]: unknown key 'speed' (allowed: start, until)",
        "[[pond]] 'A' ripple 'a': duration: 'soon' is not a duration; use forms like 250ms, "
        "30s, 90m, 1h30m, 1d, 1w",
        "[[pond]] 'B' names unknown Source 'Q'",  # A is known although it could not be read
        "[[event]] #1: do = 'poke' is not one of tap, pulse, wave, tide, remove, wake, force, "
        "sleep, kill, clear, budget, deploy",
        "[[event]] #2: names unknown Pond 'Z'",
    ]
