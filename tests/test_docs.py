"""The README and docs/ as a reader follows them: the README stays short, every relative link and
picture leads to a file (and a heading) that exists, and the README's test command is the one CI
runs."""

import re
import unicodedata
from pathlib import Path

import pytest

from conftest import REPO

README = REPO / "README.md"
PAGES = [README, *sorted((REPO / "docs").rglob("*.md"))]
README_MAX_LINES = 200

_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _outside_fences(text: str):
    """Lines of markdown outside fenced code blocks, where headings and links are what they seem."""
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            yield line


def _anchors(page: Path) -> set:
    """The heading anchors GitHub gives a page: lowercased, punctuation dropped, spaces to '-',
    a repeated heading numbered -1, -2, …"""
    seen, anchors = {}, set()
    for line in _outside_fences(page.read_text(encoding="utf-8")):
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        slug = "".join(c for c in m.group(1).lower()
                       if c in " -_" or unicodedata.category(c)[0] in "LN").replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def _relative_links(page: Path):
    for line in _outside_fences(page.read_text(encoding="utf-8")):
        for target in _LINK.findall(re.sub(r"`[^`]*`", "", line)):   # `[a](b)` in code is no link
            if not re.match(r"[a-z][a-z0-9+.-]*:", target):   # http:, https:, mailto: are not files
                yield target


def test_the_readme_is_a_five_minute_read():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines (at most {README_MAX_LINES}): move the detail into a page under docs/ "
        "and link it")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page):
    broken = []
    links = list(_relative_links(page))
    for target in links:
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target}: no file {dest.relative_to(REPO) if dest.is_relative_to(REPO) else dest}")
        elif not dest.is_relative_to(REPO):
            broken.append(f"{target}: leaves the repository")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target}: no heading #{anchor} in {dest.relative_to(REPO)}")
    assert not broken, f"{page.relative_to(REPO)}: " + "; ".join(broken)


def test_every_docs_page_is_reached_from_the_readme():
    reached, todo = set(), [README.resolve()]
    while todo:
        page = todo.pop()
        if page in reached:
            continue
        reached.add(page)
        for target in _relative_links(page):
            dest = (page.parent / target.partition("#")[0]).resolve()
            if dest.suffix == ".md" and dest.is_file():
                todo.append(dest)
    orphans = [str(p.relative_to(REPO)) for p in PAGES if p.resolve() not in reached]
    assert not orphans, f"no link from the README leads to {orphans}: link them from docs/README.md"


def test_the_readme_holds_the_command_ci_runs():
    exec_lines = [line.split("exec", 1)[1].strip() for line in (REPO / ".ci" / "run").read_text().splitlines()
                  if line.startswith("exec ")]
    assert len(exec_lines) == 1, f".ci/run should run one command, the README's: {exec_lines}"
    readme_commands = [line.split("#", 1)[0].strip() for line in README.read_text(encoding="utf-8").splitlines()]
    assert exec_lines[0] in readme_commands, "the README's test command is not the one .ci/run runs"
