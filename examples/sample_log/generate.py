"""Write ``queries.jsonl``: a seeded, realistic LLM call log for ``semroute analyze``.

Two weeks of traffic of a fictional shop and tutoring service: FAQ intents asked
in several phrasings (with typos and case/punctuation variants) at a Zipf-like
skew, daily and weekly cycles, genuinely hard questions, and help-centre
questions that carry a retrieved context. Same seed, same bytes::

    python examples/sample_log/generate.py --seed 7 --records 3000
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from intents import (
    ACCOUNT_TEMPLATES,
    HARD_QUESTIONS,
    HARD_TEMPLATES,
    HELP_PAGES,
    NAMES,
    RAG_INTENTS,
    SHOP_INTENTS,
    SUBJECTS,
    TUTOR_INTENTS,
    WEEKDAYS,
)

DEFAULT_SEED = 7
DEFAULT_RECORDS = 3000
START = datetime(2026, 11, 2, tzinfo=timezone.utc)  # a Monday
DAYS = 14
# $ per million tokens (input, output) of the models the fictional team calls today.
PRICES = {"gpt-4o": (2.50, 10.00), "gpt-4o-mini": (0.15, 0.60)}
SYSTEM_PROMPT_TOKENS = {"support_chat": 310, "tutor_chat": 420, "help_search": 180}
# Relative traffic per UTC hour: quiet nights, a morning ramp, an evening peak.
HOURLY = [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 10, 11, 12, 12, 13, 14, 13, 10, 7, 4, 2]
SHARE_HARD = 0.12
SHARE_RAG = 0.10
SHARE_ACCOUNT = 0.08
SHARE_MINI = 0.08  # calls some teammate already sends to the mini model


def _typo(rng: random.Random, text: str) -> str:
    words = text.split()
    candidates = [i for i, w in enumerate(words) if len(w) > 3 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(len(w) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # swapped letters
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif kind == 1:  # dropped letter
        w = w[:j] + w[j + 1 :]
    else:  # doubled letter
        w = w[: j + 1] + w[j] + w[j + 1 :]
    words[i] = w
    return " ".join(words)


def _variant(rng: random.Random, text: str) -> str:
    """How people actually type: case, punctuation, spacing, typos, politeness."""
    roll = rng.random()
    if roll < 0.15:
        text = text.lower()
    elif roll < 0.20:
        text = text.upper()
    if rng.random() < 0.25:
        text = text.rstrip("?.!")
    elif rng.random() < 0.1:
        text = text.rstrip("?.!") + "??"
    if rng.random() < 0.12:
        text = _typo(rng, text)
    if rng.random() < 0.08:
        text = rng.choice(["hi, ", "Hello! ", "hey ", "Quick question: "]) + text
    if rng.random() < 0.05:
        text = text + rng.choice([" thanks", " pls", " asap", " :)"])
    if rng.random() < 0.05:
        text = "  " + text.replace(" ", "  ", 1)
    return text


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        a=rng.randint(2, 9),
        b=rng.randint(2, 9),
        c=rng.randint(10, 40),
        d=rng.randint(1, 30),
        h=rng.randint(7, 11),
        m2=f"{rng.randrange(0, 60, 5):02d}",
        order=rng.randint(100000, 999999),
        day=rng.choice(WEEKDAYS),
        hour=rng.randint(9, 19),
        name=rng.choice(NAMES),
        subject=rng.choice(SUBJECTS),
    )


def _zipf_weights(n: int, s: float) -> list[float]:
    """Cumulative Zipf weights (``random.choices(cum_weights=...)`` skips re-summing)."""
    return list(itertools.accumulate(1.0 / (rank**s) for rank in range(1, n + 1)))


def _timestamps(rng: random.Random, n: int) -> list[datetime]:
    days = list(range(DAYS))
    # Weekends (days 5, 6, 12, 13) see about 60 % of a weekday's traffic.
    day_weights = list(itertools.accumulate(0.6 if d % 7 >= 5 else 1.0 for d in days))
    hour_weights = list(itertools.accumulate(HOURLY))
    out = []
    for _ in range(n):
        day = rng.choices(days, cum_weights=day_weights)[0]
        hour = rng.choices(range(24), cum_weights=hour_weights)[0]
        out.append(START + timedelta(days=day, hours=hour, seconds=rng.randrange(3600)))
    out.sort()
    return out


def _tokens(text: str) -> int:
    # Roughly 1.3 tokens per word: the log's own token counts, as an API would report them.
    return math.ceil(len(text.split()) * 1.3)


def generate(
    seed: int = DEFAULT_SEED, records: int = DEFAULT_RECORDS
) -> Iterator[dict[str, object]]:
    """Yield ``records`` log records in time order, fully determined by ``seed``."""
    rng = random.Random(seed)
    intents = [(name, "support_chat", p) for name, p in SHOP_INTENTS] + [
        (name, "tutor_chat", p) for name, p in TUTOR_INTENTS
    ]
    # A fixed shuffle decides which intents are popular, then Zipf over that order.
    rng.shuffle(intents)
    intent_weights = _zipf_weights(len(intents), 1.1)
    by_name = {name: (feature, p) for name, feature, p in intents}
    rag_names = sorted(RAG_INTENTS)
    rag_weights = _zipf_weights(len(rag_names), 0.8)
    users = [f"u{index:04d}" for index in range(1, 401)]
    user_weights = _zipf_weights(len(users), 0.7)
    for ts in _timestamps(rng, records):
        roll = rng.random()
        context = None
        if roll < SHARE_HARD:
            feature = "tutor_chat"
            if rng.random() < 0.5:
                query = rng.choice(HARD_QUESTIONS)
            else:
                query = _fill(rng, rng.choice(HARD_TEMPLATES))
            if rng.random() < 0.3:
                query = _variant(rng, query)
            output_tokens = rng.randint(450, 1300)
        elif roll < SHARE_HARD + SHARE_ACCOUNT:
            template = rng.choice(ACCOUNT_TEMPLATES)
            feature = "tutor_chat" if "{subject}" in template else "support_chat"
            query = _variant(rng, _fill(rng, template))
            output_tokens = rng.randint(60, 200)
        elif roll < SHARE_HARD + SHARE_ACCOUNT + SHARE_RAG:
            feature = "help_search"
            name = rng.choices(rag_names, cum_weights=rag_weights)[0]
            query = _variant(rng, rng.choice(by_name[name][1]))
            context = HELP_PAGES[RAG_INTENTS[name]]
            output_tokens = rng.randint(90, 260)
        else:
            name, feature, phrasings = rng.choices(intents, cum_weights=intent_weights)[0]
            # The canonical phrasing is the most common way to ask.
            phrasing = phrasings[0] if rng.random() < 0.25 else rng.choice(phrasings)
            query = _variant(rng, phrasing)
            output_tokens = rng.randint(60, 240)
        model = "gpt-4o-mini" if rng.random() < SHARE_MINI else "gpt-4o"
        input_tokens = SYSTEM_PROMPT_TOKENS[feature] + _tokens(query)
        if context is not None:
            input_tokens += _tokens(context)
        price_in, price_out = PRICES[model]
        cost = (input_tokens * price_in + output_tokens * price_out) / 1e6
        record: dict[str, object] = {
            "ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "query": query,
            "model": model,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cost_usd": round(cost, 6),
            "user": rng.choices(users, cum_weights=user_weights)[0],
            "feature": feature,
        }
        if context is not None:
            record["context"] = context
        yield record


def write(path: Path, *, seed: int = DEFAULT_SEED, records: int = DEFAULT_RECORDS) -> None:
    """Write the log as UTF-8 JSON lines with ``\\n`` endings (byte-stable across platforms)."""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in generate(seed, records):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("queries.jsonl"))
    args = parser.parse_args(argv)
    write(args.out, seed=args.seed, records=args.records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
