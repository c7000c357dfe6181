"""The documentation that ships holds no dangling reference: every relative link and repository
path in README.md and docs/, every file named in a --help text, and every document (and `§`
section) a docstring cites exists in the repository — `spec/…`, which users do not have, never
appears."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from duckstring.cli import app
from duckstring.reference.gendocs import ROOT
from duckstring.reference.tree import load
from duckstring.scaffold import FILES as SCAFFOLD

MARKDOWN = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
REPO_DIRS = ("docs", "examples", "completions", "man", "duckstring", "tests", "bench", "spec")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
MD_NAME = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.md)\b")
CITED = re.compile(r"(?<![\w/])(docs/[\w-]+\.md)((?:[ ,]+§\d+(?:\.\d+)?(?:[–-]§?\d+)?)*)")
NUMBERED = re.compile(r"^#{2,3} (\d+)\. ", re.MULTILINE)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def anchors(path: Path) -> set[str]:
    return {slug(m) for m in re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"),
                                        re.MULTILINE)}


def resolves(name: str, base: Path) -> bool:
    name = name.rstrip("/")
    if any(ch in name for ch in "*?["):
        return any(ROOT.glob(name)) or any(base.glob(name))
    return (base / name).exists() or (ROOT / name).exists()


def md_problems(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    problems = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target):
            continue
        file, _, frag = target.partition("#")
        dest = path if not file else (path.parent / file).resolve()
        if not dest.exists():
            problems.append(f"{path.name}: link to {target} (no {file})")
        elif frag and dest.suffix == ".md" and frag not in anchors(dest):
            problems.append(f"{path.name}: link to {target} (no heading #{frag})")
    for span in CODE.findall(text):
        head = span.split()[0] if span.split() else ""
        if head.split("/")[0] in REPO_DIRS and "/" in head and "{" not in head \
                and not resolves(head, path.parent):
            problems.append(f"{path.name}: `{span}` names a path that is not in the repository")
    for name in MD_NAME.findall(text):
        if name not in SCAFFOLD and not resolves(name, path.parent):
            problems.append(f"{path.name}: {name} is not in the repository")
    return problems


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_links_and_paths_resolve(path: Path) -> None:
    assert not md_problems(path)


def _help_texts() -> list[tuple[str, str]]:
    out = []
    for node in load(app).walk():
        out.append((node.name, node.help))
        out += [(f"{node.name} {o.flags[0]}", o.help) for o in node.options]
        out += [(f"{node.name} {a.metavar}", a.help) for a in node.arguments]
    return out


def test_help_texts_name_only_files_that_exist() -> None:
    problems = []
    for where, text in _help_texts():
        for name in MD_NAME.findall(text):
            if name not in SCAFFOLD and not resolves(name, ROOT):
                problems.append(f"{where}: {name}")
        if "spec/" in text:
            problems.append(f"{where}: mentions spec/")
    assert not problems


def test_docstrings_cite_the_docs_and_their_sections() -> None:
    problems = []
    numbered = {p.name: set(NUMBERED.findall(p.read_text(encoding="utf-8")))
                for p in (ROOT / "docs").glob("*.md")}
    for source in sorted((ROOT / "duckstring").rglob("*.py")):
        text = source.read_text(encoding="utf-8")
        rel = source.relative_to(ROOT)
        if "spec/" in text:
            problems.append(f"{rel}: cites spec/, which is not in the repository")
        for name in MD_NAME.findall(text):  # (the generator of docs/cli.md links its siblings)
            if name not in SCAFFOLD and not resolves(name, ROOT / "docs"):
                problems.append(f"{rel}: cites {name}, which is not in the repository")
        for doc, sections in CITED.findall(text):
            for number in re.findall(r"§(\d+)", sections):
                if number not in numbered.get(Path(doc).name, set()):
                    problems.append(f"{rel}: cites {doc} §{number}, which has no such section")
    assert not problems, "\n".join(problems)


def test_the_docs_folder_has_its_pages() -> None:
    names = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert {"README.md", "concepts.md", "authoring.md", "operating.md", "simulate.md",
            "cli.md"} <= names
    index = (ROOT / "docs/README.md").read_text(encoding="utf-8")
    for name in names - {"README.md"}:
        assert f"]({name})" in index, f"docs/README.md does not link {name}"
