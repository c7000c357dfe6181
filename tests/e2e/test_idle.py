"""Idle cost (issue 8 item 9): a Duck at rest after its run holds no run's memory (≤ 60 MB
resident), and a Duck with no work and no standing trigger stops after the idle period."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import write_pond
from tests.e2e.harness import alive, deploy, rss_mb, settled, wait_until

WORK = """
    from duckstring import ripple

    @ripple
    def make(pond):
        pond.write_table("t", pond.con.sql("SELECT range AS n, random() AS x FROM range(200000)"))
    """
AT_REST_MB = 60


def test_a_duck_at_rest_sheds_its_memory_and_an_idle_one_stops(
        start_catchment, tmp_path: Path) -> None:
    c = start_catchment(DUCKSTRING_DUCK_IDLE_S="8", DUCKSTRING_DUCK_REST_S="0.5")
    with c.client() as client:
        r = deploy(client, write_pond(tmp_path, "work", "1.0.0", WORK, kind="inlet"))
        assert r.status_code == 201, r.text
        target = client.post("/api/ponds/work/pulse").json()["target"]
        wait_until(lambda: settled(client, "work", target), 60, what="the run")
        pid = int((c.root / "ponds/work/m1/duck.lock").read_text() or 0)
        seen: list[float] = []

        def at_rest() -> bool:
            rss = rss_mb(pid)
            seen.append(rss or 0.0)
            return rss is not None and rss <= AT_REST_MB

        wait_until(at_rest, 7, interval=0.2, what=f"the Duck at rest to hold ≤ {AT_REST_MB} MB")
        wait_until(lambda: not alive(pid), 30, what="the idle Duck to stop")
        assert max(seen) > 0
