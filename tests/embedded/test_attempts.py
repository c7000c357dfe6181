"""Every attempt in the history ends final, and a run's attempts tell its story (issue 8
item 7): the Duck's reports of attempts it lost, and its late word on one we failed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import falcon
import pytest

from duckstring import protocol
from duckstring.embedded.store import runs

LINE, F = "feed@1", 1_000


@pytest.fixture
def app(tmp_path: Path) -> Iterator[falcon.App]:
    from duckstring.embedded.app import Catchment, create_app
    from duckstring.embedded.settings import Settings

    app = create_app(Catchment.open(Settings(root=tmp_path / "root")))
    yield app
    app.catchment.close()


def started(app: falcon.App, *attempts: int) -> None:
    with app.catchment.store.transaction() as conn:
        runs.begin(conn, LINE, "feed", 1, "1.0.0", F, True, F)
        for n in attempts:
            runs.attempt_started(conn, LINE, F, "load", n, F + n)


def attempts(app: falcon.App) -> list[tuple[int, str, str | None]]:
    with app.catchment.store.transaction() as conn:
        [run] = runs.history(conn, lines=[LINE], status=None, limit=1, with_ripples=True)
    return [(a["attempt"], a["status"], a["error"]) for a in run["ripples"]]


def test_an_attempt_the_duck_reports_lost_ends_failed_with_the_reason(app: falcon.App) -> None:
    started(app, 1)
    lost = {"type": protocol.RIPPLE_LOST, "f": F, "ripple": "load", "attempt": 1, "at": F + 9,
            "error": "the Duck left during the attempt (shutdown requested)"}
    assert protocol.check_event(lost) is None
    app.catchment.coordinator.ingest(LINE, [lost])
    assert attempts(app) == [(1, "failed", "the Duck left during the attempt (shutdown requested)")]
    app.catchment.coordinator.ingest(LINE, [dict(lost, error="replayed")])  # idempotent
    assert attempts(app) == [(1, "failed", "the Duck left during the attempt (shutdown requested)")]


def test_a_late_success_overrides_the_failure_we_guessed_for_a_lost_duck(app: falcon.App) -> None:
    started(app, 1)
    with app.catchment.store.transaction() as conn:
        runs.fail_running_attempts(conn, LINE, F + 5, "the Duck process is gone")
        assert runs.attempt_finished(conn, LINE, F, "load", 1, "success", F + 3)
        assert not runs.attempt_finished(conn, LINE, F, "load", 1, "failed", F + 7, error="late")
        runs.finish(conn, LINE, F, "success", F + 8)
    assert attempts(app) == [(1, "success", None)]  # not a success run with only a failure


def test_a_reported_failure_is_not_overwritten_by_a_replay(app: falcon.App) -> None:
    started(app, 1)
    with app.catchment.store.transaction() as conn:
        assert runs.attempt_finished(conn, LINE, F, "load", 1, "failed", F + 3, error="boom")
        assert not runs.attempt_finished(conn, LINE, F, "load", 1, "failed", F + 3, error="boom")
    assert attempts(app) == [(1, "failed", "boom")]
