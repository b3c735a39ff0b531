"""Readable reasons for a routing decision, from the router's own logit contributions.

Each signal groups one or more of the model's inputs (the embedding block,
named ``topic``, and the native features of ``semroute._routefeat``) under a
name a user can read, with one wording for a text that has more of it than
the typical training query (its standardised value is above 0) and one for
less: a short FAQ is "short prompt" whichever way that pushed. A decision
names the signals whose summed contribution pushed the score the way it
went, largest first; ``topic`` is worded by the direction of its push.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = ["SIGNALS", "reason", "signal_names"]

# (inputs, wording when the text has more of it than usual, wording when less)
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
    (("cue_factual",), "short lookup", "not a lookup"),
    (("cue_open",), "open-ended request", "not open-ended"),
    (("cue_negation",), "negation or exception", "no negation"),
    (("log_option_lines",), "multiple-choice options", "no answer options"),
    (("log_question_marks",), "phrased as a question", "not phrased as a question"),
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
    contributions: npt.NDArray[np.float64],
    levels: npt.NDArray[np.float64],
    *,
    upward: bool,
    limit: int = 3,
) -> list[str]:
    """The wordings of the (at most ``limit``) signals that pushed hardest the way it went.

    ``contributions`` is one logit contribution per entry of :data:`SIGNALS`,
    ``levels`` the summed standardised inputs of each (> 0: more than usual;
    the topic's level is ignored and its push decides its wording); ``upward``
    is whether the decision went above the cheapest tier.

    >>> import numpy as np
    >>> c = np.zeros(len(SIGNALS)); c[2] = 1.2; c[3] = 0.4; c[1] = -0.3
    >>> level = np.zeros(len(SIGNALS)); level[2] = 2.0; level[3] = 1.0; level[1] = -1.5
    >>> signal_names(c, level, upward=True)
    ['proof or reasoning request', 'maths or numbers']
    >>> signal_names(c, level, upward=False)
    ['short prompt']
    """
    signed = contributions if upward else -contributions
    order = np.argsort(-signed, kind="stable")[:limit]
    names = []
    for k in order:
        if signed[k] <= MIN_LOGIT:
            break
        more = contributions[k] > 0 if SIGNALS[k][0] == ("topic",) else levels[k] > 0
        names.append(SIGNALS[k][1 if more else 2])
    return names


def reason(
    score: float,
    index: int,
    cuts: tuple[float, ...],
    model: str,
    signals: npt.NDArray[np.float64],
    levels: npt.NDArray[np.float64],
) -> str:
    """``Decision.reason`` for a score sent to tier ``index`` (``model``) by ``cuts``.

    >>> reason(0.2, 0, (0.5,), "mini", np.zeros(len(SIGNALS)), np.zeros(len(SIGNALS)))
    'no clear signal (score 0.20 < 0.50 -> mini)'
    """
    bound = f"score {score:.2f}"
    if index > 0:
        bound = f"{bound} >= {cuts[index - 1]:.2f}"
    if index < len(cuts):
        bound = f"{bound} < {cuts[index]:.2f}"
    drivers = ", ".join(signal_names(signals, levels, upward=index > 0))
    return f"{drivers or 'no clear signal'} ({bound} -> {model})"
