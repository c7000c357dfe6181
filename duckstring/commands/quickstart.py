"""`duckstring quickstart`: the one-command tour (docs/cli.md).

1. Use the Catchment named `demo` (or `-c NAME`); when there is none, register a local one
   under the registration home (`~/.duckstring/demo`), on port 7474 or the next one no other
   registration uses.
2. Write the four demo Ponds into `--dir` (Ponds already there are kept as they are).
3. Deploy the ones not yet deployed (an existing version is reused).
4. Pulse `reports` with the live view — through the local Catchment started on demand when it
   is not running.
5. Print rows of `reports.monthly_summary` and the commands to try next.

Every step reuses what exists, so running it twice is harmless.
"""

from __future__ import annotations

from pathlib import Path

import typer

from duckstring.commands._context import CATCHMENT, open_catchment
from duckstring.target import Target

NAME = "demo"


def _registration(name: str | None, port: int | None) -> str:
    from duckstring.commands.catchment import register_local
    from duckstring.config import Config
    from duckstring.terminal import console

    cfg = Config.load(warn=console.warn)
    if name is not None:
        cfg.get(name)
        return name
    if NAME in cfg.registrations():
        return NAME
    reg = register_local(cfg, NAME, port=port)
    if cfg.default not in cfg.registrations():
        cfg.set_default(NAME)
    cfg.save()
    console.note(f"registered a local Catchment {NAME!r} at {reg.url} (root {reg.root})")
    return NAME


def quickstart(
    directory: Path = typer.Option(Path("duckstring-demo"), "--dir", metavar="DIR",
                                   help="Where to write the demo Ponds."),
    catchment: str | None = CATCHMENT,
    port: int | None = typer.Option(None, "--port", "-p", min=1, max=65535,
                                    help="Port of the demo Catchment when it is created "
                                         "(default 7474, or the next one no registration uses)."),
) -> None:
    """The tour: a local Catchment, the demo Ponds, one Pulse of reports and its result.

    Registers a local Catchment [bold]demo[/] when there is none, writes the four demo Ponds,
    deploys them, Pulses [bold]reports[/] with the live view (starting the Catchment on
    demand), then prints [bold]reports.monthly_summary[/]. Safe to run again.

    Example: [bold]duckstring quickstart[/]
    """
    from duckstring.commands._verbs import follow_one_shot
    from duckstring.demo import PONDS, write_demo
    from duckstring.deploying import deploy_project
    from duckstring.terminal import console
    from duckstring.terminal.views import rows_table

    name = _registration(catchment, port)
    missing = [p for p in PONDS if not (directory / p / "pond.toml").is_file()]
    if len(missing) == len(PONDS):
        write_demo(directory)
    elif missing:
        _write_some(directory, missing)
    if missing:
        console.note(f"wrote the demo Ponds {', '.join(missing)} into {directory}/")
    with open_catchment(name) as s:
        for pond in PONDS:
            deploy_project(s, directory / pond, yes=False, skip_existing=True)
        follow_one_shot(s, Target("reports"), "pulse", silent=False, watch=False)
        result = s.client.json(s.client.query({"pond": "reports", "table": "monthly_summary"}))
    out = console.out()
    out.print(rows_table(result, title="reports.monthly_summary (first rows)"))
    flag = "" if name == NAME and catchment is None else f" -c {name}"
    tips = [
        (f"duckstring status{flag} --once", "every Pond, its freshness and runs"),
        (f"duckstring runs reports{flag}", "the run history, with each Ripple attempt"),
        (f"duckstring query sales{flag} --sql \"SELECT tier, sum(revenue) FROM sale_line "
         "GROUP BY ALL\"", ""),
        (f"duckstring trigger tide reports 30s{flag}", "keep reports at most 30 s stale"),
        (f"duckstring catchment start {name}", "serve it, with the web UI at its URL"),
        ("duckstring pond init hello", "start a Pond of your own"),
    ]
    width = max(len(cmd) for cmd, text in tips if text)
    out.print("\nNext, try:", markup=False)
    for cmd, text in tips:
        out.print(f"  {cmd.ljust(width)}  {text}".rstrip(), markup=False, highlight=False,
                  soft_wrap=True)


def _write_some(directory: Path, names: list[str]) -> None:
    """Write only the missing demo Ponds (keeping edits to the others)."""
    import shutil
    import tempfile

    from duckstring.demo import write_demo

    with tempfile.TemporaryDirectory() as tmp:
        write_demo(Path(tmp))
        for n in names:
            shutil.copytree(Path(tmp) / n, directory / n, dirs_exist_ok=True)
