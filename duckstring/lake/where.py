"""Where a line's Delta tables live (docs/operating.md §4).

Local default: `{root}/ponds/{name}/m{major}/data/{table}/`. With a data URL (`s3://…`, `gs://…`,
`az://…`, `file:///…`; from `catchment init --data-url`, kept in `{root}/data.url`, else the
`DUCKSTRING_DATA_URL` environment variable) every line's tables live at
`{url}/{name}/m{major}/{table}/`. Credentials are never stored: the object store reads them from
the standard environment (`AWS_ACCESS_KEY_ID`, `AWS_ENDPOINT_URL`, `GOOGLE_*`, `AZURE_*`, …).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from duckstring.layout import Layout

ENV = "DUCKSTRING_DATA_URL"
SCHEMES = ("s3://", "s3a://", "gs://", "gcs://", "az://", "abfs://", "abfss://", "file:///")
RUNS = "_duckstring_runs"  # the run-manifest table beside a line's tables (a reserved name)


def check_url(url: str) -> str:
    """`url` without a trailing `/`; ValueError naming the accepted schemes otherwise."""
    url = url.strip().rstrip("/")
    if not url.startswith(SCHEMES) or len(url) <= max(len(s) for s in SCHEMES if url.startswith(s)):
        raise ValueError(
            f"data URL {url!r} is not supported; use s3://bucket/prefix, gs://…, az://… or file:///path"
        )
    return url


def data_url(layout: Layout, env: dict[str, str] | None = None) -> str | None:
    """The root's data URL, or None for local tables under the root."""
    try:
        stored = layout.data_url.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        stored = ""
    chosen = stored or (os.environ if env is None else env).get(ENV, "").strip()
    return check_url(chosen) if chosen else None


@dataclass(frozen=True)
class Line:
    """One line's tables: `uri` is a local directory or an object-store prefix."""

    uri: str

    @property
    def local(self) -> bool:
        return "://" not in self.uri

    def table(self, table: str) -> str:
        return f"{self.uri}/{table}"

    @property
    def runs(self) -> str:
        return self.table(RUNS)

    def options(self) -> dict[str, str]:
        """delta-rs storage options. Only the one writer per line is duckstring's rule, so S3
        needs no lock service; everything else (keys, endpoint, region) comes from the env."""
        if self.uri.startswith(("s3://", "s3a://")):
            opts = {"AWS_S3_ALLOW_UNSAFE_RENAME": "true"}
            for key in ("AWS_ENDPOINT_URL", "AWS_ALLOW_HTTP", "AWS_REGION"):
                if os.environ.get(key):
                    opts[key.lower()] = os.environ[key]
            return opts
        return {}


def line(layout: Layout, name: str, major: int) -> Line:
    url = data_url(layout)
    if url is None:
        return Line(str(layout.data_dir(name, major)))
    return Line(f"{url}/{name}/m{major}")


def local_dir(line_: Line) -> Path | None:
    return Path(line_.uri) if line_.local else None
