"""The job loop against an in-memory channel: runs, retries, resume, replay, kill, versions."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from duckstring.duck import ledger as L
from duckstring.engine.executor import Run
from tests.duck.duckkit import F1, F2, F3, FakeChannel, begin, deploy

pytestmark = pytest.mark.timeout(30)

DIAMOND = """
    import json, os
    from pathlib import Path
    from duckstring import ripple

    TRACE = Path(os.environ.get("TRACE_FILE", os.devnull))

    def trace(pond, ripple):
        with TRACE.open("a") as fh:
            fh.write(json.dumps({"ripple": ripple, "f": pond.f.isoformat(),
                                 "previous_f": pond.previous_f and pond.previous_f.isoformat(),
                                 "sources_changed": pond.sources_changed()}) + "\\n")

    @ripple
    def a(pond):
        trace(pond, "a")
        pond.log.info("a at %s", pond.f.isoformat())
        pond.write_table("ta", pond.con.sql("SELECT range AS x FROM range(3)"))

    @ripple
    def b(pond):
        trace(pond, "b")
        pond.write_table("tb", pond.con.sql("SELECT 'b' AS y"))

    @ripple(parents=[a, b])
    def c(pond):
        trace(pond, "c")
        pond.write_table("tc", pond.con.sql("SELECT count(*) AS n FROM ta, tb"))
"""


@pytest.fixture
def trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "trace.jsonl"
    monkeypatch.setenv("TRACE_FILE", str(path))
    return path


def traced(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def finished(f: int):
    return lambda evs: any(e["type"] in ("run_finished", "run_rejected") and e["f"] == f
                           for e in evs)


def test_a_run_executes_in_topological_order_then_publishes(layout, channel, start, trace):
    deploy(layout, "p", "1.0.0", DIAMOND)
    duck = start()
    channel.send(begin(F1))
    channel.wait_for(finished(F1))
    evs = [e for e in channel.events if e["type"] != "heartbeat"]
    kinds = [(e["type"], e.get("ripple")) for e in evs]
    assert kinds.index(("ripple_succeeded", "a")) < kinds.index(("ripple_started", "c"))
    assert kinds.index(("ripple_succeeded", "b")) < kinds.index(("ripple_started", "c"))
    assert kinds[-1] == ("run_finished", None)
    done = channel.of("run_finished")[0]
    assert done["changed"] is True
    assert done["tables"]["ta"] == {"rows": 3, "columns": {"x": "BIGINT"}, "version": 0}
    assert done["tables"]["tc"]["rows"] == 1
    assert all(e["attempt"] == 1 for e in channel.of("ripple_started"))
    a_ok = next(e for e in channel.of("ripple_succeeded") if e["ripple"] == "a")
    assert "INFO a at 2026-01-05T08:00:00+00:00" in a_ok["log"]
    assert (layout.data_dir("p", 1) / "tc" / "_delta_log").is_dir()
    assert [t["previous_f"] for t in traced(trace)] == [None] * 3

    channel.send(begin(F2, sources_changed=False))
    channel.wait_for(finished(F2))
    second = [t for t in traced(trace) if t["f"].startswith("2026-01-05T08:01")]
    assert {t["previous_f"] for t in second} == {"2026-01-05T08:00:00+00:00"}
    assert {t["sources_changed"] for t in second} == {False}
    # same tables, same bytes: nothing changed
    assert channel.of("run_finished")[1]["changed"] is False
    assert duck.stop() == 0


def test_an_immediate_retry_runs_inside_the_run(layout, channel, start, tmp_path):
    marker = tmp_path / "failed-once"
    deploy(layout, "p", "1.0.0", f"""
        from pathlib import Path
        from duckstring import ripple

        @ripple
        def flaky(pond):
            m = Path({str(marker)!r})
            if not m.exists():
                m.touch()
                raise RuntimeError("first attempt\\nfails")
            pond.write_table("t", pond.con.sql("SELECT 1 AS x"))
    """, retries=1)
    start()
    channel.send(begin(F1, retries=1))
    channel.wait_for(finished(F1))
    failed = channel.of("ripple_failed")
    assert [(e["ripple"], e["attempt"]) for e in failed] == [("flaky", 1)]
    assert failed[0]["error"] == "RuntimeError: first attempt fails"
    assert 'raise RuntimeError("first attempt' in failed[0]["traceback"]
    assert "duckstring/duck" not in failed[0]["traceback"]
    assert [e["attempt"] for e in channel.of("ripple_succeeded")] == [2]


def test_a_failure_without_budget_gives_the_run_up(layout, channel, start):
    deploy(layout, "p", "1.0.0", """
        from duckstring import ripple

        @ripple
        def boom(pond):
            pond.con.sql("SELECT * FROM no_such_table")
    """)
    duck = start()
    channel.send(begin(F1))
    channel.wait_for(lambda evs: any(e["type"] == "ripple_failed" for e in evs))
    time.sleep(0.2)
    assert channel.of("run_finished") == []
    assert "CatalogException" in channel.of("ripple_failed")[0]["error"]
    duck.stop()
    assert L.Ledger(layout.ledger("p", 1)).run(F1).status == L.FAILED


def test_resume_reruns_only_the_ripples_that_had_not_completed(layout, channel, start, trace):
    deploy(layout, "p", "1.0.0", DIAMOND)
    # a previous Duck finished `a` and `b` at F1, then died before `c`
    ledger = L.Ledger(layout.ledger("p", 1))
    ledger.begin_run(F1, "1.0.0", 0, False, True, F1)
    for r in ("a", "b"):
        ledger.start_attempt(F1, r, "1.0.0", F1)
        ledger.finish_attempt(F1, r, 1, "succeeded", F1)
        ledger.checkpoint(r, "1.0.0", F1, F1)
    ledger.start_attempt(F1, "c", "1.0.0", F1)  # in flight when it died
    ledger.close()
    from duckstring.duck.registry import Registry

    reg = Registry(layout.registry("p", 1))
    reg.con.execute("CREATE TABLE ta AS SELECT 1 AS x; CREATE TABLE tb AS SELECT 'b' AS y")
    reg.close()

    start()
    time.sleep(0.1)
    assert channel.of("ripple_started") == []  # nothing resumes on its own
    channel.send(begin(F1))
    channel.wait_for(finished(F1))
    assert [t["ripple"] for t in traced(trace)] == ["c"]
    assert [(e["ripple"], e["attempt"]) for e in channel.of("ripple_started")] == [("c", 2)]


def test_a_published_run_is_reported_again_not_rerun_unless_forced(layout, channel, start, trace):
    deploy(layout, "p", "1.0.0", DIAMOND)
    start()
    channel.send(begin(F1))
    channel.wait_for(finished(F1))
    first = channel.of("run_finished")[0]
    channel.events.clear()
    channel.send(begin(F1))
    channel.wait_for(finished(F1))
    assert channel.of("ripple_started") == []
    assert channel.of("run_finished") == [first]
    assert len(traced(trace)) == 3

    channel.events.clear()
    channel.send(begin(F1, force=True))
    channel.wait_for(finished(F1))
    assert sorted((e["ripple"], e["attempt"]) for e in channel.of("ripple_started")) == [
        ("a", 2), ("b", 2), ("c", 2)]
    assert len(traced(trace)) == 6


def test_skip_reports_no_change(layout, channel, start):
    deploy(layout, "p", "1.0.0", """
        from duckstring import ripple

        @ripple
        def a(pond):
            pond.write_table("t", pond.con.sql(f"SELECT '{pond.f.isoformat()}' AS at"))
            pond.skip()
    """)
    start()
    channel.send(begin(F1))
    channel.wait_for(finished(F1))
    assert channel.of("run_finished")[0]["changed"] is False


def test_events_wait_in_the_outbox_while_the_catchment_is_away(layout, channel, start):
    deploy(layout, "p", "1.0.0", DIAMOND)
    duck = start()
    channel.send(begin(F1))
    channel.wait_for(lambda evs: any(e["type"] == "ripple_started" for e in evs))
    channel.down = True
    time.sleep(0.5)
    channel.down = False
    channel.wait_for(finished(F1))
    kinds = [e["type"] for e in channel.events if e["type"] != "heartbeat"]
    assert kinds.count("ripple_succeeded") == 3 and kinds[-1] == "run_finished"
    duck.stop()
    assert L.Ledger(layout.ledger("p", 1)).outbox_size() == 0


def test_kill_interrupts_duckdb_and_the_next_run_proceeds(layout, channel, start):
    deploy(layout, "p", "1.0.0", """
        from duckstring import ripple

        @ripple
        def slow(pond):
            if pond.f.minute == 0:
                pond.con.sql("SELECT count(*) FROM range(100000000000) a").fetchall()
            pond.write_table("t", pond.con.sql("SELECT 1 AS x"))
    """)
    duck = start()
    channel.send(begin(F1))
    channel.wait_for(lambda evs: any(e["type"] == "ripple_started" for e in evs))
    time.sleep(0.2)
    channel.send({"type": "kill"})
    time.sleep(0.3)
    ledger = L.Ledger(layout.ledger("p", 1))
    assert ledger.run(F1).status == L.KILLED
    assert ledger.attempts(F1)[0]["status"] == "killed"
    channel.send(begin(F2))
    channel.wait_for(finished(F2))
    assert channel.of("ripple_failed") == []  # a killed attempt reports nothing
    assert duck.thread.is_alive()


def test_kill_leaves_when_a_ripple_will_not_stop(layout, channel, start):
    deploy(layout, "p", "1.0.0", """
        import time
        from duckstring import ripple

        @ripple
        def sleepy(pond):
            time.sleep(3)
    """)
    duck = start(kill_grace_s=0.3)
    channel.send(begin(F1))
    channel.wait_for(lambda evs: any(e["type"] == "ripple_started" for e in evs))
    t0 = time.monotonic()
    channel.send({"type": "kill"})
    duck.thread.join(5)
    assert not duck.thread.is_alive() and duck.code == 0
    assert time.monotonic() - t0 < 3
    assert duck.reexecs == []
    duck.worker.pool.shutdown(wait=False, cancel_futures=True)


def test_a_new_version_waits_for_inflight_work_then_reexecs(layout, channel, start):
    deploy(layout, "p", "1.0.0", DIAMOND)
    deploy(layout, "p", "1.1.0", DIAMOND)
    duck = start()
    channel.send(begin(F1), begin(F2, version="1.1.0"), begin(F3, version="1.1.0"))
    channel.wait_for(finished(F1))
    duck.thread.join(10)
    assert duck.reexecs == [True]
    assert channel.of("run_finished")[0]["f"] == F1
    assert not any(e.get("f") in (F2, F3) for e in channel.events)
    pid = __import__("os").getpid()
    ledger = L.Ledger(layout.ledger("p", 1))
    assert [j["f"] for j in ledger.take_handover(pid)] == [F2, F3]


def test_the_same_version_with_another_digest_reloads(layout, channel, start):
    deploy(layout, "p", "1.0.0", DIAMOND)
    duck = start()
    channel.send(begin(F1, digest="sha256:old"), begin(F2, digest="sha256:old"),
                 begin(F3, digest="sha256:new"))
    channel.wait_for(finished(F2))
    duck.thread.join(10)
    assert duck.reexecs == [True]  # the replaced version's code is loaded by a fresh process
    assert not any(e.get("f") == F3 for e in channel.events)
    ledger = L.Ledger(layout.ledger("p", 1))
    assert [j["f"] for j in ledger.take_handover(__import__("os").getpid())] == [F3]


def test_handed_over_jobs_run_first_after_reexec(layout, channel, start):
    deploy(layout, "p", "1.1.0", DIAMOND)
    ledger = L.Ledger(layout.ledger("p", 1))
    ledger.hand_over(__import__("os").getpid(), [begin(F2, version="1.1.0")])
    ledger.close()
    start()
    channel.wait_for(finished(F2))


def test_a_version_that_cannot_load_reports_the_run_stuck(layout, channel, start):
    deploy(layout, "p", "1.0.0", "import no_such_module\n")
    start()
    channel.send(begin(F1))
    channel.wait_for(lambda evs: any(e["type"] == "stuck" for e in evs))
    assert "cannot load p 1.0.0: ModuleNotFoundError" in channel.of("stuck")[0]["error"]


def test_the_watchdog_abandons_runs_when_nothing_runs(layout, channel):
    from duckstring.duck.worker import DuckSettings, Worker

    deploy(layout, "p", "1.0.0", DIAMOND)
    # driven by hand, without its loop thread
    w = Worker(layout, "p", 1, channel, channel, settings=DuckSettings(stuck_s=0.0))  # type: ignore[arg-type]
    assert w.load(F1, "1.0.0")
    w.ledger.begin_run(F1, "1.0.0", 0, False, True, F1)
    w.executor.runs[F1] = Run(F1, 0)  # outstanding, but nothing will ever start
    w.housekeeping()
    w.housekeeping()
    assert not w.executor.runs
    assert w.ledger.run(F1).status == L.STUCK
    [ev] = [json.loads(b) for _, b in w.ledger.con.execute("SELECT seq, body FROM outbox")]
    assert ev["type"] == "stuck" and ev["f"] == F1 and "no Ripple ran" in ev["error"]
    w.close()


def test_heartbeats_while_working(layout, start):
    channel = FakeChannel(heartbeat_s=0.1)
    deploy(layout, "p", "1.0.0", """
        import time
        from duckstring import ripple

        @ripple
        def slowish(pond):
            time.sleep(0.6)
    """)
    from tests.duck.duckkit import Running

    duck = Running(layout, "p", channel)
    channel.send(begin(F1))
    channel.wait_for(finished(F1))
    beats = channel.of("heartbeat")
    assert beats and ["slowish"] in [b["running"] for b in beats]
    duck.stop()


def test_an_orphaned_duck_exits(layout, channel, start):
    channel.down = True
    duck = start(orphan_s=0.3)
    duck.thread.join(5)
    assert duck.code == 0


def test_shutdown_exits_zero(layout, channel, start):
    duck = start()
    channel.send({"type": "shutdown"})
    duck.thread.join(5)
    assert duck.code == 0


def test_a_begin_run_after_a_shutdown_in_one_batch_is_served(layout, channel, start):
    deploy(layout, "p", "1.0.0", DIAMOND)
    duck = start()
    channel.send({"type": "shutdown"}, begin(F1))
    channel.wait_for(finished(F1))
    assert duck.thread.is_alive()


class OneAtATime(FakeChannel):
    """Hands out one job per poll, so a shutdown and a begin_run arrive in separate answers."""

    def jobs(self, wait: float):
        try:
            job = self.jobs_q.get(timeout=min(wait, 0.05))
        except __import__("queue").Empty:
            return [], self.heartbeat_s, 0.0
        return [job], self.heartbeat_s, 0.0


def test_a_begin_run_that_arrives_while_leaving_is_handed_over(layout):
    from tests.duck.duckkit import Running

    channel = OneAtATime()
    deploy(layout, "p", "1.0.0", DIAMOND)
    channel.send({"type": "shutdown"}, begin(F1))
    duck = Running(layout, "p", channel)
    duck.thread.join(10)
    assert duck.code == 0 and duck.reexecs == [True]
    ledger = L.Ledger(layout.ledger("p", 1))
    assert [j["f"] for j in ledger.take_handover(__import__("os").getpid())] == [F1]


ENDLESS = """
    from duckstring import ripple

    @ripple
    def long(pond):
        pond.con.sql("SELECT sum(range) FROM range(1000000000000)").fetchall()
"""


def test_shutdown_mid_ripple_reports_the_attempt_lost(layout, channel, start):
    deploy(layout, "p", "1.0.0", ENDLESS)
    duck = start()
    channel.send(begin(F1))
    channel.wait_for(lambda evs: any(e["type"] == "ripple_started" for e in evs))
    channel.send({"type": "shutdown"})
    duck.thread.join(10)
    assert duck.code == 0
    [lost] = channel.of("ripple_lost")
    assert (lost["f"], lost["ripple"], lost["attempt"]) == (F1, "long", 1)
    assert lost["error"] == "the Duck left during the attempt (shutdown requested)"
    ledger = L.Ledger(layout.ledger("p", 1))
    assert [a["status"] for a in ledger.attempts(F1)] == ["lost"]
    assert ledger.run(F1).status == "running"  # a re-dispatch resumes it


def test_a_restarted_duck_reports_its_previous_lost_attempt(layout, channel, start):
    deploy(layout, "p", "1.0.0", DIAMOND)
    ledger = L.Ledger(layout.ledger("p", 1))
    ledger.begin_run(F1, "1.0.0", 0, False, True, F1)
    ledger.start_attempt(F1, "a", "1.0.0", F1)  # in flight when that Duck was killed
    ledger.close()
    start()
    channel.wait_for(lambda evs: any(e["type"] == "ripple_lost" for e in evs))
    [lost] = channel.of("ripple_lost")
    assert (lost["f"], lost["ripple"], lost["attempt"]) == (F1, "a", 1)
    assert lost["error"] == "the Duck exited during the attempt"
    assert channel.of("ripple_started") == []  # reported, not resumed: only a dispatch does


def test_sigterm_leaves_for_good_even_with_a_job_waiting(layout, channel, start):
    deploy(layout, "p", "1.0.0", ENDLESS)
    duck = start()
    channel.send(begin(F1))
    channel.wait_for(lambda evs: any(e["type"] == "ripple_started" for e in evs))
    duck.worker.pending.append(begin(F2, "2.0.0"))  # would re-exec after a mere shutdown
    duck.worker.inbox.put(("signal", "SIGTERM"))
    duck.thread.join(10)
    assert duck.code == 0 and duck.reexecs == []
    assert channel.of("ripple_lost")[0]["error"] == "the Duck left during the attempt (stopped by SIGTERM)"


def test_a_duck_at_rest_after_a_run_reexecs_to_shed_its_memory(layout, channel, start):
    deploy(layout, "p", "1.0.0", DIAMOND)
    duck = start(rest_s=0.3)
    time.sleep(0.6)
    assert duck.thread.is_alive()  # nothing ran yet: nothing to shed
    channel.send(begin(F1))
    channel.wait_for(finished(F1))
    duck.thread.join(10)
    assert duck.code == 0 and duck.reexecs == [True]
