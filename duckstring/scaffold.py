"""`duckstring pond init`: a new Pond project (docs/authoring.md §1) that deploys
and runs as it is: an Inlet with one Ripple writing one table."""

from __future__ import annotations

from pathlib import Path

POND_TOML = '''\
[pond]
name = "{name}"
version = "0.1.0"
type = "inlet"              # inlet (no Sources) | pond | outlet
# immediate_retries = 1     # retries within a failing run (seeds the live budget)
# source_retries = 0        # failed runs retried when a Source changes

# [sources]                 # the Ponds this one reads (then set type = "pond")
# sales = "1.0.0"           # major 1, at least 1.0.0; "1.0.0?" makes it optional
'''

POND_PY = '''\
"""{name}: the Ripples of this Pond. Each @ripple usually writes one table."""

from __future__ import annotations

from duckstring import ripple


@ripple
def numbers(pond):
    """A first table; replace it with your own transform."""
    pond.write_table("numbers", pond.con.sql(
        "SELECT range AS n, range * range AS square FROM range(10)"
    ))


# @ripple(parents=[numbers])
# def totals(pond):
#     pond.write_table("totals", pond.con.sql("SELECT sum(square) AS total FROM numbers"))
'''

PUDDLES_PY = '''\
"""Puddles: small local stand-ins for your Sources' tables, for `duckstring pond hydrate` and
`duckstring pond run`. They are never deployed."""

from __future__ import annotations

from duckstring import puddle  # noqa: F401


# @puddle("sales.sale_line")
# def sale_lines(p):
#     return p.con.sql("SELECT 1 AS product_id, 2 AS quantity")
'''

GITIGNORE = """\
puddles/
__pycache__/
.venv/
.duckstring/
*.duckdb
"""

README = """\
# {name}

A duckstring Pond. The Ripples are in `src/pond.py`; `pond.toml` names the Pond, its version
and its Sources.

```sh
duckstring pond deploy                 # upload this version to the Catchment
duckstring trigger pulse {name}        # run it once, to now
duckstring query {name} numbers        # look at the result
```
"""

FILES = {
    "pond.toml": POND_TOML,
    "src/pond.py": POND_PY,
    "src/puddles.py": PUDDLES_PY,
    ".gitignore": GITIGNORE,
    "README.md": README,
}


# A directory holding one of these already is a Pond project; the others are kept if present.
ESSENTIAL = ("pond.toml", "src/pond.py")


def existing(dest: Path) -> list[str]:
    """The essential files `dest` already has (then it cannot be scaffolded)."""
    return [rel for rel in ESSENTIAL if (dest / rel).exists()]


def write_project(dest: Path, name: str) -> tuple[list[Path], list[Path]]:
    """Write the project files into `dest`, keeping any non-essential one already there (a
    README, a .gitignore); returns `(written, kept)`."""
    written, kept = [], []
    for rel, template in FILES.items():
        path = dest / rel
        if path.exists() and rel not in ESSENTIAL:
            kept.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as fh:
            fh.write(template.format(name=name))
        written.append(path)
    return written, kept
