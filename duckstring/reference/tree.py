"""The command tree read from the Typer app, as plain data for the generators."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

PROG = "duckstring"
ALIASES = ("ds",)


@dataclass(frozen=True)
class Opt:
    flags: tuple[str, ...]  # long and short spellings, e.g. ("--catchment", "-c")
    metavar: str | None  # None for a flag
    help: str

    @property
    def takes_value(self) -> bool:
        return self.metavar is not None


@dataclass(frozen=True)
class Arg:
    metavar: str
    help: str
    required: bool


@dataclass
class Node:
    path: tuple[str, ...]  # ("duckstring", "trigger", "window", "add")
    help: str  # plain text, paragraphs separated by blank lines
    options: list[Opt]
    arguments: list[Arg]
    children: list[Node] = field(default_factory=list)
    invocation: str = ""  # how it is called, with the arguments of enclosing groups

    @property
    def name(self) -> str:
        return " ".join(self.path)

    @property
    def short(self) -> str:
        return self.help.split("\n\n")[0].replace("\n", " ").strip()

    @property
    def is_group(self) -> bool:
        return bool(self.children)

    @property
    def takes_pond(self) -> bool:
        """Whether its first argument names a deployed Pond (completed from the cache)."""
        return bool(self.arguments) and self.arguments[0].metavar.strip("[]") == "POND"

    def walk(self) -> list[Node]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out

    def usage(self) -> str:
        parts = [self.invocation or self.name, "[OPTIONS]"]
        parts += [a.metavar if a.required else f"[{a.metavar.strip('[]')}]" for a in self.arguments]
        if self.is_group:
            parts.append("COMMAND [ARGS]...")
        return " ".join(parts)


def plain(text: str | None) -> str:
    """Help text without rich markup, dedented."""
    from rich.text import Text

    return Text.from_markup(inspect.cleandoc(text or "")).plain.strip()


def load(app: Any) -> Node:
    """The tree of a Typer `app` (the CLI's is `duckstring.cli.app`). It is an argument, not an
    import, so that the CLI can use its own reference without an import cycle."""
    import typer

    command = typer.main.get_command(app)
    return _node(command, (PROG,), PROG)


def _node(cmd: Any, path: tuple[str, ...], invocation: str) -> Node:
    options, arguments = [], []
    for p in cmd.params:
        if getattr(p, "hidden", False):
            continue
        if p.param_type_name == "argument":
            meta = p.metavar or p.name.upper()
            arguments.append(Arg(meta, plain(getattr(p, "help", "") or ""), bool(p.required)))
            continue
        flags = tuple(sorted(p.opts + p.secondary_opts, key=lambda f: (not f.startswith("--"), f)))
        metavar = None if p.is_flag else (p.metavar or p.name.upper())
        options.append(Opt(flags, metavar, plain(p.help)))
    options.append(Opt(("--help", "-h"), None, "Show the help and exit."))
    node = Node(path, plain(cmd.help), options, arguments, invocation=invocation)
    inner = " ".join([invocation, *(a.metavar for a in arguments)])
    for name, sub in getattr(cmd, "commands", {}).items():
        node.children.append(_node(sub, (*path, name), f"{inner} {name}"))
    return node
