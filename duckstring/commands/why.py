"""`duckstring why`: a Pond's state and the chain of reasons, each with its rule of
docs/concepts.md."""

from __future__ import annotations

from typing import Any

from duckstring.commands._context import (
    CATCHMENT,
    JSON,
    MAJOR,
    POND,
    open_catchment,
    parse_pond,
    print_json,
)


def why(pond: str = POND, catchment: str | None = CATCHMENT, major: int | None = MAJOR,
        json_out: bool = JSON) -> None:
    """Why the Pond is (not) running: its state and the chain of reasons behind it.

    Each reason names the rule of docs/concepts.md it comes from — blocked by a failed Source
    (with the command that fixes it), waiting for a running Source or a Window, idle without
    demand, or a next run that will pass. A Source it waits on that is itself waiting is
    explained in turn, down to the root.

    Example: [bold]duckstring why reports[/]
    """
    from duckstring.terminal import console

    t = parse_pond(pond, major)
    with open_catchment(catchment, t) as s:
        doc = s.client.why(t)
    if json_out:
        print_json(doc)
        return
    out = console.out()
    for text in lines(doc):
        out.print(text, soft_wrap=True, markup=False, highlight=False)


def lines(doc: dict[str, Any], depth: int = 0) -> list[str]:
    """`sales@1 queued` and one indented line per reason, its rule at the end."""
    pad = "  " * depth
    out = [f"{pad}{doc['pond']} {doc['status']}"]
    if not doc["reasons"]:
        out.append(f"{pad}  nothing to explain")
    for r in doc["reasons"]:
        out.append(f"{pad}  {r['text']}  ({r['rule']})")
        if r.get("upstream"):
            out.extend(lines(r["upstream"], depth + 2))
    return out
