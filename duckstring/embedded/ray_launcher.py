"""The `ray` launcher (docs/scale.md; the `ray` extra): each line's Duck in a detached, named
Ray actor, placed by its Pond's resources. Imported only when some Duck runs on Ray.

- Named `{catchment id}/{line}#{launch}` in the `duckstring` namespace, detached: it outlives a
  Catchment that dies, and the next one adopts it by name instead of starting a second Duck.
- The actor asks for nothing itself (`num_cpus=0`) unless the Pond's placement asks for CPUs,
  memory or custom resources (`duckstring duck set`); Ray places it on a node that has them.
- What reaches the actor: the line, the dial-back URL and a one-time bootstrap credential,
  which the actor hands to its child's environment. Never the Duck token or a secret (they
  come over the dial-back channel), never `runtime_env` (Ray writes it to its logs).
- Liveness without polling: a call that returns when the child exits is kept outstanding;
  it completes (or fails, if the actor or its node died) and `alive()` only looks at it.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from collections.abc import Callable
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayError

from duckstring.embedded.store.placements import Placement

NAMESPACE = "duckstring"
INFO_TIMEOUT_S = 10.0


class RayUnavailable(RuntimeError):
    """The Ray cluster cannot be reached."""


def connect(address: str | None) -> None:
    if ray.is_initialized():
        return
    try:
        ray.init(address=address or "auto", namespace=NAMESPACE, log_to_driver=False,
                 logging_level=logging.WARNING, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise RayUnavailable(f"cannot reach the Ray cluster at {address or 'auto'}: {e}") from None


def _actor_class() -> Any:
    from duckstring.duck.ray_actor import DuckActor

    return ray.remote(DuckActor)


class RayHandle:
    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.exit_ref = actor.wait_exit.remote()
        self.info_ref = actor.info.remote()
        self._info: dict[str, Any] | None = None

    def info(self, timeout: float = INFO_TIMEOUT_S) -> dict[str, Any] | None:
        if self._info is None:
            try:
                self._info = ray.get(self.info_ref, timeout=timeout)
            except (GetTimeoutError, RayError):
                return None
        return self._info

    @property
    def pid(self) -> int | None:
        info = self.info()
        return None if info is None else int(info["pid"])

    def alive(self) -> bool:
        ready, _ = ray.wait([self.exit_ref], timeout=0)
        return not ready

    def gone(self) -> str:
        try:
            code = ray.get(self.exit_ref, timeout=0)
        except RayError as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            return f"the Duck's Ray actor died ({type(e).__name__}: {first[:200]})"
        return f"the Duck exited with code {code}"

    def stop(self, sig: int) -> None:
        if sig == signal.SIGKILL:
            with contextlib.suppress(RayError):
                ray.kill(self.actor, no_restart=True)
        else:
            self.actor.signal.remote(int(sig))

    def wait(self, timeout: float) -> None:
        ray.wait([self.exit_ref], timeout=timeout)

    def where(self) -> dict[str, str | None]:
        info = self.info(timeout=0)
        return {"launcher": "ray", "node": None if info is None else info["node"]}


class RayLauncher:
    def __init__(self, address: str | None, scope: str, url_env: Callable[[str, str], dict[str, str]],
                 mint: Callable[[str], str], placement: Callable[[str], Placement],
                 argv: Callable[[str], list[str]] | None = None) -> None:
        connect(address)
        self.scope = scope  # the Catchment's id: two Catchments may share a cluster
        self.url_env = url_env  # (url, bootstrap) -> the child's environment
        self.mint = mint
        self.placement = placement
        self.argv = argv  # None: the remote-mode Duck's own command, built on the node
        self.actor_class = _actor_class()

    def _prefix(self, line: str) -> str:
        return f"{self.scope}/{line}#"

    def spawn(self, line: str, url: str, token: str) -> RayHandle:
        del token  # the Duck redeems its bootstrap for it over the dial-back channel
        options: dict[str, Any] = {
            "name": f"{self._prefix(line)}{time.time_ns():x}", "namespace": NAMESPACE,
            "lifetime": "detached", "max_restarts": 0, "max_concurrency": 4,
            **asks(self.placement(line)),
        }
        env = self.url_env(url, self.mint(line))
        argv = self.argv(line) if self.argv is not None else None
        actor = self.actor_class.options(**options).remote(line, self.scope, env, argv)
        return RayHandle(actor)

    def adopt(self, line: str) -> RayHandle | None:
        """The living actor of the line's newest launch, if any (the others are ended)."""
        prefix = self._prefix(line)
        names = sorted((n for n in _named() if n.startswith(prefix)), reverse=True)
        found = None
        for name in names:
            try:
                actor = ray.get_actor(name, namespace=NAMESPACE)
            except ValueError:
                continue
            handle = RayHandle(actor)
            info = handle.info()
            if found is None and info is not None and not info["exited"]:
                found = handle
            elif info is not None and not info["exited"]:
                handle.stop(signal.SIGKILL)  # never two Ducks for one line
        return found

    def check(self, line: str) -> dict[str, Any]:
        """`duck check`: on the node of the line's running Duck, else a no-op task placed as
        its Duck would be (the Duck may hold the only unit of its resources)."""
        from duckstring.duck.versions import found

        running = self.adopt(line)
        if running is not None:
            try:
                return dict(ray.get(running.actor.versions.remote(), timeout=30))
            except RayError as e:
                return {"error": f"the check failed on Ray: {str(e).splitlines()[0][:300]}"}
        ref = ray.remote(found).options(**asks(self.placement(line))).remote()
        try:
            return dict(ray.get(ref, timeout=30))
        except GetTimeoutError:
            ray.cancel(ref, force=True)
            return {"error": "no Ray node with the Pond's resources took the check in 30 s"}
        except RayError as e:
            return {"error": f"the check failed on Ray: {str(e).splitlines()[0][:300]}"}


def asks(p: Placement) -> dict[str, Any]:
    """What a Pond's placement asks Ray for: nothing (`num_cpus=0`) unless it sets some."""
    out: dict[str, Any] = {"num_cpus": p.cpus or 0}
    if p.memory_mb:
        out["memory"] = p.memory_mb * 1024 * 1024
    if p.resources:
        out["resources"] = dict(p.resources)
    return out


def _named() -> list[str]:
    from ray.util import list_named_actors

    return [n for n in list_named_actors() if isinstance(n, str)]
