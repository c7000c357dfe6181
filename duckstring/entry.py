"""The console entry point (`duckstring`, `ds`, `python -m duckstring`).

`duckstring --version` and `duckstring --help` answer before the command tree (typer, rich and
every command module) is imported: the version is a constant, and the root help was rendered
from the tree ahead of time (`duckstring/reference/roothelp.py`). Everything else, and a root
help that would not look the same as rich would draw it here (a terminal narrower than the
text, another program name, the environment asking for colours or a width), runs the CLI.
"""

import os
import sys

# Environment that changes how rich or Typer would draw the help (see roothelp.RENDER_ENV).
_RENDER_ENV = ("COLUMNS", "TERMINAL_WIDTH", "FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS",
               "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS",
               "_TYPER_FORCE_DISABLE_TERMINAL")


def main(prog_name: str | None = None) -> None:
    try:
        if _answered(prog_name or os.path.basename(sys.argv[0]), sys.argv[1:]):
            return
    except BrokenPipeError:
        from duckstring.cli_errors import reader_gone

        reader_gone()
    from duckstring.cli import main as run

    run(prog_name=prog_name)


def _answered(prog: str, args: list[str]) -> bool:
    """Print the version or the root help if that is all `args` ask for and it can be done
    without the command tree."""
    text = None
    if args == ["--version"]:
        from duckstring import __version__

        text = f"duckstring {__version__}\n"
    elif args in (["--help"], ["-h"]) and prog == "duckstring":
        text = _root_help()
    if text is None:
        return False
    sys.stdout.write(text)
    sys.stdout.flush()
    return True


def _root_help() -> str | None:
    """The pre-rendered root help, or None where rich would draw something else."""
    out = sys.stdout
    if os.name == "nt" or any(os.environ.get(name) for name in _RENDER_ENV):
        return None
    if not (out.encoding or "").lower().replace("-", "").startswith("utf8"):
        return None  # rich would fall back to ASCII boxes
    from duckstring.reference import roothelp_text

    if not out.isatty():
        return roothelp_text.PLAIN
    try:
        columns = os.get_terminal_size(out.fileno()).columns
    except (OSError, ValueError):
        return None
    if columns < roothelp_text.WIDTH:
        return None
    dumb = os.environ.get("TERM", "").lower() in ("dumb", "unknown")
    return roothelp_text.PLAIN if dumb or os.environ.get("NO_COLOR") else roothelp_text.STYLED
