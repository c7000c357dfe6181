"""`GET /api/runs` in-process: the list leaves the attempts out unless asked, and `?run=ID`
answers one run with its attempts (what the web UI fetches when a run is opened)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import falcon
import falcon.testing
import pytest

from duckstring.embedded.store import runs


@pytest.fixture
def app(tmp_path: Path) -> Iterator[falcon.App]:
    from duckstring.embedded.app import Catchment, create_app
    from duckstring.embedded.settings import Settings

    app = create_app(Catchment.open(Settings(root=tmp_path / "root")))
    yield app
    app.catchment.close()


def record(app: falcon.App, f: int, status: str) -> int:
    with app.catchment.store.transaction() as conn:
        run_id = runs.begin(conn, "feed@1", "feed", 1, "1.0.0", f, True, f)
        runs.attempt_finished(conn, "feed@1", f, "load", 1, status, f + 5, error=f"{status} at {f}",
                              traceback="Traceback ...", log="a line\n")
        runs.finish(conn, "feed@1", f, status, f + 6, error=f"{status} at {f}")
    return run_id


def test_the_list_leaves_attempts_out_and_a_run_id_answers_that_run_with_them(app: falcon.App) -> None:
    first = record(app, 1_000, "failed")
    second = record(app, 2_000, "success")

    listed = falcon.testing.simulate_get(app, "/api/runs").json["runs"]
    assert [r["run_id"] for r in listed] == [second, first]
    assert all("ripples" not in r for r in listed)

    got = falcon.testing.simulate_get(app, "/api/runs", params={"run": first, "ripples": "true"})
    assert got.status_code == 200
    [run] = got.json["runs"]
    assert run["run_id"] == first and run["status"] == "failed"
    assert run["traceback"] == "Traceback ..."
    assert [(a["ripple"], a["status"], a["log"]) for a in run["ripples"]] == [("load", "failed", "a line\n")]

    assert falcon.testing.simulate_get(app, "/api/runs", params={"run": 999}).json["runs"] == []
    bad = falcon.testing.simulate_get(app, "/api/runs", params={"run": "latest"})
    assert bad.status_code == 400
