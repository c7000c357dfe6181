"""`docs/cli.md`, the command-line reference, from the command tree: a short hand-written
preamble (registrations, common options, exit codes, environment), then every group and
command with its help text, arguments and options."""

from __future__ import annotations

from duckstring.reference.manpages import ENVIRONMENT, EXIT_STATUS
from duckstring.reference.tree import Node

HEADER = ("<!-- generated from the command tree by `python -m duckstring.reference.gendocs`; "
          "edit the help texts (or duckstring/reference/markdown.py), not this file -->")

PREAMBLE = """\
# Command-line reference

Installed as `duckstring` and, identically, `ds`. Every command has `--help` with an example;
`duckstring --version` prints the version. This page is generated from the same command tree
as `--help`, the man pages (`man duckstring`, `man duckstring-trigger`, …) and the shell
completions, so they always agree.

## Registrations

Every command that talks to a Catchment uses a *registration* from `config.toml` in the
registration home (`~/.duckstring`, or `$DUCKSTRING_HOME`). The file is kept at mode 0600 (it
holds keys) and edits keep its comments:

{example}
Which one: `--catchment/-c NAME`, else `$DUCKSTRING_CATCHMENT`, else `default`, else the only
one. `catchment init` and `catchment connect` store the Catchment's id, and every command
checks it, so two registrations can never silently reach the same server.

A local registration whose server is not running is started inside the command that needs
it and stopped when the command ends (standing triggers set that way are kept and run
whenever the Catchment runs).

## Naming a Pond

Output names a live Pond line `name@major` (`sales@1`). Every command that takes a Pond
accepts that spelling, or `name` with `--major/-m N`; without either it means the highest
deployed major. `--version/-v X.Y.Z` insists on an exact version, which must be its line's
selected one.

## Common options

| option | meaning |
|---|---|
| `--catchment, -c NAME` | registration to use |
| `--major, -m N` | major line (default: the highest deployed) |
| `--version, -v X.Y.Z` | exact version; must be its line's selected version |
| `--silent` | submit and return without the live view |
| `--watch` | keep the live view open after a one-shot settles |
| `--json` | machine-readable output, on every read command |
| `--yes, -y` | answer yes to every question (without a terminal, a question is a refusal) |

Live views redraw at most ten times a second; without a terminal (CI, pipes) they print one
plain line per change, without colour. A one-shot view (tap, pulse, wake, force) ends when its
Pond settles, or when nothing in its lineage runs and nothing changes for a few seconds (the
demand stays in place).
"""


def _example() -> str:
    """The registration file example, from the one place that describes the file."""
    from duckstring import config

    doc = config.__doc__ or ""
    return "```toml\n" + doc.split("```toml\n", 1)[1].split("```", 1)[0] + "```\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _help(text: str) -> list[str]:
    out: list[str] = []
    for para in text.split("\n\n"):
        prose: list[str] = []
        for line in para.splitlines():
            if line.strip().startswith("Example:"):
                if prose:
                    out += [" ".join(prose), ""]
                    prose = []
                out += [f"Example: `{line.strip()[len('Example:'):].strip()}`", ""]
            else:
                prose.append(line.strip())
        if prose:
            out += [" ".join(prose), ""]
    return out


def _command(node: Node, level: int) -> list[str]:
    lines = [f"{'#' * level} `{node.usage()}`", "", *_help(node.help)]
    rows = [f"| `{a.metavar}` | {_cell(a.help)} |" for a in node.arguments if a.help]
    for o in node.options:
        flags = ", ".join(o.flags) + (f" {o.metavar}" if o.metavar else "")
        rows.append(f"| `{flags}` | {_cell(o.help)} |")
    if rows:
        lines += ["| argument or option | meaning |", "|---|---|", *rows, ""]
    for child in node.children:
        lines += _command(child, level + 1)
    return lines


def cli_reference(tree: Node) -> str:
    lines = [HEADER, "", PREAMBLE.replace("{example}", _example()), "## Exit codes", "", "| code | meaning |", "|---|---|"]
    lines += [f"| {code} | {_cell(text)} |" for code, text in EXIT_STATUS]
    lines += ["", "## Environment", "", "| variable | meaning |", "|---|---|"]
    lines += [f"| `{var}` | {_cell(text)} |" for var, text in ENVIRONMENT]
    lines += ["", "Settings of the Catchment itself (hosting, timeouts, limits, retention) are "
              "in [operating.md](operating.md#10-settings-and-limits).", ""]
    lines += ["## Commands", ""]
    for node in tree.children:
        lines += _command(node, 3)
    return "\n".join(lines).rstrip() + "\n"
