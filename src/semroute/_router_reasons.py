"""Readable reasons for a routing decision, from the router's own logit contributions.

Each signal groups one or more of the model's inputs (the embedding block,
named ``topic``, and the native features of ``semroute._routefeat``) under a
name a user can read, with one wording for a push towards the stronger tier
and one for a push towards the cheaper. A decision names the signals whose
summed contribution pushed the score the way it went, largest first.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = ["SIGNALS", "signal_names"]

# (inputs, wording when it pushes up, wording when it pushes down)
SIGNALS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("topic",), "topic like hard tasks", "topic like everyday queries"),
    (
        ("log_chars", "log_words", "log_sentences", "log_newlines"),
        "long multi-part prompt",
        "short prompt",
    ),
    (("cue_reasoning",), "proof or reasoning request", "no reasoning asked"),
    (
        ("digit_frac", "log_numbers", "log_max_number_len", "math_frac"),
        "maths or numbers",
        "no maths",
    ),
    (("cue_compute",), "calculation", "no calculation"),
    (("code_frac", "cue_code"), "code", "no code"),
    (("cue_multistep",), "multi-step task", "single-step task"),
    (("cue_constraint",), "several constraints", "few constraints"),
    (("cue_factual",), "factual question", "short lookup"),
    (("cue_open",), "open-ended request", "open-ended request"),
    (("cue_negation",), "negation or exception", "negation or exception"),
    (("log_option_lines",), "multiple-choice options", "multiple-choice options"),
    (("log_question_marks",), "several questions", "single question"),
    (
        ("mean_word_len", "log_max_word_len", "upper_frac", "non_ascii_frac"),
        "technical wording",
        "plain wording",
    ),
)

# A push smaller than this (in logit units) is not named: it did not decide anything.
MIN_LOGIT = 0.05


@lru_cache(maxsize=8)
def signal_matrix(part_names: tuple[str, ...]) -> npt.NDArray[np.float64]:
    """0/1 matrix (signals x parts) summing the model's parts into :data:`SIGNALS` (cached)."""
    index = {name: k for k, name in enumerate(part_names)}
    out = np.zeros((len(SIGNALS), len(part_names)))
    for s, (inputs, _, _) in enumerate(SIGNALS):
        for name in inputs:
            if name in index:
                out[s, index[name]] = 1.0
    out.flags.writeable = False
    return out


def signal_names(
    contributions: npt.NDArray[np.float64], *, upward: bool, limit: int = 3
) -> list[str]:
    """The wordings of the (at most ``limit``) signals that pushed hardest the way it went.

    ``contributions`` is one logit contribution per entry of :data:`SIGNALS`;
    ``upward`` is whether the decision went above the cheapest tier.

    >>> import numpy as np
    >>> c = np.zeros(len(SIGNALS)); c[2] = 1.2; c[3] = 0.4; c[1] = -0.3
    >>> signal_names(c, upward=True)
    ['proof or reasoning request', 'maths or numbers']
    >>> signal_names(c, upward=False)
    ['short prompt']
    """
    signed = contributions if upward else -contributions
    order = np.argsort(-signed, kind="stable")[:limit]
    return [SIGNALS[k][1 if upward else 2] for k in order if signed[k] > MIN_LOGIT]
