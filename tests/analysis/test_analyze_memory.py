"""A long log streams through ``analyze`` in bounded memory.

Resident memory is read from ``/proc`` as the replay goes (it also counts
hnswlib's and numpy's native buffers, which tracemalloc would not, and costs
nothing per allocation): once the caches are full, five times more lines must
not grow it by more than a few megabytes, whereas holding the log would.
"""

from __future__ import annotations

import functools
import json
import random
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from semroute.analysis.analyze import Progress, analyze
from tests.analysis.test_analyze import make_router
from tests.fakes import FakeEncoder

WORDS = [
    *("order", "refund", "shipping", "password", "tutor", "lesson"),
    *("price", "invoice", "account", "session", "exam"),
]
LINES = 100_000
STATUS = Path("/proc/self/status")


@functools.cache
def word_vector(dim: int, word: str) -> npt.NDArray[np.float32]:
    return FakeEncoder(dim)._word_vector(word)


class MemoEncoder(FakeEncoder):
    """The fake encoder with its word vectors memoised, so 100k lines embed in seconds."""

    def _word_vector(self, word: str) -> npt.NDArray[np.float32]:
        return word_vector(self.dim, word)


def write_log(path: Path, lines: int) -> None:
    rng = random.Random(5)
    with path.open("w") as out:
        for i in range(lines):
            # A third of the queries are new: the caches must stay capped. The number is
            # spelled as position-digit words so the fake encoder's vocabulary stays small.
            n = i if i % 3 == 0 else rng.randrange(50)
            words = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(3))
            words += " " + " ".join(f"p{pos}d{digit}" for pos, digit in enumerate(str(n)))
            record = {
                "ts": 1_700_000_000 + 30 * i,
                "query": f"{words} question",
                "input_tokens": 300,
                "output_tokens": 100,
                "model": "big",
                "feature": "faq",
            }
            out.write(json.dumps(record) + "\n")


def rss_bytes() -> int:
    for line in STATUS.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.mark.slow  # 15-35 s; `pytest` runs it, `pytest -m "not slow"` skips it
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_100k_lines_stream_in_bounded_memory(tmp_path: Path) -> None:
    log = tmp_path / "big.jsonl"
    write_log(log, LINES)
    size = log.stat().st_size
    assert size > 10 * 2**20
    encoder = MemoEncoder(dim=32)
    samples: list[tuple[int, int]] = []

    def sample(progress: Progress) -> None:
        samples.append((progress.records, rss_bytes()))

    report = analyze(
        log,
        encoder=encoder,
        router=make_router(encoder),
        thresholds=[0.95],
        max_entries=2000,
        on_progress=sample,
    )
    assert report.records == LINES
    assert report.cache.default.calls_saved > LINES // 2
    # After warm-up the replay may wobble (a graph namespace keeps deleted nodes until it
    # compacts them, then briefly holds two graphs), but the wobble must not grow with the
    # log: the peak over the last 40k lines (4+ MB of JSON) stays that of the 40k before.
    early = max(rss for records, rss in samples if LINES // 5 <= records < 3 * LINES // 5)
    late = max(rss for records, rss in samples if records >= 3 * LINES // 5)
    # Holding the last 40k parsed lines would add > 20 MB; the bound (12 MB here) leaves room
    # for the allocator's wobble in a process that ran the suite before (6.1 MB seen in CI).
    assert late - early < 0.8 * size, (early, late, size)
