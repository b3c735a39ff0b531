"""Every ``python`` code block in README.md runs, in order, in one namespace.

A block preceded by an ``<!-- not-tested: reason -->`` line is skipped (one
that needs a Redis server or a real LLM, say); everything else must run as a
user would paste it, with the real shipped encoder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"(<!-- not-tested:[^>]*-->\s*)?```python\n(.*?)```", re.DOTALL)


def readme_blocks() -> list[str]:
    return [code for skip, code in _BLOCK.findall(README.read_text()) if not skip]


def test_readme_has_python_examples() -> None:
    assert len(readme_blocks()) >= 3


@pytest.mark.integration
def test_readme_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for index, code in enumerate(readme_blocks()):
        try:
            exec(compile(code, f"README.md block {index}", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message is the point
            pytest.fail(f"README block {index} failed: {exc!r}\n{code}")
