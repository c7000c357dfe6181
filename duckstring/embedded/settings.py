"""Catchment settings, from arguments or the environment (docs/operating.md §6).

| variable | meaning | default |
|---|---|---|
| DUCKSTRING_ROOT | the Catchment root | ./.duckstring |
| DUCKSTRING_API_KEY | user key; unset = open | — |
| DUCKSTRING_CATCHMENT_URL | where Ducks dial back | learnt from the first request |
| DUCKSTRING_LIVENESS_S | a Duck silent this long with work is lost | 60 |
| DUCKSTRING_DUCK_IDLE_S | an idle Duck without a standing trigger stops after | 60 |
| DUCKSTRING_HEARTBEAT_S | Duck heartbeat interval while busy | 5 |
| DUCKSTRING_MAX_UPLOAD_MB | largest deploy upload | 100 |
| DUCKSTRING_STUCK_S | a line holding a run with nothing running and nothing queued this long fails it | 30 |
| DUCKSTRING_POLL_SLOTS | long-polls (status watchers) held at once; each holds a server thread | 2 |
| DUCKSTRING_QUERY_MEMORY_MB | memory one query may use (and the most its result may hold) | 512 |
| DUCKSTRING_QUERY_CONCURRENCY | queries running at once; more get 503 with Retry-After | 2 |
| DUCKSTRING_QUERY_TIMEOUT_S | a query running longer is stopped | 60 |
| DUCKSTRING_HISTORY_DAYS | run history older than this is deleted (0 = keep) | 31 |
| DUCKSTRING_HISTORY_MAX_RUNS | history rows kept per line (0 = no cap) | 50000 |
| DUCKSTRING_SECRETS_KEY | the secrets' master key (else the file `ROOT.secrets-key`) | — |
| DUCKSTRING_SMTP_URL | where e-mail alerts go out (`smtp://user:pass@host:587`) | — |
| DUCKSTRING_ALERT_ATTEMPTS | tries per alert delivery before it is `failed` | 8 |
| DUCKSTRING_ALERT_RETRY_S | first retry delay (doubling, at most 10 min) | 5 |
| DUCKSTRING_ALERT_TIMEOUT_S | one delivery attempt's timeout | 10 |
| DUCKSTRING_LAUNCHER | where Ducks run unless their Pond says otherwise: `local` or `ray` | the root's (`catchment init --launcher`), else local |
| DUCKSTRING_RAY_ADDRESS | the Ray cluster (`host:port`) | the root's (`catchment init --ray-address`), else `auto` (`RAY_ADDRESS`, or a cluster on this machine) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path


def _float(env: dict[str, str], key: str, default: float) -> float:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SystemExit(f"error: {key}={raw!r} is not a number") from None


def _launcher(raw: str) -> str:
    from duckstring.embedded.placement import LAUNCHERS

    if raw.strip().lower() not in LAUNCHERS:
        raise SystemExit(f"error: DUCKSTRING_LAUNCHER={raw!r} is not one of {', '.join(LAUNCHERS)}")
    return raw.strip().lower()


@dataclass(frozen=True)
class Settings:
    root: Path
    api_key: str | None = field(default=None, repr=False)
    catchment_url: str | None = None
    liveness_s: float = 60.0
    duck_idle_s: float = 60.0
    heartbeat_s: float = 5.0
    stuck_s: float = 30.0
    max_upload_bytes: int = 100 * 1024 * 1024
    job_wait_s: float = 20.0  # the longest a Duck waits between polls (woken sooner by a job)
    # With Waitress's default 4 threads, two waiting long-polls leave two for everything else.
    poll_slots: int = 2
    # Each running query holds a server thread: with Waitress's default 4 threads, two
    # queries still leave threads for health, status and the Ducks.
    query_memory_mb: int = 512
    query_concurrency: int = 2
    query_timeout_s: float = 60.0
    history_days: float = 31.0  # a month of runs …
    history_max_runs: int = 50_000  # … at one a minute, per line
    secrets_key: str | None = field(default=None, repr=False)
    smtp_url: str | None = field(default=None, repr=False)
    alert_attempts: int = 8
    alert_retry_s: float = 5.0
    alert_timeout_s: float = 10.0
    launcher: str | None = None  # None: the root's (meta), else local
    ray_address: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if env is None else env)
        settings = cls(
            root=Path(env.get("DUCKSTRING_ROOT") or "./.duckstring").expanduser().absolute(),
            api_key=env.get("DUCKSTRING_API_KEY") or None,
            catchment_url=(env.get("DUCKSTRING_CATCHMENT_URL") or "").rstrip("/") or None,
            liveness_s=_float(env, "DUCKSTRING_LIVENESS_S", 60.0),
            duck_idle_s=_float(env, "DUCKSTRING_DUCK_IDLE_S", 60.0),
            heartbeat_s=_float(env, "DUCKSTRING_HEARTBEAT_S", 5.0),
            stuck_s=_float(env, "DUCKSTRING_STUCK_S", 30.0),
            max_upload_bytes=int(_float(env, "DUCKSTRING_MAX_UPLOAD_MB", 100.0) * 1024 * 1024),
            poll_slots=int(_float(env, "DUCKSTRING_POLL_SLOTS", 2)),
            query_memory_mb=max(16, int(_float(env, "DUCKSTRING_QUERY_MEMORY_MB", 512))),
            query_concurrency=max(1, int(_float(env, "DUCKSTRING_QUERY_CONCURRENCY", 2))),
            query_timeout_s=_float(env, "DUCKSTRING_QUERY_TIMEOUT_S", 60.0),
            history_days=_float(env, "DUCKSTRING_HISTORY_DAYS", 31.0),
            history_max_runs=int(_float(env, "DUCKSTRING_HISTORY_MAX_RUNS", 50_000)),
            secrets_key=env.get("DUCKSTRING_SECRETS_KEY") or None,
            smtp_url=env.get("DUCKSTRING_SMTP_URL") or None,
            alert_attempts=max(1, int(_float(env, "DUCKSTRING_ALERT_ATTEMPTS", 8))),
            alert_retry_s=max(0.01, _float(env, "DUCKSTRING_ALERT_RETRY_S", 5.0)),
            alert_timeout_s=max(0.1, _float(env, "DUCKSTRING_ALERT_TIMEOUT_S", 10.0)),
            launcher=_launcher(env["DUCKSTRING_LAUNCHER"]) if env.get("DUCKSTRING_LAUNCHER") else None,
            ray_address=env.get("DUCKSTRING_RAY_ADDRESS") or None,
        )
        return replace(settings, **overrides)  # type: ignore[arg-type]
