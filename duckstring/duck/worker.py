"""The Duck's main loop: one thread owns the executor, the ledger and the registry bookkeeping.

Everything else reports to it through one queue, so there are no races on run state:

- the poller thread queues the Catchment's jobs (`begin_run`, `kill`, `shutdown`), in order;
- pool threads run Ripple attempts and queue their outcomes;
- one publisher thread exports a completed run's tables and queues the result;
- the loop writes every event to the ledger's outbox, and the sender thread posts it.

Rules this loop keeps:

- A begin_run for a run the ledger shows published (or rejected) re-sends its final event
  instead of re-running, unless forced. A run the ledger shows under way resumes: Ripples whose
  checkpointed `end_f >= F` are done. Nothing is resumed unless the Catchment dispatches it.
- A begin_run for other code than the loaded one (another version, or the same version
  replaced: another digest) waits for in-flight work, then the process re-execs itself with the waiting jobs handed over through the ledger. Leaving for
  any reason does the same with begin_runs that arrive meanwhile (even after a `shutdown`),
  so a job the Catchment handed to this pid is never dropped.
- `kill` interrupts DuckDB, halts the executor and records runs and attempts killed; Ripple
  threads that do not return within `kill_grace_s` (a Python sleep cannot be interrupted) make
  the process leave, so a fresh Duck serves the next run.
- The watchdog reports `stuck` and abandons the runs when work is outstanding but nothing has
  run for `stuck_s`; a Duck with no work that has not reached the Catchment for `orphan_s` exits.
- A Duck that ran something and then had no work for `rest_s` re-execs itself (same pid), so
  one at rest holds no run's memory (DuckDB, the project, its data); the Catchment stops it
  when its line is idle with no standing trigger.
- Leaving mid-Ripple (`shutdown`, SIGTERM) records the attempt lost and reports it
  (`ripple_lost`), as a restarted Duck does for attempts its predecessor died in: every attempt
  ends final in the history.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from duckstring import protocol
from duckstring.duck import ledger as L
from duckstring.duck import loader as project_mod
from duckstring.duck.attempt import Outcome, attempt_logger, invoke, one_line, redactor
from duckstring.duck.channel import Channel
from duckstring.duck.handle import PondHandle
from duckstring.duck.poller import MAX_WAIT_S, Poller
from duckstring.duck.sender import Sender
from duckstring.engine import line_id
from duckstring.engine.executor import LineExecutor
from duckstring.env_settings import number, read, setting
from duckstring.layout import Layout
from duckstring.wake import Waker

log = logging.getLogger("duckstring.duck")


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class DuckSettings:
    """Each declared once: field, variable, default, parser (docs/operating.md §10)."""

    threads: int = setting(4, "DUCKSTRING_DUCK_THREADS", number(1, whole=True))
    stuck_s: float = setting(30.0, "DUCKSTRING_STUCK_S", number())
    orphan_s: float = setting(600.0, "DUCKSTRING_ORPHAN_S", number())
    kill_grace_s: float = 2.0
    tick_s: float = 0.2
    flush_s: float = 5.0  # how long leaving waits for the Catchment to take the outbox
    # after a run, this long without work: re-exec to shed its memory
    rest_s: float = setting(10.0, "DUCKSTRING_DUCK_REST_S", number())
    log_level: str = setting("INFO", "DUCKSTRING_DUCK_LOG_LEVEL")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> DuckSettings:
        return read(cls, env)


@dataclass
class Running:
    ripple: str
    f: int
    attempt: int
    handle: PondHandle
    future: Future[Outcome]
    token: int


class Leave(Exception):
    """The loop is done: `shutdown`, orphaned, killed threads that will not stop, or a version
    switch. Jobs still waiting when it leaves are handed over to a re-exec of this process."""

    def __init__(self, code: int, reason: str, final: bool = False, fresh: bool = False) -> None:
        super().__init__(reason)
        self.code = code
        self.final = final  # no re-exec, even for jobs that arrived meanwhile
        self.fresh = fresh  # re-exec even without jobs (a Duck at rest sheds a run's memory)


class Worker:
    def __init__(
        self,
        layout: Layout,
        name: str,
        major: int,
        poll_channel: Channel,
        send_channel: Channel,
        settings: DuckSettings | None = None,
        reexec: Callable[[], None] | None = None,
        waker: Waker | None = None,
        fetch: Callable[[str, str], object] | None = None,
    ) -> None:
        self.layout = layout
        self.name = name
        self.major = major
        self.line = line_id(name, major)
        self.settings = settings or DuckSettings()
        self.reexec = reexec
        self.fetch = fetch  # (version, digest): bring the version's files into the layout first
        layout.line_dir(name, major).mkdir(parents=True, exist_ok=True)
        self.ledger = L.Ledger(layout.ledger(name, major))
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.poller = Poller(poll_channel, self.inbox, waker)
        self.sender = Sender(send_channel, layout.ledger(name, major))
        self.pool = ThreadPoolExecutor(self.settings.threads, thread_name_prefix="ripple")
        self.publisher = ThreadPoolExecutor(1, thread_name_prefix="publish")
        self.project: project_mod.Project | None = None
        self.digest = ""  # of the loaded version's deployed files, as its begin_run named it
        self.executor: LineExecutor | None = None
        self.registry: Any = None  # duckstring.duck.registry.Registry, imported lazily
        self.source_dirs: dict[str, Any] = {}
        self.running: dict[str, Running] = {}
        self.publishing: dict[Future[Any], Any] = {}  # future -> its registry cursor
        self.publishing_fs: set[int] = set()
        self.pending: list[dict[str, Any]] = []  # begin_runs waiting (version switch, kill)
        self.zombies: list[Future[Any]] = []  # killed work that has not returned yet
        self.kill_deadline: float | None = None
        self.generation = 0  # bumped by kill: late results of older work are ignored
        self.tokens = itertools.count(1)
        self.started = time.monotonic()
        self.next_heartbeat: float | None = None
        self.idle_since: float | None = None
        self.rest_since: float | None = None  # no work since

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> int:
        lost = self.ledger.recover(now_ms())
        if lost:
            log.info("%s: %d attempt(s) were in flight when the last Duck exited; reported lost",
                     self.line, len(lost))
        handover = self.ledger.take_handover(os.getpid())
        if handover:
            self.inbox.put(("jobs", handover))  # before the poller: jobs keep their order
        self.sender.start()
        self.poller.start()
        log.info("%s: Duck %d ready", self.line, os.getpid())
        try:
            while True:
                try:
                    msg = self.inbox.get(timeout=self._tick())
                except queue.Empty:
                    msg = None
                if msg is not None:
                    self.dispatch(msg)
                self.housekeeping()
        except Leave as leave:
            return self.leave(leave)

    def _tick(self) -> float:
        """How long the loop may sleep: its timers matter only while there is work (an idle
        Duck only checks, now and then, whether it is orphaned)."""
        if self.has_work():
            return self.settings.tick_s
        return max(self.settings.tick_s, min(5.0, self.settings.orphan_s / 10))

    def dispatch(self, msg: tuple[Any, ...]) -> None:
        kind = msg[0]
        if kind == "jobs":
            jobs = msg[1]
            for i, job in enumerate(jobs):
                if job.get("type") == protocol.SHUTDOWN and any(
                    later.get("type") == protocol.BEGIN_RUN for later in jobs[i + 1:]
                ):
                    log.info("%s: shutdown superseded by a later begin_run", self.line)
                    continue
                self.on_job(job)
        elif kind == "done":
            self.on_done(msg[1], msg[2])
        elif kind == "published":
            self.on_published(*msg[1:])
        elif kind == "signal":  # SIGTERM: leave now, and for good (no re-exec)
            raise Leave(0, f"stopped by {msg[1]}", final=True)
        self.pump()

    def on_job(self, job: dict[str, Any]) -> None:
        kind = job.get("type")
        if kind == protocol.KILL:
            self.kill()
        elif kind == protocol.SHUTDOWN:
            raise Leave(0, "shutdown requested")
        elif kind == protocol.BEGIN_RUN:
            if not isinstance(job.get("f"), int) or not isinstance(job.get("version"), str):
                log.error("%s: ignoring a malformed begin_run %r", self.line, job)
                return
            if self.pending or self.zombies or not self.holds_code_of(job):
                self.pending.append(job)
            else:
                self.begin(job)
        else:
            log.warning("%s: ignoring unknown job %r", self.line, job)

    # -- runs ----------------------------------------------------------------------------------
    def begin(self, job: dict[str, Any]) -> None:
        f, version = int(job["f"]), str(job["version"])
        force = bool(job.get("force", False))
        retries = int(job.get("retries", 0))
        if self.project is None and not self.load(f, version, str(job.get("digest") or "")):
            return
        assert self.executor is not None
        row = self.ledger.run(f)
        if row is not None and not force:
            if row.status in L.ENDED_WITH_EVENT and row.result is not None:
                log.info("%s: run %d already %s; re-sending its outcome", self.line, f, row.status)
                self.emit(row.result)
                return
            if row.status == L.RUNNING and (f in self.executor.runs or f in self.publishing_fs):
                return  # already in hand (a duplicate dispatch)
        resume = self.ledger.begin_run(f, version, retries, force,
                                       bool(job.get("sources_changed", True)), now_ms())
        if force:
            self.ledger.reset_checkpoints()
        self.executor.begin(f, retries, force)
        log.info("%s: %s run %d (version %s%s)", self.line, "resuming" if resume else "beginning",
                 f, version, ", forced" if force else "")
        if self.executor.graph.end_f() >= f and self.executor.runs.pop(f, None) is not None:
            self.complete([f])  # every Ripple already reached F before a restart

    def holds_code_of(self, job: dict[str, Any]) -> bool:
        """Whether this process can run `job` with what it loaded (or has loaded nothing)."""
        return self.project is None or (
            job["version"] == self.project.version
            and str(job.get("digest") or "") == self.digest
        )

    def load(self, f: int, version: str, digest: str = "") -> bool:
        try:
            if self.fetch is not None:
                self.fetch(version, digest)
            project = project_mod.load(self.layout, self.name, version)
            if self.registry is None:
                from duckstring.duck.registry import Registry

                self.registry = Registry(self.layout.registry(self.name, self.major))
        except Exception as e:
            error = f"cannot load {self.name} {version}: {one_line(e)}"
            log.exception("%s: %s", self.line, error)
            now = now_ms()
            self.ledger.begin_run(f, version, 0, False, True, now)
            self.ledger.finish_run(f, L.STUCK, now)
            self.emit({"type": protocol.STUCK, "f": f, "at": now, "error": error})
            return False
        self.project, self.digest = project, digest
        self.executor = LineExecutor(project.specs)
        checkpoints = self.ledger.checkpoints(version)
        for r in self.executor.graph:
            if r.name in checkpoints:
                r.start_f = r.end_f = checkpoints[r.name]
        self.source_dirs = project.source_dirs(self.layout)
        log.info("%s: loaded version %s (%d Ripples)", self.line, version, len(project.specs))
        return True

    def pump(self) -> None:
        """Start every Ripple the executor says is ready."""
        if self.executor is None or self.zombies:
            return
        for ripple, f in self.executor.ready():
            self.start_attempt(ripple, f)

    def start_attempt(self, ripple: str, f: int) -> None:
        assert self.project is not None
        now = now_ms()
        version = self.project.version
        with self.ledger.transaction():
            attempt = self.ledger.start_attempt(f, ripple, version, now)
            self.ledger.post({"type": protocol.RIPPLE_STARTED, "f": f, "ripple": ripple,
                              "attempt": attempt, "at": now})
        self.sender.wake()
        logger, capture = attempt_logger(self.name, ripple, self.project.directory)
        handle = PondHandle(
            name=self.name, version=version, f=f, con=self.registry.cursor(),
            previous_f=self.ledger.previous_f(f), sources=self.source_dirs,
            sources_changed=self.ledger.sources_changed(f), log=logger,
            catalog=self.registry.catalog, write_lock=self.registry.swap_lock,
        )
        token = next(self.tokens)
        future = self.pool.submit(invoke, self.project.functions[ripple], handle, capture,
                                  self.project.directory)
        self.running[ripple] = Running(ripple, f, attempt, handle, future, token)
        future.add_done_callback(lambda fut: self.inbox.put(("done", token, fut)))

    def on_done(self, token: int, future: Future[Outcome]) -> None:
        run = next((r for r in self.running.values() if r.token == token), None)
        if run is None or self.executor is None:
            return  # killed: its outcome no longer counts
        del self.running[run.ripple]
        outcome = future.result()
        now = now_ms()
        base = {"f": run.f, "ripple": run.ripple, "attempt": run.attempt, "at": now,
                "log": outcome.log}
        if outcome.ok:
            done = self.executor.succeeded(run.ripple)
            # one transaction: a Duck killed in between must not keep the checkpoint (the
            # Ripple counts as done) without the event (the Catchment never hears it succeed)
            with self.ledger.transaction():
                self.ledger.finish_attempt(run.f, run.ripple, run.attempt, "succeeded", now,
                                           log=outcome.log)
                if outcome.skipped:
                    self.ledger.mark_skipped(run.f)
                self.ledger.checkpoint(run.ripple, self.project.version,  # type: ignore[union-attr]
                                       self.executor.graph[run.ripple].end_f, now)
                self.ledger.post({"type": protocol.RIPPLE_SUCCEEDED, **base})
            self.sender.wake()
            if done:
                self.complete(done)
        else:
            with self.ledger.transaction():
                self.ledger.finish_attempt(run.f, run.ripple, run.attempt, "failed", now,
                                           error=outcome.error, traceback=outcome.traceback,
                                           log=outcome.log)
                self.ledger.post({"type": protocol.RIPPLE_FAILED, **base, "error": outcome.error,
                                  "traceback": outcome.traceback})
            self.sender.wake()
            abandoned = self.executor.failed(run.ripple)
            log.warning("%s: %s failed at %d (attempt %d): %s%s", self.line, run.ripple, run.f,
                        run.attempt, outcome.error, "" if not abandoned else " — run given up")
            for f in abandoned:
                self.ledger.finish_run(f, L.FAILED, now)

    def complete(self, fs: list[int]) -> None:
        """Every Ripple reached these runs' F: publish once for all of them."""
        from duckstring.lake.publish import publish
        from duckstring.lake.where import line

        self.publishing_fs.update(fs)
        cursor = self.registry.cursor()
        generation = self.generation
        f = max(fs)  # one version for all: a reader at an earlier F keeps the previous run
        future = self.publisher.submit(publish, cursor, line(self.layout, self.name, self.major),
                                       f=f, run=f"{self.line}@{f}", label=self.line)
        self.publishing[future] = cursor
        future.add_done_callback(
            lambda fut: self.inbox.put(("published", generation, tuple(fs), fut))
        )

    def on_published(self, generation: int, fs: tuple[int, ...], future: Future[Any]) -> None:
        cursor = self.publishing.pop(future, None)
        if cursor is not None:
            cursor.close()
        if generation != self.generation:
            return  # the runs were killed meanwhile
        self.publishing_fs.difference_update(fs)
        try:
            result = future.result()
            rejected = result.rejected
        except Exception as e:
            log.exception("%s: publishing failed", self.line)
            result, rejected = None, f"publishing failed: {one_line(e)}"
        now = now_ms()
        for f in fs:
            if rejected is not None:
                event = {"type": protocol.RUN_REJECTED, "f": f, "at": now, "error": rejected}
                self.ledger.finish_run(f, L.REJECTED, now, event)
                log.warning("%s: run %d rejected: %s", self.line, f, rejected)
            else:
                row = self.ledger.run(f)
                changed = bool(result.changed) and not (row is not None and row.skipped)
                event = {"type": protocol.RUN_FINISHED, "f": f, "at": now, "changed": changed,
                         "tables": result.tables}
                self.ledger.finish_run(f, L.PUBLISHED, now, event)
                log.info("%s: run %d published (%s)", self.line, f,
                         "changed" if changed else "unchanged")
            self.emit(event)

    def kill(self) -> None:
        now = now_ms()
        for r in self.running.values():
            r.handle._interrupt()
        for cursor in self.publishing.values():
            with contextlib.suppress(Exception):
                cursor.interrupt()
        # a publish in flight keeps its cursor until its result arrives (then it is ignored)
        self.zombies += [r.future for r in self.running.values()] + list(self.publishing)
        self.running.clear()
        self.publishing_fs.clear()
        self.generation += 1
        if self.executor is not None:
            self.executor.kill()
        killed = self.ledger.kill_running(now)
        self.pending = []  # dispatched before the kill: the Catchment recorded them killed
        self.kill_deadline = time.monotonic() + self.settings.kill_grace_s
        log.warning("%s: killed (runs %s)", self.line, killed or "none")

    def stuck(self) -> None:
        assert self.executor is not None
        now = now_ms()
        error = (f"stuck: the run had outstanding work but no Ripple ran for "
                 f"{self.settings.stuck_s:g} s")
        for f in sorted(self.executor.runs):
            self.ledger.finish_run(f, L.STUCK, now)
            self.emit({"type": protocol.STUCK, "f": f, "at": now, "error": error})
        log.error("%s: %s; abandoning runs %s", self.line, error, sorted(self.executor.runs))
        self.executor.kill()

    # -- timers --------------------------------------------------------------------------------
    def has_work(self) -> bool:
        return bool(
            self.running or self.publishing_fs or self.pending or self.zombies
            or (self.executor is not None and self.executor.busy)
        )

    def housekeeping(self) -> None:
        mono = time.monotonic()
        if self.zombies:
            self.zombies = [z for z in self.zombies if not z.done()]
            if self.zombies and self.kill_deadline is not None and mono > self.kill_deadline:
                raise Leave(0, f"{len(self.zombies)} killed Ripple(s) did not stop")
            if not self.zombies:
                self.kill_deadline = None
        self.drain_pending()
        if self.pending and not self.zombies and not self.publishing_fs and not (
            self.executor is not None and self.executor.busy
        ):
            job = self.pending[0]
            raise Leave(0, f"switching to version {job['version']} ({job.get('digest') or '-'})")

        heartbeat_s = self.poller.heartbeat_s or MAX_WAIT_S
        if self.has_work():
            if self.next_heartbeat is None:
                self.next_heartbeat = mono + heartbeat_s
            elif mono >= self.next_heartbeat:
                self.sender.heartbeat({"type": protocol.HEARTBEAT, "at": now_ms(),
                                       "running": sorted(self.running)})
                self.next_heartbeat = mono + heartbeat_s
        else:
            self.next_heartbeat = None

        outstanding = self.executor is not None and bool(self.executor.runs)
        if outstanding and not self.running and not self.publishing_fs and not self.zombies:
            if self.idle_since is None:
                self.idle_since = mono
            elif mono - self.idle_since >= self.settings.stuck_s:
                self.idle_since = None
                self.stuck()
        else:
            self.idle_since = None

        if not self.has_work():
            contact = max(self.poller.last_ok or self.started, self.sender.last_ok or self.started)
            if mono - contact >= self.settings.orphan_s:
                raise Leave(0, f"the Catchment has been unreachable for {mono - contact:.0f} s")
            if self.rest_since is None:
                self.rest_since = mono
            elif self.project is not None and mono - self.rest_since >= self.settings.rest_s:
                # DuckDB keeps what a run allocated (and its module) for good: a fresh process
                # holds only what waiting needs, and loads the rest with the next run
                raise Leave(0, f"at rest for {self.settings.rest_s:g} s", fresh=True)
        else:
            self.rest_since = None

    def drain_pending(self) -> None:
        while self.pending and not self.zombies:
            job = self.pending[0]
            if not self.holds_code_of(job):
                return
            self.pending.pop(0)
            self.begin(job)

    # -- leaving -------------------------------------------------------------------------------
    def emit(self, event: dict[str, Any]) -> None:
        redact = redactor()
        if redact:  # a load error or a refused publish may quote a secret too
            event = {k: redact(v) if k in ("error", "traceback", "log") and isinstance(v, str)
                     else v for k, v in event.items()}
        self.ledger.post(event)
        self.sender.wake()

    def leave(self, leave: Leave) -> int:
        log.info("%s: leaving: %s", self.line, leave)
        now = now_ms()
        for r in self.running.values():  # their outcome will never be reported: say so now
            r.handle._interrupt()
            self.ledger.lose_attempt(r.f, r.ripple, r.attempt, now,
                                     f"the Duck left during the attempt ({leave})")
        self.zombies += [r.future for r in self.running.values()]  # still on their threads
        self.running.clear()
        self.sender.wake()
        # a job may be on its way in the poller's current request: wait for it, so a begin_run
        # that follows even a shutdown is served (by a re-exec) rather than lost
        if not self.poller.pause(MAX_WAIT_S + 20):
            log.warning("%s: the poller did not stop; a job may be re-dispatched", self.line)
        self._collect_queued_jobs()
        self.sender.flush(self.ledger.outbox_size, self.settings.flush_s)
        self.sender.stop()
        if (self.pending or leave.fresh) and not leave.final:
            self.ledger.hand_over(os.getpid(), self.pending)
            log.info("%s: re-exec with %d job(s) handed over", self.line, len(self.pending))
            self.close()
            # the next image acknowledges what this one received, so it is not answered again
            acked = self.poller.channel.acked()
            if acked:
                os.environ[protocol.ACKED_ENV] = acked
            if self.reexec is not None:
                self.reexec()  # does not return in a real Duck
            return leave.code
        self.close()
        return leave.code

    def _collect_queued_jobs(self) -> None:
        while True:
            try:
                msg = self.inbox.get_nowait()
            except queue.Empty:
                return
            if msg[0] != "jobs":
                continue
            for job in msg[1]:
                kind = job.get("type")
                if kind in (protocol.KILL, protocol.SHUTDOWN):
                    self.pending = []
                elif kind == protocol.BEGIN_RUN:
                    self.pending.append(job)

    def close(self) -> None:
        if self.registry is not None and not self.zombies and not self.running:
            try:
                self.registry.close()
            except Exception:
                log.exception("closing the registry")
        self.ledger.close()
        if self.poller.waker is not None:
            self.poller.waker.close()
