"""Static completion scripts for bash, zsh and fish, generated from the command tree.

They complete commands, subcommands and options (with descriptions in zsh and fish), the
registered Catchment names after `-c`, read straight from `config.toml`, and deployed Ponds
where a command takes one, read from the cache the CLI keeps (`duckstring.known`): pressing
Tab never starts Python. `--show-completion` prints the script for the current shell and
`--install-completion` installs it; the copies in `completions/` are the same scripts.
"""

from __future__ import annotations

import os
from pathlib import Path

from duckstring.reference.tree import ALIASES, PROG, Node

SHELLS = ("bash", "zsh", "fish")
FILES = {"bash": "duckstring.bash", "zsh": "_duckstring", "fish": "duckstring.fish"}
# (command path, option) pairs and positionals that name a registration
CATCHMENT_FLAGS = ("--catchment", "-c")
CATCHMENT_ARGS = ("catchment start", "catchment set-default", "catchment disconnect")
HEADER = ("completion for duckstring and ds — generated from the command tree by "
          "`python -m duckstring.reference.gendocs`; do not edit")

_CATCHMENTS_SED = r"sed -n 's/^[[:space:]]*\[catchments\.\([^]]*\)\].*/\1/p'"
_PONDS_DIR = "${DUCKSTRING_HOME:-$HOME/.duckstring}/completion"


def _value_options(tree: Node) -> list[str]:
    """`path:flag` for every option that takes a value."""
    return [f"{n.name}:{flag}" for n in tree.walk() for o in n.options if o.takes_value
            for flag in o.flags]


def _paths(tree: Node) -> list[str]:
    return [n.name for n in tree.walk() if n is not tree]


def _names_registrations(node: Node) -> bool:
    return " ".join(node.path[1:]) in CATCHMENT_ARGS


def _sq(text: str) -> str:
    """Single-quoted for bash and zsh."""
    return "'" + text.replace("'", "'\\''") + "'"


# -- bash ----------------------------------------------------------------------------------


def bash(tree: Node) -> str:
    values = "|".join(_sq(v) for v in _value_options(tree))
    paths = "|".join(_sq(p) for p in _paths(tree))
    cases = []
    for n in tree.walk():
        words = " ".join(c.path[-1] for c in n.children)
        opts = " ".join(f for o in n.options for f in o.flags)
        extra = ' words="$(_duckstring_catchments)";' if _names_registrations(n) else ""
        extra += " ponds=1;" if n.takes_pond else ""
        cases.append(f"        {_sq(n.name)}) words={_sq(words)}; opts={_sq(opts)};{extra} ;;")
    catchment_prev = "|".join(CATCHMENT_FLAGS)
    return f"""# bash {HEADER}.

_duckstring_catchments() {{
    local file="${{DUCKSTRING_HOME:-$HOME/.duckstring}}/config.toml"
    [[ -r "$file" ]] && {_CATCHMENTS_SED} "$file" | tr -d '"'
}}

_duckstring_ponds() {{
    cat "{_PONDS_DIR}"/*.ponds 2>/dev/null | sort -u
}}

_duckstring() {{
    local cur prev word cmdpath i skip=0 npos=0 ponds=0 words="" opts=""
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    cmdpath="{PROG}"
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${{COMP_WORDS[i]}}"
        if ((skip)); then skip=0; continue; fi
        case "$cmdpath:$word" in
            {values}) skip=1; continue ;;
        esac
        case "$word" in -*) continue ;; esac
        case "$cmdpath $word" in
            {paths}) cmdpath="$cmdpath $word"; npos=0 ;;
            *) npos=$((npos + 1)) ;;
        esac
    done
    if ((skip)); then
        case "$prev" in
            {catchment_prev}) COMPREPLY=($(compgen -W "$(_duckstring_catchments)" -- "$cur")) ;;
        esac
        return
    fi
    case "$cmdpath" in
{chr(10).join(cases)}
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif ((ponds && npos == 0)); then
        COMPREPLY=($(compgen -W "$(_duckstring_ponds)" -- "$cur"))
    elif ((!ponds || npos == 1)); then
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
    fi
}}

complete -o default -F _duckstring {" ".join((PROG, *ALIASES))}
"""


# -- zsh -----------------------------------------------------------------------------------


def _zitem(name: str, help_text: str) -> str:
    return _sq(f"{name.replace(':', chr(92) + ':')}:{help_text}")


def zsh(tree: Node) -> str:
    values = "|".join(_sq(v) for v in _value_options(tree))
    paths = "|".join(_sq(p) for p in _paths(tree))
    cases = []
    for n in tree.walk():
        cmds = " ".join(_zitem(c.path[-1], c.short) for c in n.children)
        opts = " ".join(_zitem(f, o.help.split("\n")[0]) for o in n.options for f in o.flags)
        regs = " regs=1;" if _names_registrations(n) else ""
        regs += " ponds=1;" if n.takes_pond else ""
        cases.append(f"    ({_sq(n.name)}) cmds=({cmds}); opts=({opts});{regs} ;;")
    catchment_prev = "|".join(f"*:{f}" for f in CATCHMENT_FLAGS)
    return f"""#compdef {" ".join((PROG, *ALIASES))}
# zsh {HEADER}.

_duckstring_catchments() {{
  local file="${{DUCKSTRING_HOME:-$HOME/.duckstring}}/config.toml"
  [[ -r "$file" ]] && {_CATCHMENTS_SED} "$file" | tr -d '"'
}}

_duckstring_ponds() {{
  cat "{_PONDS_DIR}"/*.ponds(N) 2>/dev/null | sort -u
}}

_duckstring() {{
  local cmdpath="{PROG}" word prev i skip=0 regs=0 npos=0 ponds=0
  local -a cmds opts
  for (( i = 2; i < CURRENT; i++ )); do
    word=${{words[i]}}
    if (( skip )); then skip=0; continue; fi
    case "$cmdpath:$word" in
      ({values}) skip=1; continue ;;
    esac
    [[ $word == -* ]] && continue
    case "$cmdpath $word" in
      ({paths}) cmdpath="$cmdpath $word"; npos=0 ;;
      (*) (( npos++ )) ;;
    esac
  done
  prev=${{words[CURRENT-1]}}
  if (( skip )); then
    case "$cmdpath:$prev" in
      ({catchment_prev}) compadd -- ${{(f)"$(_duckstring_catchments)"}} ;;
      (*) _files ;;
    esac
    return
  fi
  case "$cmdpath" in
{chr(10).join(cases)}
  esac
  if [[ $PREFIX == -* ]]; then
    _describe -t options 'option' opts
  elif (( ponds && npos == 0 )); then
    compadd -- ${{(f)"$(_duckstring_ponds)"}}
  elif (( ponds && npos > 1 )) || (( ponds && ! ${{#cmds}} )); then
    _files
  elif (( regs )); then
    compadd -- ${{(f)"$(_duckstring_catchments)"}}
  elif (( ${{#cmds}} )); then
    _describe -t commands 'command' cmds
  else
    _files
  fi
}}

_duckstring "$@"
"""


# -- fish ----------------------------------------------------------------------------------


def _fq(text: str) -> str:
    """Single-quoted for fish."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fish(tree: Node) -> str:
    values = " ".join(_fq(v) for v in _value_options(tree))
    paths = " ".join(_fq(p) for p in _paths(tree))
    lines = []
    for n in tree.walk():
        at = f"-n \"__duckstring_at '{n.name}'\""
        after_pond = f"-n \"__duckstring_slot '{n.name}' 1\"" if n.takes_pond else at
        if n.takes_pond:
            lines.append(f"complete -c {PROG} -n \"__duckstring_slot '{n.name}' 0\" -f "
                         "-a '(__duckstring_ponds)'")
        for c in n.children:
            lines.append(f"complete -c {PROG} {after_pond} -f -a {c.path[-1]} -d {_fq(c.short)}")
        if _names_registrations(n):
            lines.append(f"complete -c {PROG} {at} -f -a '(__duckstring_catchments)'")
        for o in n.options:
            spec = " ".join(f"-l {f[2:]}" if f.startswith("--") else f"-s {f[1:]}"
                            for f in o.flags)
            if o.takes_value:
                spec += " -x -a '(__duckstring_catchments)'" if o.flags[0] == "--catchment" \
                    else " -r"
            lines.append(f"complete -c {PROG} {at} {spec} -d {_fq(o.help.split(chr(10))[0])}")
    return f"""# fish {HEADER}.

function __duckstring_catchments
    set -l home $HOME/.duckstring
    set -q DUCKSTRING_HOME; and set home $DUCKSTRING_HOME
    test -r $home/config.toml; and {_CATCHMENTS_SED} $home/config.toml | string replace -a '"' ''
end

function __duckstring_ponds
    set -l home $HOME/.duckstring
    set -q DUCKSTRING_HOME; and set home $DUCKSTRING_HOME
    cat $home/completion/*.ponds 2>/dev/null | sort -u
end

function __duckstring_state
    set -l cmdpath {PROG}
    set -l skip 0
    set -l npos 0
    for word in (commandline -opc)[2..-1]
        if test $skip -eq 1
            set skip 0
            continue
        end
        if contains -- "$cmdpath:$word" {values}
            set skip 1
            continue
        end
        string match -q -- '-*' $word; and continue
        if contains -- "$cmdpath $word" {paths}
            set cmdpath "$cmdpath $word"
            set npos 0
        else
            set npos (math $npos + 1)
        end
    end
    echo $cmdpath
    echo $npos
end

function __duckstring_at
    set -l state (__duckstring_state)
    test "$state[1]" = $argv[1]
end

function __duckstring_slot
    set -l state (__duckstring_state)
    test "$state[1]" = $argv[1] -a "$state[2]" = $argv[2]
end

{chr(10).join(lines)}
{chr(10).join(f"complete -c {alias} -w {PROG}" for alias in ALIASES)}
"""


GENERATORS = {"bash": bash, "zsh": zsh, "fish": fish}


def script(shell: str, tree: Node) -> str:
    return GENERATORS[shell](tree)


def detect_shell() -> str:
    from duckstring.cli_errors import USAGE, CliError

    name = ""
    try:
        import shellingham

        name = shellingham.detect_shell()[0]
    except Exception:  # not installed, or no shell found among our parents
        name = Path(os.environ.get("SHELL", "")).name
    if name not in SHELLS:
        raise CliError(f"cannot complete for shell {name or '(unknown)'!r}; bash, zsh and fish "
                       "are supported (the scripts are also in completions/)", USAGE)
    return name


def install(shell: str, tree: Node) -> list[str]:
    """Install the script where the shell finds it; return what was done, line by line."""
    home = Path.home()
    text = script(shell, tree)
    done = []
    if shell == "bash":
        target = home / ".bash_completions" / "duckstring.sh"
        _write(target, text)
        done.append(f"wrote {target}")
        done += _ensure_lines(home / ".bashrc", [f"source {target}"])
    elif shell == "zsh":
        target = home / ".zfunc" / "_duckstring"
        _write(target, text)
        done.append(f"wrote {target}")
        done += _ensure_lines(home / ".zshrc", ["fpath+=~/.zfunc",
                                                "autoload -Uz compinit && compinit"])
    else:
        folder = home / ".config" / "fish" / "completions"
        for name in (PROG, *ALIASES):
            _write(folder / f"{name}.fish", text)
            done.append(f"wrote {folder / f'{name}.fish'}")
    done.append(f"{shell} completion installed; open a new shell to use it")
    return done


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _ensure_lines(rc: Path, lines: list[str]) -> list[str]:
    existing = rc.read_text(encoding="utf-8").splitlines() if rc.exists() else []
    missing = [line for line in lines if line not in existing]
    if missing:
        with open(rc, "a", encoding="utf-8") as fh:
            fh.write("\n# duckstring completion\n" + "\n".join(missing) + "\n")
        return [f"added to {rc}: {'; '.join(missing)}"]
    return []
