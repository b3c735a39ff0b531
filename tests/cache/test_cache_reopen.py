"""Issue #12 item 15: counts right after reopening; ``backend=`` by keyword."""

from __future__ import annotations

from pathlib import Path

import pytest

import semroute.encoder.encoder
from semroute.backends import SQLiteBackend
from semroute.cache.cache import SemanticCache
from tests.fakes import FakeEncoder


@pytest.fixture
def lazy_default(monkeypatch: pytest.MonkeyPatch) -> FakeEncoder:
    """The default encoder, loaded on first use, is the fake here (no model)."""
    fake = FakeEncoder()
    monkeypatch.setattr(semroute.encoder.encoder, "default_encoder", lambda: fake)
    return fake


def test_stats_len_and_repr_are_true_right_after_reopening(
    tmp_path: Path, lazy_default: FakeEncoder
) -> None:
    path = str(tmp_path / "faq.db")
    with SemanticCache(path) as cache:
        for i in range(3):
            cache.put(f"question {i}", f"answer {i}")
    reopened = SemanticCache(path)
    assert "entries=not loaded yet" in repr(reopened)  # repr never loads the model
    assert reopened.stats.entries == 3
    assert repr(reopened).startswith("SemanticCache(entries=3,")
    assert len(reopened) == 3
    reopened.close()
    assert "entries=3" in repr(reopened)  # closed: what it held, without reloading


def test_backend_can_be_given_by_keyword(tmp_path: Path) -> None:
    backend = SQLiteBackend(tmp_path / "kw.db")
    with SemanticCache(backend=backend, encoder=FakeEncoder()) as cache:
        cache.put("q", "a")
    with SemanticCache(backend=str(tmp_path / "kw.db"), encoder=FakeEncoder()) as again:
        assert again.get("q") is not None
