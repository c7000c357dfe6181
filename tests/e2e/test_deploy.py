"""The fix-and-redeploy loop end to end: a replaced version is new code (the running Duck
reloads it), deploy says what changed and warns about Sources that are not there yet, and a
module that fails to import shows the author's own traceback."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import write_pond
from tests.e2e.harness import deploy, pond, processes_under, settled, wait_until

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


def test_deploy_warns_about_missing_sources_and_shows_clean_tracebacks(start_catchment,
                                                                       tmp_path: Path) -> None:
    c = start_catchment()
    with c.client() as client:
        sink = write_pond(tmp_path, "board", "1.0.0", TOTALS.format(value=1),
                          sources={"feed": "1.2.0", "extra": "1.0.0?"})
        r = deploy(client, sink)
        assert r.status_code == 201, r.text  # deploying out of order stays allowed
        assert r.json()["warnings"] == [
            "Source feed@1 is not deployed; board@1 stays blocked until it is",
            "optional Source extra@1 is not deployed; board@1 runs without it"]
        assert [m["line"] for m in r.json()["missing_sources"]] == ["feed@1", "extra@1"]

        broken = write_pond(tmp_path, "broken", "1.0.0", """
            from duckstring import ripple
            import helpers
            """, kind="inlet")
        (broken / "src" / "helpers.py").write_text("LIMIT = 3\nraise ValueError('bad config')\n")
        r = deploy(client, broken)
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["message"] == "src/helpers.py:2: ValueError: bad config"
        assert 'File "src/pond.py", line 3, in <module>' in err["traceback"]
        assert 'File "src/helpers.py", line 2, in <module>' in err["traceback"]
        for noise in (str(c.root), "duckstring", "<frozen"):
            assert noise not in err["traceback"], noise
        assert not (c.root / "ponds" / "broken").exists()

        crashy = write_pond(tmp_path, "crashy", "1.0.0", """
            from duckstring import ripple


            def check(n):
                raise RuntimeError(f"{n} rows")


            @ripple
            def make(pond):
                pond.log.info("checking")
                check(0)
            """, kind="inlet")
        assert deploy(client, crashy).status_code == 201
        client.post("/api/ponds/crashy/pulse").raise_for_status()
        wait_until(lambda: pond(client, "crashy")["status"] == "failed", 60, what="the failure")
        run = client.get("/api/runs", params={"pond": "crashy", "ripples": "true"}).json()["runs"][0]
        attempt = run["ripples"][0]
        assert attempt["error"] == "RuntimeError: 0 rows"
        assert 'File "src/pond.py", line 12, in make' in attempt["traceback"]
        assert 'File "src/pond.py", line 6, in check' in attempt["traceback"]
        for noise in (str(c.root), "duckstring"):
            assert noise not in attempt["traceback"], noise
