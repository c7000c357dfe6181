"""Wiring: `Catchment.open` brings up a root's services (lock, duck.db, coordinator, Ducks,
scheduler, and the team services of team.py: keys, secrets, alerts, metrics, audit);
`create_app` builds the Falcon app over them. Nothing here serves a port: the
runner (CLI) and hosts (wsgi.py) do."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import falcon

from duckstring.embedded import http_errors
from duckstring.embedded.access.gate import GateMiddleware
from duckstring.embedded.audit import AuditMiddleware
from duckstring.embedded.bootstrap import Bootstraps, shared
from duckstring.embedded.coordinator import Coordinator
from duckstring.embedded.launchers import Launchers, ray_factory
from duckstring.embedded.longpoll import LongPolls
from duckstring.embedded.root_lock import FileLock, lock_root
from duckstring.embedded.scheduler import Scheduler
from duckstring.embedded.settings import Settings
from duckstring.embedded.store import Store, meta
from duckstring.embedded.supervisor import Launcher, ProcessLauncher, Supervisor
from duckstring.embedded.team import Team, duck_environ
from duckstring.layout import Layout


def wall_clock() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class Catchment:
    settings: Settings
    layout: Layout
    store: Store
    coordinator: Coordinator
    supervisor: Supervisor
    scheduler: Scheduler
    id: str
    name: str
    duck_token: str
    root_lock: FileLock | None
    team: Team
    launchers: Launchers
    bootstraps: Bootstraps = field(default_factory=shared)  # for Ducks on other machines
    _closing: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _closed: bool = False

    @classmethod
    def open(cls, settings: Settings, *, launcher: Launcher | None = None,
             clock: Callable[[], int] = wall_clock, take_lock: bool = True) -> Catchment:
        layout = Layout(settings.root)
        layout.root.mkdir(parents=True, exist_ok=True)
        root_lock = lock_root(layout.lock) if take_lock else None
        try:
            layout.ponds.mkdir(exist_ok=True)
            if root_lock is not None:  # ours alone: what is there a crash left mid-deploy/-export
                shutil.rmtree(layout.tmp, ignore_errors=True)
            layout.tmp.mkdir(exist_ok=True)
            store = Store(layout.db)
            with store.transaction() as conn:
                ident, name, token = meta.ensure_identity(conn, layout.root.name)
                default_launcher = settings.launcher or meta.get(conn, "launcher") or "local"
                ray_address = settings.ray_address or meta.get(conn, "ray_address")
            team = Team(settings, store, token, {"id": ident, "name": name}, clock)
            launchers = Launchers(
                layout, store, ProcessLauncher(layout, duck_environ(team.secrets)),
                default_launcher,
                lambda name: ray_factory(ray_address, ident,
                                         lambda line: launchers.placement(line)))
            launcher = launcher or launchers
            supervisor = Supervisor(layout, launcher, token,
                                    settings.catchment_url, settings.liveness_s,
                                    LongPolls(settings.poll_slots),
                                    # a Duck with work reports every heartbeat: never sooner
                                    max(settings.stuck_s, 3 * settings.heartbeat_s))
            coordinator = Coordinator.restore(store, supervisor, clock)
            team.attach(coordinator, supervisor)

            def prune() -> None:
                coordinator.prune_history(settings.history_days, settings.history_max_runs)
                team.prune(settings.history_days)

            scheduler = Scheduler(
                coordinator, supervisor, idle_s=settings.duck_idle_s,
                check_s=min(1.0, max(0.1, settings.liveness_s / 4)), prune=prune,
                watch=team.watch)
        except BaseException:
            if root_lock is not None:
                root_lock.release()
            raise
        scheduler.start()
        return cls(settings, layout, store, coordinator, supervisor, scheduler, ident, name,
                   token, root_lock, team, launchers)

    def close(self, duck_timeout: float = 10.0, *,
              stop_serving: Callable[[], None] | None = None) -> None:
        """Shut down, in this order (docs/operating.md §3): `quiesce` (clock stopped, status
        long-polls answered, every Duck told to stop and gone) while the host still serves,
        so the Ducks collect their shutdown job and deliver their last events at once; then
        `stop_serving`; then close duck.db and release the root. Safe to call again."""
        self.quiesce(duck_timeout)
        if stop_serving is not None:
            stop_serving()
        with self._closing:
            if self._closed:
                return
            self._closed = True
            self.team.close()
            self.store.close()
            if self.root_lock is not None:
                self.root_lock.release()

    def quiesce(self, duck_timeout: float = 10.0) -> None:
        """The first half of `close`: for a host that stops serving on its own afterwards."""
        with self._closing:
            if self._closed:
                return
            self.coordinator.release_waiters()
            self.scheduler.stop()  # first: a Duck leaving now is not a lost Duck
            self.supervisor.stop_all(duck_timeout)


class _LearnUrl:
    """Ducks dial back to wherever the first request reached us (unless configured)."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not self.supervisor.url:
            self.supervisor.set_url(req.prefix)


class CatchmentApp(falcon.App):
    """A Falcon app that carries its Catchment, so whoever serves it can close it."""

    catchment: Catchment


def create_app(catchment: Catchment) -> CatchmentApp:
    """The WSGI app over an opened Catchment: middleware, media handlers, error mapping and
    routes — wiring only. `app.catchment` is the Catchment (whoever opened it closes it)."""
    from duckstring.embedded import resources

    app = CatchmentApp(
        middleware=[_LearnUrl(catchment.supervisor),
                    GateMiddleware(catchment.team.gate, catchment.coordinator.clock),
                    AuditMiddleware(catchment.team)],
        cors_enable=False,
    )
    app.req_options.strip_url_path_trailing_slash = True
    from duckstring.embedded.resources.common import StrictJSON

    app.req_options.media_handlers[falcon.MEDIA_JSON] = StrictJSON()
    http_errors.install(app)
    resources.add_routes(app, catchment)
    app.catchment = catchment
    return app
