"""Settings from the environment: each declared once, read through one path, documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from duckstring.config import CliSettings
from duckstring.duck.worker import DuckSettings
from duckstring.embedded.settings import MB, Settings
from duckstring.env_settings import declared
from duckstring.lake.retention import Retention

DOCS = Path(__file__).parent.parent / "docs" / "operating.md"


def test_an_empty_environment_leaves_every_default(tmp_path: Path) -> None:
    s = Settings.from_env({"DUCKSTRING_ROOT": str(tmp_path)})
    assert s == Settings(root=tmp_path)
    assert DuckSettings.from_env({}) == DuckSettings()
    assert Settings.from_env({}).root == Path("./.duckstring").absolute()


def test_variables_are_parsed_clamped_and_scaled(tmp_path: Path) -> None:
    env = {"DUCKSTRING_ROOT": "~/r", "DUCKSTRING_CATCHMENT_URL": "http://h:1//",
           "DUCKSTRING_API_KEY": "", "DUCKSTRING_LIVENESS_S": "2.5",
           "DUCKSTRING_MAX_UPLOAD_MB": "1.5", "DUCKSTRING_QUERY_MEMORY_MB": "3",
           "DUCKSTRING_QUERY_CONCURRENCY": "0", "DUCKSTRING_ALERT_RETRY_S": "0",
           "DUCKSTRING_POLL_SLOTS": "7.9", "DUCKSTRING_SMTP_URL": "smtp://u:p@h"}
    s = Settings.from_env(env, stuck_s=1.0)
    assert s.root == Path("~/r").expanduser().absolute()
    assert s.catchment_url == "http://h:1" and s.api_key is None
    assert (s.liveness_s, s.max_upload_bytes, s.query_memory_mb) == (2.5, int(1.5 * MB), 16)
    assert (s.query_concurrency, s.alert_retry_s, s.poll_slots) == (1, 0.01, 7)
    assert s.stuck_s == 1.0 and "smtp://" not in repr(s)
    d = DuckSettings.from_env({"DUCKSTRING_DUCK_THREADS": "0", "DUCKSTRING_ORPHAN_S": "9"})
    assert (d.threads, d.orphan_s) == (1, 9.0)
    keep = Retention.from_env({"DUCKSTRING_RETENTION_DAYS": "-1",
                               "DUCKSTRING_RETENTION_VERSIONS": "0"})
    assert (keep.days, keep.versions) == (0.0, 1)
    assert Retention.from_env({"DUCKSTRING_RETENTION_DAYS": ""}) == Retention()
    cli = CliSettings.from_env({"DUCKSTRING_HOME": "~/h", "DUCKSTRING_DEBUG": "0"})
    assert cli.home == Path("~/h").expanduser().absolute() and not cli.debug
    assert CliSettings.from_env({"DUCKSTRING_DEBUG": "1"}).debug


def test_a_bad_number_stops_with_one_line_naming_the_variable() -> None:
    with pytest.raises(SystemExit, match=r"^error: DUCKSTRING_LIVENESS_S='soon' is not a number$"):
        Settings.from_env({"DUCKSTRING_LIVENESS_S": "soon"})


def _documented() -> dict[str, str]:
    text = DOCS.read_text().split("## 10. Settings and limits", 1)[1]
    return {m[1]: m[2].strip() for m in re.finditer(r"^\| `(DUCKSTRING_\w+)` \|.*\| ([^|]+) \|$",
                                                   text, re.MULTILINE)}


@pytest.mark.parametrize("cls", [Settings, DuckSettings, Retention, CliSettings])
def test_the_operating_guide_lists_each_variable_with_its_default(cls: type) -> None:
    documented = _documented()
    for var, (name, default) in declared(cls).items():
        assert var in documented, f"{var} ({cls.__name__}.{name}) is not in operating.md §10"
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            shown = default / MB if var.endswith("_MB") and default >= MB else default
            first = documented[var].split()[0]
            assert float(first) == shown, f"{var}: docs say {first}, the code {shown}"
