"""The run ledger: what survives a Duck's death, and how a re-dispatch reads it."""

from __future__ import annotations

import pytest

from duckstring.duck import ledger as L
from duckstring.engine.freshness import NEVER
from tests.duck.duckkit import F1, F2, F3

pytestmark = pytest.mark.timeout(10)


@pytest.fixture
def ledger(tmp_path):
    led = L.Ledger(tmp_path / "m1" / "pond.db")
    yield led
    led.close()


def test_a_run_under_way_resumes_and_keeps_its_facts(ledger):
    assert ledger.begin_run(F1, "1.0.0", 2, False, False, 100) is False
    ledger.mark_skipped(F1)
    assert ledger.begin_run(F1, "1.0.0", 1, False, True, 200) is True  # re-dispatched
    row = ledger.run(F1)
    assert (row.status, row.begun_at, row.retries, row.skipped, row.sources_changed) == (
        "running", 100, 1, True, True)


def test_force_another_version_or_an_ended_run_start_afresh(ledger):
    ledger.begin_run(F1, "1.0.0", 0, False, True, 100)
    ledger.mark_skipped(F1)
    assert ledger.begin_run(F1, "1.0.0", 0, True, True, 200) is False
    assert ledger.run(F1).skipped is False and ledger.run(F1).begun_at == 200
    assert ledger.begin_run(F1, "1.1.0", 0, False, True, 300) is False
    ledger.finish_run(F1, L.FAILED, 400)
    assert ledger.begin_run(F1, "1.1.0", 0, False, True, 500) is False


def test_the_final_event_is_kept_for_replay(ledger):
    ledger.begin_run(F1, "1.0.0", 0, False, True, 100)
    event = {"type": "run_finished", "f": F1, "at": 150, "changed": True, "tables": {}}
    ledger.finish_run(F1, L.PUBLISHED, 150, event)
    row = ledger.run(F1)
    assert row.status == "published" and row.result == event and row.finished_at == 150


def test_previous_f_is_fixed_when_the_run_is_dispatched(ledger):
    ledger.begin_run(F1, "1.0.0", 0, False, True, 1)
    assert ledger.previous_f(F1) is None
    ledger.finish_run(F1, L.PUBLISHED, 2, {})
    ledger.begin_run(F2, "1.0.0", 0, False, True, 3)
    ledger.begin_run(F3, "1.0.0", 0, False, True, 4)  # dispatched while F2 is in flight
    ledger.finish_run(F2, L.PUBLISHED, 5, {})
    assert ledger.previous_f(F2) == F1
    assert ledger.previous_f(F3) == F1  # stable: F2 finished after F3 began
    assert ledger.begin_run(F3, "1.0.0", 0, False, True, 6) is True  # a retry/recovery
    assert ledger.previous_f(F3) == F1
    ledger.finish_run(F3, L.REJECTED, 7, {})
    assert ledger.last_published(F3 + 1) == F2  # a rejected run is not a successful one


def test_sources_changed_covers_the_runs_a_ripple_serves(ledger):
    ledger.begin_run(F1, "1.0.0", 0, False, True, 1)
    ledger.begin_run(F2, "1.0.0", 0, False, False, 2)
    assert ledger.sources_changed(F2) is True  # a start at F2 also completes F1
    ledger.finish_run(F1, L.PUBLISHED, 3, {})
    assert ledger.sources_changed(F2) is False


def test_attempts_count_per_ripple_and_freshness_across_forces(ledger):
    assert ledger.start_attempt(F1, "a", "1.0.0", 1) == 1
    ledger.finish_attempt(F1, "a", 1, "failed", 2, error="E: x", traceback="tb", log="l")
    assert ledger.start_attempt(F1, "a", "1.0.0", 3) == 2
    assert ledger.start_attempt(F1, "b", "1.0.0", 3) == 1
    assert ledger.start_attempt(F2, "a", "1.0.0", 4) == 1
    assert ledger.attempts(F1) == [
        {"ripple": "a", "attempt": 1, "status": "failed", "error": "E: x"},
        {"ripple": "a", "attempt": 2, "status": "running", "error": None},
        {"ripple": "b", "attempt": 1, "status": "running", "error": None},
    ]


def test_recover_marks_attempts_of_a_dead_duck_lost(ledger):
    ledger.begin_run(F1, "1.0.0", 0, False, True, 1)
    ledger.start_attempt(F1, "a", "1.0.0", 1)
    assert ledger.recover(5) == [{"f": F1, "ripple": "a", "attempt": 1}]
    assert ledger.attempts(F1)[0]["status"] == "lost"
    assert [e for _, e in ledger.pending()] == [  # reported, so the history ends it too
        {"type": "ripple_lost", "f": F1, "ripple": "a", "attempt": 1, "at": 5,
         "error": "the Duck exited during the attempt"}]
    assert ledger.run(F1).status == "running"  # only a re-dispatch resumes it


def test_kill_marks_runs_and_attempts(ledger):
    ledger.begin_run(F1, "1.0.0", 0, False, True, 1)
    ledger.begin_run(F2, "1.0.0", 0, False, True, 1)
    ledger.finish_run(F1, L.PUBLISHED, 2, {})
    ledger.start_attempt(F2, "a", "1.0.0", 3)
    assert ledger.kill_running(4) == [F2]
    assert ledger.run(F2).status == "killed" and ledger.attempts(F2)[0]["status"] == "killed"


def test_checkpoints_belong_to_a_version(ledger):
    ledger.checkpoint("a", "1.0.0", F1, 1)
    ledger.checkpoint("b", "1.0.0", F2, 1)
    assert ledger.checkpoints("1.0.0") == {"a": F1, "b": F2}
    assert ledger.checkpoints("1.1.0") == {}
    ledger.reset_checkpoints()
    assert ledger.checkpoints("1.0.0") == {"a": NEVER, "b": NEVER}


def test_outbox_keeps_order_until_acknowledged(tmp_path):
    path = tmp_path / "pond.db"
    writer, reader = L.Ledger(path), L.Ledger(path)  # the worker and the sender
    for i in range(5):
        writer.post({"type": "heartbeat", "at": i})
    batch = reader.pending(limit=3)
    assert [e["at"] for _, e in batch] == [0, 1, 2]
    assert [e["at"] for _, e in reader.pending(after=batch[-1][0])] == [3, 4]
    assert writer.outbox_size(after=batch[-1][0]) == 2
    reader.acknowledge(batch[-1][0])
    assert [e["at"] for _, e in writer.pending()] == [3, 4]
    writer.close()
    assert [e["at"] for _, e in L.Ledger(path).pending()] == [3, 4]  # survives a restart


def test_handover_belongs_to_the_same_process(ledger):
    jobs = [{"type": "begin_run", "f": F1}, {"type": "begin_run", "f": F2}]
    ledger.hand_over(41, jobs)
    assert ledger.take_handover(42) == []  # a different (dead) Duck's jobs are dropped
    ledger.hand_over(41, jobs)
    assert ledger.take_handover(41) == jobs
    assert ledger.take_handover(41) == []
