"""What `duckstring duck check` reports from where a Pond's Duck would run: the node, its
Python, and the versions of duckstring and of what a Duck imports (`python -m
duckstring.duck.versions` prints it as JSON)."""

from __future__ import annotations

import json
import platform
import socket
from importlib import metadata
from typing import Any

DISTRIBUTIONS = ("duckstring", "duckdb", "deltalake", "pyarrow", "httpx")


def found(extra: tuple[str, ...] = ()) -> dict[str, Any]:
    packages: dict[str, str | None] = {}
    for dist in (*DISTRIBUTIONS, *extra):
        try:
            packages[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            packages[dist] = None
    return {"node": socket.gethostname(), "python": platform.python_version(),
            "packages": packages}


if __name__ == "__main__":
    print(json.dumps(found()))
