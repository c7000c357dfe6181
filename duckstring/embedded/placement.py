"""Where a Pond's Duck runs (docs/scale.md): reading `duck set`'s request against the stored
placement, the rule that a remote launcher needs tables on an object store, and the launcher a
line's Duck gets."""

from __future__ import annotations

import math
import re
from typing import Any

from duckstring.embedded.domain_errors import Conflict, Invalid
from duckstring.embedded.store.placements import Placement

LAUNCHERS = ("local", "ray")
REMOTE = frozenset({"ray"})  # launchers whose Ducks may run on another machine
_UNITS = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20,
          "MB": 1 << 20, "MIB": 1 << 20, "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30,
          "T": 1 << 40, "TB": 1 << 40, "TIB": 1 << 40}
MAX_CPUS = 1024.0
RESOURCE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,63}")


def launcher_name(value: object, field: str = "launcher") -> str:
    if not isinstance(value, str) or value.strip().lower() not in LAUNCHERS:
        raise Invalid(f"{field} must be one of {', '.join(LAUNCHERS)}, not {value!r}")
    return value.strip().lower()


def memory_mb(value: object) -> int:
    """`4GB`, `512MB`, `1.5GiB` or a number of bytes, as whole MiB (at least 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise Invalid(f"memory must be a size like 4GB or 512MB, not {value!r}")
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*", str(value))
    unit = m.group(2).upper() if m else ""
    if m is None or unit not in _UNITS:
        raise Invalid(f"memory must be a size like 4GB or 512MB, not {value!r}")
    size = float(m.group(1)) * _UNITS[unit]
    if not math.isfinite(size) or size < (1 << 20) or size > (1 << 50):
        raise Invalid(f"memory {value!r} is out of range (1MB to 1PB)")
    return int(size // (1 << 20))


def cpus(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or not 0 < value <= MAX_CPUS:
        raise Invalid(f"cpus must be a number above 0 and at most {MAX_CPUS:g}, not {value!r}")
    return float(value)


def resources(value: object) -> dict[str, float]:
    if not isinstance(value, dict):
        raise Invalid('resources must be an object of name to amount, e.g. {"gpu_node": 1}')
    out = {}
    for name, amount in value.items():
        if not RESOURCE_NAME.fullmatch(str(name)) or name in ("CPU", "GPU", "memory"):
            raise Invalid(f"resource name {name!r} is not allowed (use --cpus/--memory for "
                          "CPU and memory; names are letters, digits, _ . : -)")
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) \
                or not math.isfinite(amount) or not 0 < amount <= 1e6:
            raise Invalid(f"resource {name!r} needs an amount above 0, not {amount!r}")
        out[str(name)] = float(amount)
    return out


def update(current: Placement, data: dict[str, Any]) -> Placement:
    """`current` changed by `duck set`'s body: a key absent leaves its value; null (or
    `"default"` for the launcher) clears it; `{"reset": true}` clears everything first."""
    if data.get("reset") is True:
        current = Placement()
    values: dict[str, Any] = {"launcher": current.launcher, "cpus": current.cpus,
                              "memory_mb": current.memory_mb, "resources": current.resources}
    if "launcher" in data:
        raw = data["launcher"]
        values["launcher"] = None if raw in (None, "default") else launcher_name(raw)
    if "cpus" in data:
        values["cpus"] = None if data["cpus"] is None else cpus(data["cpus"])
    if "memory" in data:
        values["memory_mb"] = None if data["memory"] is None else memory_mb(data["memory"])
    if "resources" in data:
        values["resources"] = {} if data["resources"] is None else resources(data["resources"])
    unknown = set(data) - {"launcher", "cpus", "memory", "resources", "reset"}
    if unknown:
        raise Invalid(f"unknown field(s) {', '.join(sorted(unknown))}; duck set takes "
                      "launcher, cpus, memory, resources, reset")
    return Placement(**values)


def effective(placement: Placement, default: str) -> str:
    return placement.launcher or default


def refuse_local_tables(launcher: str, data_url: str | None, pond: str) -> None:
    """A Duck on another machine cannot reach tables on the Catchment's disk."""
    if launcher in REMOTE and (data_url is None or data_url.startswith("file:")):
        where = "on its local disk" if data_url is None else f"at {data_url}"
        raise Conflict(
            f"{pond}: the {launcher} launcher runs Ducks on other machines, but this Catchment "
            f"keeps its tables {where}; give it an object-store data URL (catchment init "
            "--data-url s3://…) or keep the Pond on --launcher local")
