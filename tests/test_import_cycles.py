"""No import cycles between duckstring's modules (issue 10: seams).

Every `import` counts, at module level or inside a function, except type-only ones under
`if TYPE_CHECKING:`. Importing `a.b.c` also imports the packages `a` and `a.b`, except those
that enclose the importing module (they are already being imported when it runs).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "duckstring"


def modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _type_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported_names(path: Path, package: str) -> set[str]:
    """Dotted names of everything `path` imports from duckstring, type-only imports left out."""
    names: set[str] = set()
    todo: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while todo:
        node = todo.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_only(child):
                todo.extend(child.orelse)
                continue
            if isinstance(child, ast.Import):
                names.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*up, base] if base else up)
                # `from pkg import mod` needs the module; `from pkg import name`, pkg itself
                names.update(f"{base}.{alias.name}" for alias in child.names)
            todo.append(child)
    return {n for n in names if n == "duckstring" or n.startswith("duckstring.")}


def graph() -> dict[str, set[str]]:
    mods = modules()
    edges: dict[str, set[str]] = {}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for dotted in imported_names(path, package):
            while dotted and dotted not in mods:  # `from pkg.mod import function`
                dotted = dotted.rpartition(".")[0]
            parts = dotted.split(".")
            for i in range(1, len(parts)):  # the enclosing packages it also imports
                parent = ".".join(parts[:i])
                if not (name + ".").startswith(parent + "."):
                    targets.add(parent)
            targets.add(dotted)
        targets.discard(name)
        edges[name] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles() -> None:
    edges = graph()
    assert len(edges) > 50  # the walk found the package
    found = cycles(edges)
    assert not found, "import cycles: " + "; ".join(
        " ↔ ".join(c) + " (" + ", ".join(f"{m} → {sorted(edges[m] & set(c))}" for m in c) + ")"
        for c in found)


def test_only_the_entry_points_import_the_command_tree() -> None:
    # What the commands share with other packages lives outside commands/ (Target, deploying),
    # and the reference is handed the tree; only the entry point and gendocs import the CLI.
    allowed = {"duckstring.entry", "duckstring.__main__", "duckstring.reference.gendocs"}
    for name, targets in graph().items():
        if name == "duckstring.cli" or name.startswith("duckstring.commands") or name in allowed:
            continue
        assert not {t for t in targets
                    if t == "duckstring.cli" or t.startswith("duckstring.commands")}, name


def test_the_walk_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_walk_reads_function_level_and_skips_type_only_imports(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import sibling\n"
        "if TYPE_CHECKING:\n    from duckstring.cli import app\n"
        "def f():\n    from duckstring.engine import Engine\n",
        encoding="utf-8")
    assert imported_names(path, "duckstring.simulator") == {
        "duckstring.simulator.sibling", "duckstring.engine.Engine"}
