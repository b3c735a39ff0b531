"""Every published figure names the committed result file behind it.

The rule (BENCHMARKS.md, "How figures are kept"), checked over BENCHMARKS.md after its
opening caveats and over README.md's "Performance" section:

* A *figure-bearing line* is a table row (a line starting with ``|`` that is not the
  ``|---|`` separator) holding a digit, or any other line holding a number followed by a
  unit: µs, us, ms, s, %, B, KB, MB, GB, KiB, MiB, GiB or x (``13.7x``). Lines in fenced
  code blocks are commands, not figures.
* It is *backed* when ``benchmarks/results/<file>`` naming an existing file appears in the
  line itself, in its paragraph (for a table row: the table, or the paragraph just above
  it), or in the heading of the section it sits in.
* A *history note* is a block quote whose first line starts with ``> **History``. Its
  figures need no current file, but it must cite ``git show <commit>:benchmarks/results/
  <file>``, and that file must exist at that commit.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"

_UNIT = re.compile(
    r"(?<![\w.])\d+(?:[.,]\d+)*\s?(?:µs|us|ms|s|%|B|KB|MB|GB|KiB|MiB|GiB|x)(?![\w/])"
)
_CITE = re.compile(r"benchmarks/results/([\w.\-]+\.(?:json|png))")
_GIT_SHOW = re.compile(r"git show ([0-9a-f]{7,40}):(benchmarks/results/[\w.\-]+\.json)")
_SEPARATOR = re.compile(r"^\|[\s:|-]+\|?\s*$")


@dataclass(frozen=True)
class Problem:
    line: int
    text: str
    why: str


def figure_bearing(line: str) -> bool:
    stripped = line.lstrip("> ").strip()
    if stripped.startswith("|"):
        return not _SEPARATOR.match(stripped) and any(c.isdigit() for c in stripped)
    return _UNIT.search(stripped) is not None


def _cites(text: str, results: Path) -> bool:
    return any((results / name).is_file() for name in _CITE.findall(text))


def audit(text: str, results: Path = RESULTS, *, start_at: str = "## ") -> list[Problem]:
    """Figure-bearing lines without a backing result file, and history notes without a commit.

    Only lines from the first line starting with ``start_at`` on are checked.
    """
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith(start_at)), len(lines))
    in_fence = [False] * len(lines)
    fenced = False
    for i, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            in_fence[i] = True
        else:
            in_fence[i] = fenced
    # Blocks: runs of non-blank lines; a heading is its own block.
    blocks: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        j = i + 1
        if not lines[i].startswith("#"):
            while j < len(lines) and lines[j].strip() and not lines[j].startswith("#"):
                j += 1
        blocks.append((i, j))
        i = j
    problems: list[Problem] = []
    heading = ""
    previous_text = ""  # the block just above, for a table's caption
    for start, end in blocks:
        block = lines[start:end]
        joined = "\n".join(block)
        if block[0].startswith("#"):
            heading, previous_text = block[0], ""
            continue
        if start < first:
            previous_text = joined
            continue
        is_table = block[0].lstrip("> ").startswith("|")
        if block[0].startswith("> **History"):
            shown = _GIT_SHOW.findall(joined)
            if not shown:
                problems.append(Problem(start + 1, block[0], "history note without git show"))
            for commit, path in shown:
                if not _exists_at(commit, path):
                    problems.append(Problem(start + 1, f"{commit}:{path}", "not in the repository"))
            previous_text = joined
            continue
        backed = _cites(joined, results) or _cites(heading, results)
        if is_table:
            backed = backed or _cites(previous_text, results)
        for k, line in enumerate(block):
            if not in_fence[start + k] and figure_bearing(line) and not backed:
                problems.append(Problem(start + k + 1, line, "no benchmarks/results/ file cited"))
        previous_text = joined
    return problems


def _exists_at(commit: str, path: str) -> bool:
    """``commit:path`` is in the repository; True when git or the history is unavailable."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return True
    shallow = subprocess.run(
        ["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT, capture_output=True, text=True
    )
    if shallow.stdout.strip() == "true":
        return True
    found = subprocess.run(
        ["git", "cat-file", "-e", f"{commit}:{path}"], cwd=ROOT, capture_output=True
    )
    return found.returncode == 0


def section(text: str, title: str) -> str:
    """The lines of the ``## title`` section, its heading included."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.DOTALL | re.MULTILINE)
    assert match is not None, f"README.md has no '## {title}' section"
    return match.group(0)


def report(problems: list[Problem]) -> str:
    return "\n".join(f"  line {p.line}: {p.why}: {p.text.strip()[:100]}" for p in problems)


def test_every_figure_in_benchmarks_md_cites_a_committed_result() -> None:
    problems = audit((ROOT / "BENCHMARKS.md").read_text(encoding="utf-8"))
    assert not problems, "BENCHMARKS.md figures without a result file:\n" + report(problems)


def test_every_figure_in_the_readme_performance_section_cites_a_committed_result() -> None:
    text = section((ROOT / "README.md").read_text(encoding="utf-8"), "Performance")
    problems = audit(text)
    assert not problems, "README.md Performance figures without a result file:\n" + report(problems)


@pytest.mark.parametrize(
    ("line", "bearing"),
    [
        ("| exact repeat | 6.3 µs |", True),
        ("| 1,000 | exact scan | 21.6 |", True),
        ("|---|---:|", False),
        ("The lookup takes 0.46 µs here.", True),
        ("a 13.7x ratio", True),
        ("hit rate 20.4 % at 0.95", True),
        ("1 846 B besides the payload", True),
        ("the default threshold is 0.95", False),
        ("see notes/cache.md, issue 4", False),
        ("| set | figure | value |", False),
    ],
)
def test_figure_bearing_lines_are_recognised(line: str, bearing: bool) -> None:
    assert figure_bearing(line) is bearing


def test_the_audit_finds_unbacked_figures_and_accepts_backed_ones(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text("{}")
    doc = "\n".join(
        [
            "# Title",
            "Machine: 2 CPUs, 24 GiB.",  # the preamble is not checked
            "## Backed by the caption",
            "`cmd` -> benchmarks/results/run.json",
            "",
            "| what | median |",
            "|---|---|",
            "| lookup | 6.3 µs |",
            "",
            "A prose figure, 13.7x, with its file: benchmarks/results/run.json.",
            "## Not backed",
            "A prose figure of 0.46 µs.",
            "`cmd` -> benchmarks/results/missing.json",
            "",
            "| lookup | 9 µs |",
            "```",
            "python bench.py  # 3 ms in a code block is a command",
            "```",
            "## Heading cites benchmarks/results/run.json",
            "Covered by the heading: 5 ms.",
        ]
    )
    problems = audit(doc, tmp_path)
    assert [p.line for p in problems] == [12, 15], report(problems)


def test_history_notes_must_cite_a_commit_that_holds_the_file(tmp_path: Path) -> None:
    fine = "## S\n> **History** (`git show d268fe7:benchmarks/results/cache_scale_100k.json`)\n> | a | 253 µs |\n"
    assert audit(fine, tmp_path) == []
    bare = "## S\n> **History**, from memory:\n> | a | 253 µs |\n"
    assert [p.why for p in audit(bare, tmp_path)] == ["history note without git show"]
