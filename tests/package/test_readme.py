"""Every ``python`` code block in README.md runs, in order, in one namespace.

A block is run unless ``EXCLUDED`` names its section heading with a reason; each
exclusion must match exactly one block, so a block added later under an excluded heading
runs (or fails) until someone states why it cannot. Blocks run as a user would paste
them, with the real shipped encoder, in a temporary directory, with two stand-ins:
``REDIS_HOST`` in a block becomes a private ``redis-server`` started by the test, and
``calls.jsonl`` is the first ``SAMPLE_RECORDS`` records of the shipped sample log
(examples/sample_log/queries.jsonl; the whole log takes a minute on a 2-core machine).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.backends.redis_server import RedisServer, running_server

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SAMPLE_LOG = ROOT / "examples" / "sample_log" / "queries.jsonl"
# The host the README's Redis example names; the test points it at its own server.
REDIS_HOST = "cache-host:6379"
SAMPLE_RECORDS = 400  # two days of the sample: the cache warms, and it runs in seconds

# (section heading, why its python block cannot run here). Add one
# only with a reason a reader would accept (it needs a paid API key, say).
EXCLUDED: list[tuple[str, str]] = [
    (
        "Exporting to a collector",
        "sets the process-wide tracer provider and exports to an OTLP collector; the same path "
        "runs in tests/integrations/test_otel_otlp.py against a receiver the test starts",
    ),
]

_FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
_HEADING = re.compile(r"^#{1,6} +(.+?) *$", re.MULTILINE)


@dataclass(frozen=True)
class Block:
    heading: str
    line: int
    code: str


def python_blocks(text: str) -> list[Block]:
    """The README's ``python`` fences with the heading of the section each sits in."""
    headings = [(m.start(), m.group(1)) for m in _HEADING.finditer(text)]
    fences = list(_FENCE.finditer(text))
    blocks = []
    for fence in fences:
        if fence.group(1) != "python":
            continue
        # A '#' line inside an earlier fence is a comment, not a heading.
        inside = [(f.start(), f.end()) for f in fences]
        above = [
            title
            for pos, title in headings
            if pos < fence.start() and not any(s < pos < e for s, e in inside)
        ]
        line = text.count("\n", 0, fence.start()) + 1
        blocks.append(Block(above[-1] if above else "", line, fence.group(2)))
    return blocks


def blocks_to_run() -> list[Block]:
    excluded = {heading for heading, _ in EXCLUDED}
    return [
        b for b in python_blocks(README.read_text(encoding="utf-8")) if b.heading not in excluded
    ]


def test_python_blocks_are_found_with_their_headings() -> None:
    text = "# A\n```python\na = 1\n```\n```bash\n# not a heading\n```\n## B c\n```python\nb\n```\n"
    assert python_blocks(text) == [Block("A", 2, "a = 1\n"), Block("B c", 9, "b\n")]


def test_every_readme_block_is_run_or_excluded_with_a_reason() -> None:
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert blocks, "README.md has no python block"
    for heading, reason in EXCLUDED:
        assert len(reason.split()) >= 3, (heading, "state why the block cannot run")
        matching = [b for b in blocks if b.heading == heading]
        assert len(matching) == 1, (heading, f"{len(matching)} blocks: exclude exactly one")
    run = blocks_to_run()
    assert len(run) + len(EXCLUDED) == len(blocks)
    assert any(REDIS_HOST in b.code for b in run), "the Redis example is not run"
    assert any("calls.jsonl" in b.code for b in run), "the analyze example is not run"


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (CI installs it)")
    yield from running_server(tmp_path_factory.mktemp("readme-redis"))


@pytest.mark.integration
def test_readme_examples_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer
) -> None:
    monkeypatch.chdir(tmp_path)
    lines = SAMPLE_LOG.read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "calls.jsonl").write_text("".join(lines[:SAMPLE_RECORDS]), encoding="utf-8")
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for block in blocks_to_run():
        code = block.code.replace(REDIS_HOST, f"127.0.0.1:{redis_server.port}")
        try:
            exec(compile(code, f"README.md line {block.line}", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message is the point
            pytest.fail(
                f"README block at line {block.line} ({block.heading}) failed: {exc!r}\n{code}"
            )
