"""Catchment settings, from arguments or the environment. Each is declared once below (field,
variable, default, parser); what each means is the settings table of docs/operating.md §10,
which a test keeps in step with these declarations."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from duckstring.env_settings import number, path, read, setting, url, variable

MB = 1024 * 1024


def _launcher(var: str, raw: str) -> str:
    from duckstring.embedded.placement import LAUNCHERS

    if raw.strip().lower() not in LAUNCHERS:
        raise SystemExit(f"error: {var}={raw!r} is not one of {', '.join(LAUNCHERS)}")
    return raw.strip().lower()


@dataclass(frozen=True)
class Settings:
    root: Path = field(metadata=variable("DUCKSTRING_ROOT", path, unset="./.duckstring"))
    api_key: str | None = setting(None, "DUCKSTRING_API_KEY", secret=True)
    catchment_url: str | None = setting(None, "DUCKSTRING_CATCHMENT_URL", url)
    liveness_s: float = setting(60.0, "DUCKSTRING_LIVENESS_S", number())
    duck_idle_s: float = setting(60.0, "DUCKSTRING_DUCK_IDLE_S", number())
    heartbeat_s: float = setting(5.0, "DUCKSTRING_HEARTBEAT_S", number())
    stuck_s: float = setting(30.0, "DUCKSTRING_STUCK_S", number())
    max_upload_bytes: int = setting(100 * MB, "DUCKSTRING_MAX_UPLOAD_MB",
                                    number(whole=True, scale=MB))
    job_wait_s: float = 20.0  # the longest a Duck waits between polls (woken sooner by a job)
    # With Waitress's default 4 threads, two waiting long-polls leave two for everything else.
    poll_slots: int = setting(2, "DUCKSTRING_POLL_SLOTS", number(whole=True))
    # Each running query holds a server thread: with Waitress's default 4 threads, two
    # queries still leave threads for health, status and the Ducks.
    query_memory_mb: int = setting(512, "DUCKSTRING_QUERY_MEMORY_MB", number(16, whole=True))
    query_concurrency: int = setting(2, "DUCKSTRING_QUERY_CONCURRENCY", number(1, whole=True))
    query_timeout_s: float = setting(60.0, "DUCKSTRING_QUERY_TIMEOUT_S", number())
    history_days: float = setting(31.0, "DUCKSTRING_HISTORY_DAYS", number())  # a month of runs …
    history_max_runs: int = setting(50_000, "DUCKSTRING_HISTORY_MAX_RUNS",  # … one a minute, per line
                                    number(whole=True))
    secrets_key: str | None = setting(None, "DUCKSTRING_SECRETS_KEY", secret=True)
    smtp_url: str | None = setting(None, "DUCKSTRING_SMTP_URL", secret=True)
    alert_attempts: int = setting(8, "DUCKSTRING_ALERT_ATTEMPTS", number(1, whole=True))
    alert_retry_s: float = setting(5.0, "DUCKSTRING_ALERT_RETRY_S", number(0.01))
    alert_timeout_s: float = setting(10.0, "DUCKSTRING_ALERT_TIMEOUT_S", number(0.1))
    launcher: str | None = setting(None, "DUCKSTRING_LAUNCHER", _launcher)  # None: the root's, else local
    ray_address: str | None = setting(None, "DUCKSTRING_RAY_ADDRESS")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        """The settings from `env` (the process environment when None), then `overrides`."""
        return read(cls, env, **overrides)
