"""What the LangChain and LiteLLM adapters add to a whole framework call, beside the bare call.

    python -m benchmarks.integrations.frameworks_overhead            # writes benchmarks/results/frameworks_overhead.json
    python -m benchmarks.integrations.frameworks_overhead --quick    # a few rounds, to a temporary directory

The provider costs nothing: LangChain calls ``GenericFakeChatModel``, LiteLLM answers with
``mock_response`` (local price map, no socket). What is timed is the framework plus semroute.
Every round runs each case once, interleaved, so drift on the shared machine hits every case
alike; the overheads are per-round differences, summarised by their median and p90:

* ``bare``: the framework with no cache (LiteLLM: ``litellm.cache = None``);
* ``own_cache_hit``: the framework's own exact cache (``InMemoryCache``, ``litellm.Cache()``);
* ``miss``: a question never asked (lookup, provider, store), and ``encoder``: the encoder
  alone on that question: ``miss - bare - encoder`` is the adapter's own cost on a miss;
* ``semantic_hit``: a paraphrase of a stored question (encoder + search + rebuild), minus the
  encoder on that paraphrase;
* ``exact_hit``: the stored question again (no encoder);
* ``route`` (LiteLLM Router): ``SemrouteRouting`` against the Router's default strategy,
  minus the encoder (``Router.choose`` embeds the query).

The shipped encoder runs on one thread without its memo of repeated texts (every text pays a
real inference); a second pass with the bag-of-words fake encoder (~0.1 ms) shows the
adapters' own cost without the encoder's noise.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# Before litellm is imported: otherwise it fetches its price map from GitHub.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

SYSTEM = "You are ACME's support assistant. Answer briefly."
STORED = "How do I reset my password?"
PARAPHRASE = "How can I reset my password?"  # cosine 0.99 with STORED under the shipped encoder
FAKE_PARAPHRASE = "My password, how do I reset?"  # same words: a hit under the fake encoder
ANSWER = "Click 'Forgot password' on the sign-in page."


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def environment() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{cpu}, {os.cpu_count()} CPUs, {platform.platform()}",
        "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": _git("status", "--porcelain", "--untracked-files=no") != "",
        "python": platform.python_version(),
        "versions": {
            p: _version(p)
            for p in ("semroute", "langchain-core", "litellm", "onnxruntime", "numpy")
        },
    }


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e6


def _summary(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values)
    return {
        "median_us": round(float(np.median(arr)), 1),
        "p90_us": round(float(np.percentile(arr, 90)), 1),
        "n": len(values),
    }


def _summarise(cases: dict[str, list[float]]) -> dict[str, Any]:
    return {name: _summary(values) for name, values in cases.items() if values}


def run_langchain(rounds: int, encoder: Any, paraphrase: str) -> dict[str, Any]:
    from langchain_core.caches import InMemoryCache
    from langchain_core.language_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    import semroute
    from semroute.integrations.langchain import SemrouteCache

    def model(cache: object) -> GenericFakeChatModel:
        return GenericFakeChatModel(messages=itertools.repeat(AIMessage(ANSWER)), cache=cache)

    def ask(chat: GenericFakeChatModel, question: str) -> object:
        return chat.invoke([SystemMessage(SYSTEM), HumanMessage(question)])

    lc_cache = SemrouteCache(semroute.SemanticCache(encoder=encoder))
    bare, own, wrapped = model(False), model(InMemoryCache()), model(lc_cache)
    for chat in (bare, own, wrapped):
        ask(chat, STORED)
        ask(chat, "warm-up question")
    assert ask(wrapped, paraphrase) is not None and len(lc_cache.cache) == 2
    cases: dict[str, list[float]] = {
        k: [] for k in ("bare", "own_cache_hit", "miss", "encoder", "semantic_hit", "exact_hit")
    }
    miss_over: list[float] = []
    hit_over: list[float] = []
    for i in range(rounds):
        question = f"How do I configure option {i} of the admin panel?"
        t_bare = _timed(lambda q=question: ask(bare, q))
        t_miss = _timed(lambda q=question: ask(wrapped, q))
        t_enc = _timed(lambda q=question: encoder.encode(q))
        t_hit = _timed(lambda: ask(wrapped, paraphrase))
        t_hit_enc = _timed(lambda: encoder.encode(paraphrase))
        cases["bare"].append(t_bare)
        cases["own_cache_hit"].append(_timed(lambda: ask(own, STORED)))
        cases["miss"].append(t_miss)
        cases["encoder"].append(t_enc)
        cases["semantic_hit"].append(t_hit)
        cases["exact_hit"].append(_timed(lambda: ask(wrapped, STORED)))
        miss_over.append(t_miss - t_bare - t_enc)
        hit_over.append(t_hit - t_hit_enc)
    summary = _summarise(cases)
    summary["miss_beyond_bare_and_encoder"] = _summary(miss_over)
    summary["semantic_hit_beyond_encoder"] = _summary(hit_over)
    summary["exact_hit_minus_bare_us"] = round(
        summary["exact_hit"]["median_us"] - summary["bare"]["median_us"], 1
    )
    summary["entries_stored"] = len(lc_cache.cache)  # 2 + one per round: every miss stored
    return summary


def _router(encoder: Any) -> Any:
    """The shipped classifier for the shipped encoder; a small fitted one for the fake."""
    from semroute.router.router import Router

    if encoder.model_id.startswith("fake"):
        easy, hard = ["hi there", "thanks a lot"], ["prove the theorem", "derive the integral"]
        return Router(encoder=encoder, model=None, threshold=0.5).fit(easy + hard, [0, 0, 1, 1])
    return Router(encoder=encoder, threshold=0.5)


def run_litellm(rounds: int, encoder: Any, paraphrase: str) -> dict[str, Any]:
    import litellm

    import semroute
    from semroute.integrations.litellm import SemrouteLiteLLMCache, SemrouteRouting

    semantic = semroute.SemanticCache(encoder=encoder)
    ours = SemrouteLiteLLMCache(semantic)
    own = litellm.Cache()

    def ask(cache: Any, question: str) -> Any:
        litellm.cache = cache
        return litellm.completion(
            model="gpt-4o-mini",
            messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}],
            mock_response=ANSWER,
        )

    def deployments() -> list[dict[str, Any]]:
        return [
            {
                "model_name": "auto",
                "litellm_params": {"model": "gpt-4o-mini", "mock_response": "a"},
            },
            {"model_name": "auto", "litellm_params": {"model": "gpt-4o", "mock_response": "b"}},
        ]

    plain_router = litellm.Router(model_list=deployments())
    routed = litellm.Router(model_list=deployments())
    SemrouteRouting(routed, _router(encoder)).install()

    def route(llm_router: Any, question: str) -> Any:
        litellm.cache = None
        return llm_router.completion(model="auto", messages=[{"role": "user", "content": question}])

    for cache in (None, own, ours):
        ask(cache, STORED)
        ask(cache, "warm-up question")
    route(plain_router, "warm-up")
    route(routed, "warm-up")
    assert ask(ours, paraphrase).choices[0].message.content == ANSWER
    cases: dict[str, list[float]] = {
        k: []
        for k in (
            "bare",
            "own_cache_hit",
            "miss",
            "encoder",
            "semantic_hit",
            "exact_hit",
            "router_default",
            "router_semroute",
        )
    }
    miss_over: list[float] = []
    hit_over: list[float] = []
    route_over: list[float] = []
    try:
        for i in range(rounds):
            question = f"How do I configure option {i} of the admin panel?"
            t_bare = _timed(lambda q=question: ask(None, q))
            t_miss = _timed(lambda q=question: ask(ours, q))
            t_enc = _timed(lambda q=question: encoder.encode(q))
            t_hit = _timed(lambda: ask(ours, paraphrase))
            t_hit_enc = _timed(lambda: encoder.encode(paraphrase))
            t_route_bare = _timed(lambda q=question: route(plain_router, q))
            t_route = _timed(lambda q=question: route(routed, q))
            t_route_enc = _timed(lambda q=question: encoder.encode(q))
            cases["bare"].append(t_bare)
            cases["own_cache_hit"].append(_timed(lambda: ask(own, STORED)))
            cases["miss"].append(t_miss)
            cases["encoder"].append(t_enc)
            cases["semantic_hit"].append(t_hit)
            cases["exact_hit"].append(_timed(lambda: ask(ours, STORED)))
            cases["router_default"].append(t_route_bare)
            cases["router_semroute"].append(t_route)
            miss_over.append(t_miss - t_bare - t_enc)
            hit_over.append(t_hit - t_hit_enc)
            route_over.append(t_route - t_route_bare - t_route_enc)
    finally:
        litellm.cache = None
    summary = _summarise(cases)
    summary["miss_beyond_bare_and_encoder"] = _summary(miss_over)
    summary["semantic_hit_beyond_encoder"] = _summary(hit_over)
    summary["route_beyond_default_and_encoder"] = _summary(route_over)
    summary["exact_hit_minus_own_cache_hit_us"] = round(
        summary["exact_hit"]["median_us"] - summary["own_cache_hit"]["median_us"], 1
    )
    summary["entries_stored"] = len(semantic)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="5 rounds, temporary output")
    parser.add_argument("--out", type=Path, default=None, help="output JSON file")
    args = parser.parse_args(argv)
    rounds = 5 if args.quick else args.rounds
    out = args.out or (
        Path(tempfile.mkdtemp()) / "frameworks_overhead.json"
        if args.quick
        else ROOT / "benchmarks" / "results" / "frameworks_overhead.json"
    )
    # Third-party beta and schema notices are not what this run measures.
    warnings.simplefilter("ignore")
    from semroute.encoder.encoder import Encoder
    from tests.fakes import FakeEncoder

    shipped = Encoder(threads=1, cache_size=0)
    fake = FakeEncoder(dim=384)
    record: dict[str, Any] = {
        "benchmark": "frameworks_overhead",
        "command": "python -m benchmarks.integrations.frameworks_overhead"
        + (" --quick" if args.quick else ""),
        "rounds": rounds,
        "quick": args.quick,
        "environment": environment(),
        "langchain": run_langchain(rounds, shipped, PARAPHRASE),
        "litellm": run_litellm(rounds, shipped, PARAPHRASE),
        "langchain_fake_encoder": run_langchain(rounds, fake, FAKE_PARAPHRASE),
        "litellm_fake_encoder": run_litellm(rounds, fake, FAKE_PARAPHRASE),
    }
    record["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    for part in ("langchain", "litellm", "langchain_fake_encoder", "litellm_fake_encoder"):
        print(part)
        for name, value in record[part].items():
            print(f"  {name:40s} {value}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
