"""semroute.pruning.text: pieces, sentence/passage units and protected spans."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from semroute.pruning import text as pt


def unit_texts(text: str, granularity: str = "sentence", chunk_starts=()) -> list[str]:
    spans, _, _ = pt.units(text, granularity=granularity, chunk_starts=chunk_starts)
    return [text[s:e] for s, e in spans]


@given(st.text(max_size=200))
def test_pieces_map_back_and_cover_every_non_space_character(text: str) -> None:
    words, starts, ends = pt.pieces(text)
    assert [text[s:e] for s, e in zip(starts, ends, strict=True)] == words
    covered = np.zeros(len(text), bool)
    for s, e in zip(starts, ends, strict=True):
        covered[s:e] = True
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))


@given(st.text(alphabet=st.sampled_from(list("ab .!?\n\"'()Mr1`")), max_size=120))
def test_units_are_ordered_trimmed_and_cover_all_text(text: str) -> None:
    spans, passage, code = pt.units(text, granularity="sentence")
    assert len(spans) == len(passage) == len(code)
    last = 0
    for s, e in spans:
        assert last <= s < e and not text[s].isspace() and not text[e - 1].isspace()
        assert text[last:s].strip() == ""
        last = e
    assert text[last:].strip() == ""
    assert passage == sorted(passage)


def test_sentence_split_respects_abbreviations_initials_and_decimals() -> None:
    text = "Dr. J. R. Smith paid $3.50 at 5 p.m. on Monday. He left! Did he? Yes."
    assert unit_texts(text) == [
        "Dr. J. R. Smith paid $3.50 at 5 p.m. on Monday.",
        "He left!",
        "Did he?",
        "Yes.",
    ]


def test_closing_quotes_stay_with_their_sentence_and_lines_split() -> None:
    text = 'He said "Go home." Then he left.\n- item one\n- item two'
    assert unit_texts(text) == ['He said "Go home."', "Then he left.", "- item one", "- item two"]


def test_passages_and_chunks_and_code_fences() -> None:
    text = "One. Two.\n\nThree.\n```py\nx = 1\n\ny = 2\n```\nFour."
    spans, passage, code = pt.units(text, granularity="passage")
    got = [text[s:e] for s, e in spans]
    assert got == ["One. Two.", "Three.", "```py\nx = 1\n\ny = 2\n```", "Four."]
    assert code == [False, False, True, False]
    assert passage == [0, 1, 2, 3]
    # A chunk start begins a new passage even without a blank line.
    assert unit_texts("Alpha beta Gamma delta", "passage", chunk_starts=[11]) == [
        "Alpha beta",
        "Gamma delta",
    ]


def test_term_of_folds_case_and_plurals() -> None:
    assert pt.term_of("Normans") == pt.term_of("norman") == "norman"
    assert pt.term_of("cities") == "city"
    assert pt.term_of("glass") == "glass" and pt.term_of("bus") == "bus"


def test_piece_flags_and_entity_connectors() -> None:
    words = ["The", "Bank", "of", "England", "opened", "in", "1694", "and", "1700", "."]
    flags = np.array([pt.piece_flags(w) for w in words])
    strong = (flags & pt.STRONG) != 0
    assert strong.tolist() == [False, True, False, True, False, False, True, False, True, False]
    assert flags[0] & pt.STOP and not flags[-1] & pt.IS_WORD
    kept = pt.entity_like(strong, (flags & pt.CONNECTOR) != 0)
    assert [w for w, k in zip(words, kept, strict=True) if k] == [
        "Bank",
        "of",
        "England",
        "1694",
        "and",
        "1700",
    ]


def test_protected_ranges_find_quotes_code_keep_patterns_and_the_query() -> None:
    text = 'Say "hello there" or `run()`. INSTRUCTIONS: be brief. Who is it?'
    quoted, must = pt.protected_ranges(text, [re.compile("INSTRUCTIONS:")], ["who is IT?"])
    assert [text[s:e] for s, e in quoted] == ['"hello there"', "`run()`"]
    assert sorted(text[s:e] for s, e in must) == ["INSTRUCTIONS:", "Who is it?"]


def test_mark_ranges_marks_overlapping_pieces() -> None:
    _words, starts, ends = pt.pieces("aa bb cc dd")
    mask = pt.mark_ranges(starts, ends, [(4, 7)])
    assert mask.tolist() == [False, True, True, False]


def test_stop_words_are_lower_case_function_words() -> None:
    assert {"the", "of", "and", "is"} <= pt.STOP_WORDS
    assert all(w == w.lower() for w in pt.STOP_WORDS)
    assert not {"france", "king", "war"} & pt.STOP_WORDS


def test_glued_pieces_are_whole_words() -> None:
    words, starts, ends = pt.pieces("it's a well-known and/or - loose dash")
    flags = np.array([pt.piece_flags(w) for w in words], np.uint8)
    got = [w for w, g in zip(words, pt.glued(starts, ends, flags), strict=True) if g]
    assert got == ["it", "'", "s", "well", "-", "known", "and", "/", "or"]


def test_windows_line_endings_still_separate_passages() -> None:
    spans, passage, _ = pt.units("One two.\r\n\r\nThree four.", granularity="passage")
    assert len(spans) == 2 and passage == [0, 1]


def _old_literal_ranges(text: str, literal: str) -> list[tuple[int, int]]:
    """The search as it was before issue 12.16 (str.find from every hit + 1): the oracle."""
    folded, needle = text.casefold(), literal.strip().casefold()
    out: list[tuple[int, int]] = []
    if not needle or len(folded) != len(text):
        return out
    at = folded.find(needle)
    while at >= 0:
        out.append((at, at + len(needle)))
        at = folded.find(needle, at + 1)
    return out


def _old_mark_ranges(starts, ends, ranges) -> np.ndarray:
    out = np.zeros(starts.shape[0], dtype=bool)
    for lo, hi in ranges:
        out[int(np.searchsorted(ends, lo, side="right")) : int(np.searchsorted(starts, hi))] = True
    return out


@given(
    st.text(alphabet=st.sampled_from(list("aAb .ß\u0130")), max_size=80),
    st.text(alphabet=st.sampled_from(list("aAb .")), max_size=8),
)
def test_query_search_marks_the_same_pieces_as_the_old_search(text: str, literal: str) -> None:
    _, must = pt.protected_ranges(text, [], [literal])
    old = _old_literal_ranges(text, literal)
    covered_new, covered_old = np.zeros(len(text) + 1, bool), np.zeros(len(text) + 1, bool)
    for lo, hi in must:
        covered_new[lo:hi] = True
    for lo, hi in old:
        covered_old[lo:hi] = True
    assert covered_new.tolist() == covered_old.tolist()
    _, starts, ends = pt.pieces(text)
    assert (
        pt.mark_ranges(starts, ends, must).tolist() == _old_mark_ranges(starts, ends, old).tolist()
    )


def test_overlapping_query_hits_become_one_range() -> None:
    # A query found at every other offset of a long run: the old search listed
    # (and re-scanned) each hit, O(len(text) * len(query)); now one range.
    text = "a " * 2000
    _, must = pt.protected_ranges(text, [], ["a " * 50])
    assert must == [(0, len(text) - 1)]


@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=6),
    st.text(alphabet=st.sampled_from(list("ab ,")), max_size=60),
)
def test_mark_ranges_matches_a_range_by_range_loop(ranges, text: str) -> None:
    _, starts, ends = pt.pieces(text)
    got = pt.mark_ranges(starts, ends, ranges)
    assert got.tolist() == _old_mark_ranges(starts, ends, ranges).tolist()


def test_occurrence_union_merges_overlapping_and_touching_hits() -> None:
    assert pt.occurrence_union(np.array([0, 1, 2, 9], np.int64), 2) == [(0, 4), (9, 11)]
    assert pt.occurrence_union(np.array([0, 3], np.int64), 3) == [(0, 6)]
    assert pt.occurrence_union(np.zeros(0, np.int64), 3) == []


def test_answer_type_reads_the_question_word() -> None:
    assert pt.answer_type("when was the bridge built") == pt.NUMBER
    assert pt.answer_type("How many moons does Mars have?") == pt.NUMBER
    assert pt.answer_type("in what year did it open") == pt.NUMBER
    assert pt.answer_type("who sang the song") == pt.STRONG
    assert pt.answer_type("where is the hero golf challenge played") == pt.STRONG
    assert pt.answer_type("why is the sky blue") == 0
    assert pt.piece_flags("1066") & pt.NUMBER and not pt.piece_flags("Harold") & pt.NUMBER


def test_title_units_need_a_short_first_line_followed_by_more_text() -> None:
    text = "Paris\nParis is in France.\n\nA sentence. Another.\n\nLone\n\nEnds with colon:\nbody."
    spans, passage, _ = pt.units(text, granularity="sentence")
    got = [
        text[s:e]
        for (s, e), t in zip(spans, pt.title_units(text, spans, passage), strict=True)
        if t
    ]
    assert got == ["Paris"]
