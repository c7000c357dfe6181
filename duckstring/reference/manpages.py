"""roff man pages from the command tree: `duckstring.1` (the tool, its top-level commands,
environment, files and exit status) and `duckstring-GROUP.1` per command group."""

from __future__ import annotations

from duckstring import __version__
from duckstring.reference.tree import PROG, Node

SECTION = "1"
MANUAL = "duckstring manual"

ENVIRONMENT = [
    ("DUCKSTRING_HOME", "The registration home, holding config.toml (default ~/.duckstring)."),
    ("DUCKSTRING_CATCHMENT", "The registration to use when -c is not given."),
    ("DUCKSTRING_DEBUG", "Set to 1 to see Python tracebacks instead of one-line errors."),
    ("DUCKSTRING_DEMO_SPEED", "Multiplier of the demo Ponds' sleeps (0 = no sleeping)."),
    ("NO_COLOR", "Turn colours off (they are off anyway without a terminal)."),
]
EXIT_STATUS = [
    ("0", "Success."),
    ("1", "The pipeline did not succeed: a watched one-shot ended failed, blocked or killed."),
    ("2", "Usage error: bad arguments, invalid input, no registration."),
    ("3", "The Catchment is unreachable."),
    ("4", "Refused: no key, a wrong or revoked key, or a key below the level needed (401, 403)."),
    ("5", "Not found: unknown Pond, table or version."),
    ("130", "The live view of a one-shot was closed before it settled (the demand stays)."),
]


def esc(text: str) -> str:
    """Escape text for roff: backslashes, and a leading dot or quote on any line."""
    out = []
    for line in text.replace("\\", "\\e").split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def _flag(text: str) -> str:
    return "\\fB" + esc(text).replace("-", "\\-") + "\\fR"


def _paragraphs(text: str) -> list[str]:
    """Paragraphs reflowed by roff; each `Example:` line stays a line of its own."""
    lines: list[str] = []
    for para in text.split("\n\n"):
        lines.append(".PP")
        prose: list[str] = []
        for line in para.splitlines():
            if line.strip().startswith("Example:"):
                if prose:
                    lines += [esc(" ".join(prose)), ".br"]
                    prose = []
                lines += [esc(line.strip()), ".br"]
            else:
                prose.append(line.strip())
        if prose:
            lines.append(esc(" ".join(prose)))
        elif lines[-1] == ".br":
            lines.pop()
    return lines


def _options(node: Node) -> list[str]:
    lines = []
    for o in node.options:
        head = ", ".join(_flag(f) for f in o.flags)
        if o.metavar:
            head += " \\fI" + esc(o.metavar) + "\\fR"
        lines += [".TP", head, esc(o.help or "")]
    return lines


def _command(node: Node) -> list[str]:
    lines = [f'.SS "{esc(node.usage())}"', *_paragraphs(node.help)]
    for a in node.arguments:
        if a.help:
            lines += [".TP", "\\fI" + esc(a.metavar) + "\\fR", esc(a.help)]
    lines += _options(node)
    for child in node.children:
        lines += _command(child)
    return lines


def _title(name: str) -> str:
    return f'.TH "{name.upper()}" "{SECTION}" "" "duckstring {__version__}" "{MANUAL}"'


def group_page(group: Node) -> str:
    name = "-".join(group.path)
    roff_name = esc(name).replace("-", "\\-")
    lines = [
        '.\\" generated from the command tree by `python -m duckstring.reference.gendocs`',
        _title(name),
        ".SH NAME",
        f"{roff_name} \\- {esc(group.short)}",
        ".SH SYNOPSIS",
        f"\\fB{esc(group.name)}\\fR \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGS\\fR]...",
        ".SH DESCRIPTION",
        *_paragraphs(group.help),
        ".SH COMMANDS",
    ]
    for child in group.children:
        lines += _command(child)
    lines += [".SH SEE ALSO", f"\\fB{PROG}\\fR(1)"]
    return "\n".join(lines) + "\n"


def main_page(tree: Node) -> str:
    groups = [c for c in tree.children if c.is_group]
    commands = [c for c in tree.children if not c.is_group]
    lines = [
        '.\\" generated from the command tree by `python -m duckstring.reference.gendocs`',
        _title(PROG),
        ".SH NAME",
        f"{PROG}, ds \\- {esc(tree.short)}",
        ".SH SYNOPSIS",
        f"\\fB{PROG}\\fR [\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
        ".SH DESCRIPTION",
        *_paragraphs(tree.help),
        ".PP",
        "\\fBds\\fR is the same program under a shorter name.",
        ".SH OPTIONS",
        *_options(tree),
        ".SH COMMAND GROUPS",
    ]
    for g in groups:
        page = f"\\fB{PROG}\\-{esc(g.path[-1])}\\fR(1)"
        lines += [".TP", f"\\fB{esc(g.path[-1])}\\fR", f"{esc(g.short)} See {page}."]
    lines.append(".SH COMMANDS")
    for c in commands:
        lines += _command(c)
    lines.append(".SH ENVIRONMENT")
    for var, text in ENVIRONMENT:
        lines += [".TP", f"\\fB{var}\\fR", esc(text)]
    lines += [
        ".SH FILES",
        ".TP",
        "\\fI~/.duckstring/config.toml\\fR",
        "The registered Catchments (URL, local root, key, headers), mode 0600.",
        ".SH EXIT STATUS",
    ]
    for code, text in EXIT_STATUS:
        lines += [".TP", f"\\fB{code}\\fR", esc(text)]
    lines += [".SH SEE ALSO",
              ", ".join(f"\\fB{PROG}\\-{esc(g.path[-1])}\\fR(1)" for g in groups)]
    return "\n".join(lines) + "\n"


def pages(tree: Node) -> dict[str, str]:
    """`{file name: roff text}` for every page."""
    out = {f"{PROG}.{SECTION}": main_page(tree)}
    for g in tree.children:
        if g.is_group:
            out[f"{'-'.join(g.path)}.{SECTION}"] = group_page(g)
    return out
