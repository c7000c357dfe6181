"""The fix-and-redeploy loop end to end: a replaced version is new code (the running Duck
reloads it), deploy says what changed and warns about Sources that are not there yet, and a
module that fails to import shows the author's own traceback."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import write_pond
from tests.e2e.harness import deploy, processes_under, settled, wait_until

TOTALS = """
    from duckstring import ripple

    @ripple
    def totals(pond):
        pond.write_table("totals", pond.con.sql("SELECT {value} AS v"))
    """


def _ducks(root: Path) -> list[int]:
    return [pid for pid in processes_under(root)
            if b"duckstring.duck" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def _pulse_and_read(client, name: str) -> list[list[object]]:
    target = client.post(f"/api/ponds/{name}/pulse").raise_for_status().json()["target"]
    wait_until(lambda: settled(client, name, target), 60, what=f"{name} to settle")
    r = client.post("/api/query", json={"pond": name, "table": "totals"})
    assert r.status_code == 200, r.text
    return r.json()["rows"]


def test_replacing_a_version_runs_the_new_code(start_catchment, tmp_path: Path) -> None:
    project = write_pond(tmp_path, "metrics", "1.0.0", TOTALS.format(value=1), kind="inlet")
    c = start_catchment()
    with c.client() as client:
        first = deploy(client, project)
        assert first.status_code == 201, first.text
        assert first.json()["replaced"] is False and first.json()["changed"] is True
        assert _pulse_and_read(client, "metrics") == [[1]]
        assert _ducks(c.root), "the line's Duck should still be up, holding the old code"

        (project / "src" / "pond.py").write_text(
            (project / "src" / "pond.py").read_text().replace("SELECT 1", "SELECT 2"))
        again = deploy(client, project)
        assert again.status_code == 201, again.text
        assert again.json()["replaced"] is True and again.json()["changed"] is True
        assert again.json()["digest"] != first.json()["digest"]
        assert _pulse_and_read(client, "metrics") == [[2]]
        runs = client.get("/api/runs", params={"pond": "metrics"}).json()["runs"]
        assert [r["executed"] for r in runs] == [True, True]  # never a pass after a replace

        same = deploy(client, project)
        assert same.status_code == 201, same.text
        assert same.json()["replaced"] is True and same.json()["changed"] is False
        assert same.json()["digest"] == again.json()["digest"]
