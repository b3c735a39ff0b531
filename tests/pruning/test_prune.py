"""semroute.pruning.prune with the fake encoder: budgets, offsets, protected spans, errors, threads."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semroute.errors import ConfigError, EncoderError, InputError, InputTypeError
from semroute.pruning import core_ref as _prunecore_ref
from semroute.pruning.prune import CHUNK_SEPARATOR, Pruned, PruneOptions, Pruner, prune
from tests.fakes import FakeEncoder

FILLER = [
    "The weather was mild and the fields were green that year.",
    "Many people walked along the river in the evening.",
    "It is often said that the market was busy on most days.",
    "Children played games in the square near the old church.",
    "There were also several shops selling bread and cheese.",
    "Some visitors came from far away to see the gardens.",
]
ANSWER = 'In 1066, William of Normandy told Harold "the crown is mine" at Hastings.'
CONTEXT = " ".join([*FILLER[:3], ANSWER, *FILLER[3:]])
QUERY = "What did William of Normandy tell Harold at Hastings in 1066?"


def pruner(**kwargs) -> Pruner:
    return Pruner(encoder=FakeEncoder(), **kwargs)


def assert_maps_back(source: str, r: Pruned) -> None:
    """Spans are ordered, disjoint, on word boundaries, and text is them joined."""
    pos = 0
    last_end = -1
    for start, end in r.kept_spans:
        assert 0 <= start < end <= len(source)
        assert start > last_end
        assert not (start > 0 and source[start - 1].isalnum() and source[start].isalnum())
        assert not (end < len(source) and source[end - 1].isalnum() and source[end].isalnum())
        piece = source[start:end]
        at = r.text.find(piece, pos)
        assert at >= 0, piece
        assert r.text[pos:at] in ("", " ", "\n", "\n\n") or (pos == 0 and at == 0)
        pos = at + len(piece)
        last_end = end
    assert pos == len(r.text)


def test_keeps_the_relevant_sentence_within_budget() -> None:
    r = pruner().prune(CONTEXT, query=QUERY, ratio=0.25)
    assert "William of Normandy" in r.text
    assert r.kept_tokens <= int(0.25 * r.original_tokens)
    assert r.ratio == pytest.approx(r.kept_tokens / r.original_tokens)
    assert r.units_kept >= 1 and r.units_total == 7
    assert_maps_back(CONTEXT, r)


def test_fine_pass_drops_filler_but_never_numbers_names_or_quotes() -> None:
    # Only the answer sentence fits, and then only after losing some words.
    p = pruner(fine=0.9)
    r = p.prune(CONTEXT, query=QUERY, target_tokens=11)
    for must in ("1066", "William of Normandy", "Harold", '"the crown is mine"', "Hastings"):
        assert must in r.text
    assert r.text != ANSWER  # some words went
    assert_maps_back(CONTEXT, r)


def test_fine_zero_keeps_whole_sentences_only() -> None:
    r = pruner(fine=0.0).prune(CONTEXT, query=QUERY, ratio=0.5)
    sentences = [*FILLER, ANSWER]
    for start, end in r.kept_spans:
        # Each span is a run of whole sentences.
        chunk = CONTEXT[start:end]
        assert any(chunk.startswith(s) for s in sentences)
        assert any(chunk.endswith(s) for s in sentences)


def test_order_is_preserved() -> None:
    r = pruner().prune(CONTEXT, query="river market church gardens", ratio=0.6)
    starts = [s for s, _ in r.kept_spans]
    assert starts == sorted(starts)
    assert_maps_back(CONTEXT, r)


def test_keep_patterns_force_their_unit_and_query_text_is_kept() -> None:
    context = "Instructions: answer in French. " + CONTEXT
    r = pruner(keep=[r"(?i)instructions:"]).prune(context, query=QUERY, ratio=0.2)
    assert r.text.startswith("Instructions: answer in French.")
    # The query's own text in the context is never dropped.
    quoted_query = CONTEXT + " Question: where did the children play games?"
    r = pruner().prune(quoted_query, query="where did the children play games?", ratio=0.2)
    assert "where did the children play games?" in r.text


def test_code_blocks_are_kept_whole() -> None:
    code = "```python\ndef add(a, b):\n    return a + b\n```"
    context = CONTEXT + "\n\n" + code + "\n\nThe end of the story came later."
    r = pruner().prune(context, query=QUERY, ratio=0.3)
    assert code in r.text
    r = pruner(keep_code=False).prune(context, query=QUERY, target_tokens=12)
    assert code not in r.text


def test_list_of_chunks_offsets_point_into_the_joined_text() -> None:
    chunks = [*FILLER[:3], ANSWER, *FILLER[3:]]
    r = pruner().prune(chunks, query=QUERY, ratio=0.3)
    joined = CHUNK_SEPARATOR.join(chunks)
    assert_maps_back(joined, r)
    assert any(joined[s:e].startswith("In 1066") for s, e in r.kept_spans)


def test_passage_granularity_keeps_whole_passages() -> None:
    passages = [" ".join(FILLER[:3]), ANSWER + " " + FILLER[3], " ".join(FILLER[4:])]
    text = "\n\n".join(passages)
    r = pruner(granularity="passage", fine=0.0).prune(text, query=QUERY, ratio=0.4)
    assert r.text == passages[1]


def test_without_a_query_prunes_by_information() -> None:
    text = CONTEXT + " the the the and and of of the."
    r = pruner().prune(text, ratio=0.5)
    assert 0 < r.kept_tokens <= int(0.5 * r.original_tokens)
    assert_maps_back(text, r)


def test_ratio_one_and_large_targets_return_the_input_unchanged() -> None:
    p = pruner()
    for r in (p.prune(CONTEXT, ratio=1.0), p.prune(CONTEXT, target_tokens=10_000)):
        assert r.text == CONTEXT and r.kept_spans == ((0, len(CONTEXT)),)
        assert r.kept_tokens == r.original_tokens and r.ratio == 1.0
    r = p.prune(["a b", "c d"], target_tokens=99)
    assert r.text == "a b" + CHUNK_SEPARATOR + "c d"


@pytest.mark.parametrize(
    ("context", "kwargs", "error"),
    [
        ("", {}, InputError),
        ("   \n ", {}, InputError),
        ([], {}, InputError),
        (CONTEXT, {"ratio": 0.0}, InputError),
        (CONTEXT, {"ratio": 1.5}, InputError),
        (CONTEXT, {"ratio": -0.1}, InputError),
        (CONTEXT, {"ratio": float("nan")}, InputError),
        (CONTEXT, {"target_tokens": 0}, InputError),
        (CONTEXT, {"ratio": 0.5, "target_tokens": 5}, InputError),
        (CONTEXT, {"query": "  "}, InputError),
        (b"bytes", {}, InputTypeError),
        (42, {}, InputTypeError),
        (["ok", 3], {}, InputTypeError),
        (CONTEXT, {"query": 3}, InputTypeError),
        (CONTEXT, {"ratio": "half"}, InputTypeError),
        (CONTEXT, {"target_tokens": 2.5}, InputTypeError),
    ],
)
def test_bad_input_raises_clear_errors(context, kwargs, error) -> None:
    with pytest.raises(error):
        pruner().prune(context, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"granularity": "word"},
        {"fine": 1.5},
        {"lexical_weight": -1},
        {"keep": ["("]},
        {"keep": "abc"},
        {"dense_tokens": -5},
        {"passage_weight": 4.5},
    ],
)
def test_bad_options_raise_config_error(kwargs) -> None:
    with pytest.raises(ConfigError):
        Pruner(encoder=FakeEncoder(), **kwargs)


def test_options_are_frozen() -> None:
    options = PruneOptions()
    with pytest.raises(AttributeError):
        options.fine = 0.5  # type: ignore[misc]


class BrokenEncoder(FakeEncoder):
    def encode(self, texts):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")


def test_encoder_failures_become_encoder_errors() -> None:
    with pytest.raises(EncoderError):
        Pruner(encoder=BrokenEncoder(), lexical_weight=0.5).prune(CONTEXT, query=QUERY, ratio=0.3)


class CountingEncoder(FakeEncoder):
    def __init__(self) -> None:
        super().__init__()
        self.batches = 0
        self.seen: list[list[str]] = []

    def encode(self, texts):  # type: ignore[no-untyped-def]
        self.batches += 1
        self.seen.append(list(texts))
        return super().encode(texts)


def embedded_units(dense_tokens: int | None) -> list[str]:
    """The units one prune sent to the encoder (after the query), in one batch."""
    enc = CountingEncoder()
    Pruner(encoder=enc, lexical_weight=0.5, dense_tokens=dense_tokens).prune(
        CONTEXT, query=QUERY, ratio=0.3
    )
    assert enc.batches == 1 and enc.seen[0][0] == QUERY
    return enc.seen[0][1:]


def test_one_encoder_call_per_prune_and_dense_cap_limits_it() -> None:
    units = [*FILLER[:3], ANSWER, *FILLER[3:]]
    assert embedded_units(None) == units  # no cap: every unit
    # 15 tokens hold one sentence: the lexically best one, the answer.
    assert embedded_units(15) == [ANSWER]
    # A larger cap adds units and never drops one a smaller cap chose.
    wider = embedded_units(60)
    assert ANSWER in wider and 2 < len(wider) < len(units)
    assert set(embedded_units(30)) <= set(wider)


def test_lexical_only_skips_the_encoder() -> None:
    enc = CountingEncoder()
    r = Pruner(encoder=enc, lexical_weight=1.0).prune(CONTEXT, query=QUERY, ratio=0.3)
    assert enc.batches == 0 and r.encoder_ms == 0.0 and "1066" in r.text


def test_reference_kernels_give_the_same_result() -> None:
    native = pruner()
    reference = pruner()
    reference._core = _prunecore_ref
    for kwargs in (
        {"query": QUERY, "ratio": 0.3},
        {"ratio": 0.4},
        {"query": "river", "ratio": 0.5},
    ):
        assert native.prune(CONTEXT, **kwargs).text == reference.prune(CONTEXT, **kwargs).text


def test_shared_pruner_is_thread_safe() -> None:
    p = pruner()
    queries = [QUERY, "river evening", "bread and cheese shops", "children games"]
    expected = {q: p.prune(CONTEXT, query=q, ratio=0.3).kept_spans for q in queries}
    fresh = pruner()  # cold caches: threads race to fill them
    errors: list[BaseException] = []
    results: list[tuple[str, tuple[tuple[int, int], ...]]] = []

    def work(q: str) -> None:
        try:
            for _ in range(5):
                results.append((q, fresh.prune(CONTEXT, query=q, ratio=0.3).kept_spans))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(q,)) for q in queries * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 40
    assert all(spans == expected[q] for q, spans in results)


def test_module_level_prune_with_options() -> None:
    r = prune([*FILLER, ANSWER], query=QUERY, ratio=0.5, encoder=FakeEncoder(), keep=[r"gardens"])
    assert "gardens" in r.text and "Hastings" in r.text


WORDS = ["alpha", "Beta", "gamma", "the", "of", "1999", "delta", "and", '"quoted words"', "x-ray"]


# Pieces the fine pass must never remove from a kept sentence: a number, a quoted string,
# a hyphen-glued word, a capitalised non-stop word (``capitalize`` leaves one per sentence).
PROTECTED = re.compile(r'1999|"quoted words"|x-ray|\b(?:Alpha|Beta|Gamma|Delta)\b')


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]]]:
    """A document and the character span of each of its sentences."""
    n = draw(st.integers(1, 12))
    sentences = []
    for _ in range(n):
        words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=12))
        end = draw(st.sampled_from([".", "!", "?", ".\n\n", ";"]))
        sentences.append(" ".join(words).capitalize() + end)
    spans, pos = [], 0
    for sentence in sentences:
        spans.append((pos, pos + len(sentence)))
        pos += len(sentence) + 1
    return " ".join(sentences), spans


@settings(max_examples=60, deadline=None)
@given(documents(), st.floats(0.05, 1.0), st.sampled_from([None, "alpha gamma 1999", "Beta"]))
def test_any_document_maps_back_and_keeps_protected_words(
    document: tuple[str, list[tuple[int, int]]], ratio: float, query: str | None
) -> None:
    text, sentences = document
    r = pruner().prune(text, query=query, ratio=ratio)
    assert_maps_back(text, r)
    assert r.kept_tokens <= r.original_tokens
    kept_text = r.text
    for start, end in r.kept_spans:
        assert text[start:end] in kept_text
    kept_sentences = [
        (s0, e0) for s0, e0 in sentences if any(s < e0 and s0 < e for s, e in r.kept_spans)
    ]
    assert kept_sentences  # the output is never empty
    # Within each kept sentence, every protected piece is kept whole.
    for s0, e0 in kept_sentences:
        for m in PROTECTED.finditer(text, s0, e0):
            assert any(s <= m.start() and m.end() <= e for s, e in r.kept_spans), (m, r.text)
    assert np.isfinite(r.ratio)


def test_output_is_never_empty_even_for_tiny_budgets() -> None:
    p = pruner()
    assert p.prune("a", ratio=0.5).text == "a"
    r = p.prune("x " * 50, ratio=0.01)
    assert r.text == "x" and r.kept_tokens == 1


def test_units_emptied_by_the_fine_pass_leave_no_stray_punctuation() -> None:
    r = pruner(fine=0.15).prune("The the the. Of of a. Paris is big.", query="Paris", ratio=0.3)
    assert r.text == "Paris big."


def test_a_one_word_query_does_not_force_every_unit_holding_it() -> None:
    text = "Paris is big. Paris has many old bridges and busy streets. Paris is old."
    r = pruner().prune(text, query="Paris", target_tokens=5)
    assert r.kept_tokens <= 5


TITLED = [
    "Battle of Hastings\nThe battle was fought in 1066. William of Normandy won it. Harold died.",
    "Bread\nBread is baked from flour. Many towns had a baker. It was sold daily.",
    "Rivers\nThe river was full that spring. Boats carried goods. Fish were caught.",
]


def test_a_kept_passage_keeps_its_title_line() -> None:
    r = pruner(fine=0.0).prune(TITLED, query="Who won in 1066?", ratio=0.35)
    assert "Battle of Hastings\n" in r.text and "William of Normandy won it." in r.text
    assert "Bread" not in r.text and "Rivers" not in r.text  # no title without its passage
    off = pruner(fine=0.0, keep_titles=False).prune(TITLED, query="Who won in 1066?", ratio=0.35)
    assert "Battle of Hastings" not in off.text


def test_a_title_is_never_kept_alone() -> None:
    # The title matches the query best, but its passage's sentences do not fit.
    chunks = ["Hastings 1066\n" + "Filler words here without meaning at all. " * 6, "Other.\nMore."]
    r = pruner(fine=0.0).prune(chunks, query="Hastings 1066", target_tokens=5)
    # The best sentence is still seeded (never the title in its place); the
    # title goes first when the budget is short, then words inside the sentence.
    assert r.text.startswith("Filler words") and "Hastings" not in r.text
    assert r.kept_tokens <= 5


def test_answer_weight_favours_units_holding_what_the_question_asks_for() -> None:
    context = [
        "The bridge over the river was built by the town.",
        "Work on it started in 1887 and ended two years later.",
        "The bridge is made of stone and iron.",
        "Tourists like the bridge and its view of the river.",
    ]
    q = "When was the bridge built?"
    # Only the answer-type signal differs (the static vectors also move scores).
    alone = {"neighbor_weight": 0.0, "passage_weight": 0.0, "static_weight": 0.0}
    plain = pruner(**alone, answer_weight=0.0)
    typed = pruner(**alone, answer_weight=4.0)
    assert "1887" not in plain.prune(context, query=q, ratio=0.3).text
    assert "1887" in typed.prune(context, query=q, ratio=0.3).text


@pytest.mark.parametrize(
    "bad",
    [
        {"keep_titles": 1},
        {"answer_weight": -0.1},
        {"passage_weight": 5.0},
        {"static_weight": -1.0},
        {"static_weight": 4.5},
    ],
)
def test_new_options_are_validated(bad) -> None:
    with pytest.raises(ConfigError):
        PruneOptions(**bad)
