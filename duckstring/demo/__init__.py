"""The four demo Ponds (docs/cli.md, `pond demo`), shipped as package data.

`transactions` (Inlet, 1 s) and `products` (Inlet, 2 s) feed `sales` (`daily_sales` 2 s and
`price_tiers` 1 s feeding `join_lines` 3 s), which feeds `reports` (Outlet, `monthly_summary`
1 s). Each Ripple sleeps its nominal time × `DUCKSTRING_DEMO_SPEED` (`0` = no sleeping).
"""

from __future__ import annotations

import shutil
from pathlib import Path

PONDS = ("transactions", "products", "sales", "reports")
FILES = ("pond.toml", "src/pond.py", "src/puddles.py", "README.md", ".gitignore")
HERE = Path(__file__).parent


def source(name: str) -> Path:
    """The packaged project directory of one demo Pond."""
    return HERE / name


def write_demo(dest: Path) -> list[Path]:
    """Copy the four demo projects into `dest/{name}/`; return their directories. Existing
    files are overwritten; nothing else in `dest` is touched."""
    written = []
    for name in PONDS:
        target = Path(dest) / name
        for rel in FILES:
            out = target / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(HERE / name / rel, out)
        written.append(target)
    return written
