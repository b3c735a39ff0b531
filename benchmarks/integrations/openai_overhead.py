"""What ``semroute.wrap`` adds to an OpenAI SDK call, beside the bare client, in one run.

    python -m benchmarks.integrations.openai_overhead              # writes benchmarks/results/openai_overhead-<date>.json
    python -m benchmarks.integrations.openai_overhead --quick      # fewer rounds, to a temporary directory

Both clients (the real ``openai`` package) talk to the same local HTTP server (loopback,
``tests/openai_fakes.LocalServer``) that answers chat completions, plain and SSE-streamed;
then the same again in process (``MockTransport``), without the server's noise.
Each round runs, interleaved so drift on the shared machine hits every case alike:

* ``bare``: the unwrapped client, one call (streams read to the end);
* ``miss``: the wrapped client, a question never asked before (lookup, API call, store);
* ``encoder``: the shipped encoder alone on that same question (what any miss must pay);
* ``semantic_hit``: a paraphrase of a stored question (encoder + search + rebuild; no HTTP),
  then the encoder alone on that paraphrase;
* ``exact_hit``: a stored question repeated (no encoder, no HTTP).

The miss overhead is the per-round ``miss - bare - encoder`` and the hit overhead the
per-round ``semantic_hit - encoder`` (medians over rounds), in wall time and in the calling
thread's CPU time (``time.thread_time``: the work done, not the time spent waiting for a
core while other jobs run; the local server's own work runs in another thread and is not
counted, which is the same for both clients). The shipped encoder runs
without its LRU (``cache_size=0``) on one thread, so every text costs a real inference; a
second pass with a bag-of-words fake encoder (~0.2 ms) shows the wrapper's own cost
without the encoder's noise. Last, :func:`breakdown` splits a semantic hit's own time into
its phases and shows what the encoder's inference does to it (it evicts the wrapper's code
and data from the CPU caches, so the same work costs several times more right after it). Medians and p90 in microseconds, on a shared
2-core VM with other jobs running: expect noise in the tails.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._stamp import dated_path
from benchmarks._stamp import environment as stamp_environment

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SYSTEM = {"role": "system", "content": "You are ACME's support assistant. Answer briefly."}
STORED = "How do I reset my password?"
PARAPHRASE = "How can I reset my password?"  # cosine 0.99 with STORED under the shipped encoder
FAKE_PARAPHRASE = "My password, how do I reset?"  # the fake embeds bags of words: same words


def environment() -> dict[str, Any]:
    """The shared stamp (commit, clean tree, machine, load, versions) plus the SDK's version."""
    env = stamp_environment()
    env["packages"]["openai"] = importlib.metadata.version("openai")
    return env


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall, this thread's CPU) microseconds. CPU time is not charged while other jobs hold
    the cores, so it shows the work a call does even on a loaded machine."""
    wall, cpu = time.perf_counter(), time.thread_time()
    fn()
    return (time.perf_counter() - wall) * 1e6, (time.thread_time() - cpu) * 1e6


def _summary(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values)
    return {
        "median_us": round(float(np.median(arr)), 1),
        "p90_us": round(float(np.percentile(arr, 90)), 1),
        "n": len(values),
    }


_CASES = ("bare", "miss", "encoder", "semantic_hit", "encoder_paraphrase", "exact_hit")


def _rounds(
    rounds: int,
    call: Callable[..., None],
    bare: Any,
    wrapped: Any,
    encoder: Any,
    label: str,
    paraphrase: str,
) -> dict[str, Any]:
    times: dict[str, dict[str, list[float]]] = {"wall": {}, "cpu": {}}
    for clock in times.values():
        for case in _CASES:
            clock[case] = []
    for i in range(rounds):
        question = f"How do I configure option {i} of the {label} admin panel?"
        measured = {
            "bare": _timed(lambda q=question: call(bare, q)),
            "miss": _timed(lambda q=question: call(wrapped, q)),
            "encoder": _timed(lambda q=question: encoder.encode(q)),
            "semantic_hit": _timed(lambda: call(wrapped, paraphrase)),
            "encoder_paraphrase": _timed(lambda: encoder.encode(paraphrase)),
            "exact_hit": _timed(lambda: call(wrapped, STORED)),
        }
        for case, (wall, cpu) in measured.items():
            times["wall"][case].append(wall)
            times["cpu"][case].append(cpu)
    out: dict[str, Any] = {}
    for clock, cases in times.items():
        summary: dict[str, Any] = {case: _summary(v) for case, v in cases.items()}
        miss = np.asarray(cases["miss"]) - cases["bare"] - np.asarray(cases["encoder"])
        hit = np.asarray(cases["semantic_hit"]) - cases["encoder_paraphrase"]
        # per-round differences, then the median over rounds
        summary["miss_beyond_bare_and_encoder"] = _summary(miss.tolist())
        summary["semantic_hit_beyond_encoder"] = _summary(hit.tolist())
        out[clock] = summary
    return out


def run(rounds: int, encoder: Any, paraphrase: str, transport: str) -> dict[str, Any]:
    import openai

    import semroute
    from tests.openai_fakes import HTTPX, FakeAPI, LocalServer

    api = FakeAPI()
    results: dict[str, Any] = {}
    with LocalServer(api) as server:

        def client() -> Any:
            if transport == "local_server":
                return openai.OpenAI(api_key="bench", base_url=server.url, max_retries=0)
            http = HTTPX.Client(transport=HTTPX.MockTransport(api.handler))
            return openai.OpenAI(
                api_key="bench", base_url="http://fake.test/v1", http_client=http, max_retries=0
            )

        bare = client()
        cache = semroute.SemanticCache(encoder=encoder)

        def messages(question: str) -> list[dict[str, str]]:
            return [SYSTEM, {"role": "user", "content": question}]

        for stream in (False, True):
            label = "stream" if stream else "plain"
            # One namespace per mode: each stays below the cache's 512-entry switch from exact
            # scan to graph, so both modes search alike.
            wrapped = semroute.wrap(client(), cache=cache, namespace=label)

            def call(client: Any, question: str, stream: bool = stream) -> None:
                r = client.chat.completions.create(
                    model="gpt-4o-mini", messages=messages(question), stream=stream
                )
                if stream:
                    for _ in r:
                        pass

            call(wrapped, STORED)  # store the question the hits ask for
            for q in ("warm-up one", "warm-up two"):
                call(bare, q)
                call(wrapped, f"{q} {stream}")
            before = semroute.integrations.openai.counts(wrapped)
            calls_before = api.calls
            summary = _rounds(rounds, call, bare, wrapped, encoder, label, paraphrase)
            # what the wrapper did in this mode's rounds: every miss round a miss, every hit
            # round a hit, or the timings above mean something else
            now = semroute.integrations.openai.counts(wrapped)
            summary["wrapper_counts"] = {k: v - before.get(k, 0) for k, v in now.items()}
            summary["api_calls"] = api.calls - calls_before
            results[label] = summary
    return results


class _MemoEncoder:
    """The shipped encoder, each text encoded once: a wrapped call then costs the wrapper and
    the cache only, while the real encoder can still be run between calls."""

    def __init__(self, encoder: Any) -> None:
        self._encoder = encoder
        self._memo: dict[str, Any] = {}
        self.dim = encoder.dim
        self.model_id = encoder.model_id

    def encode(self, texts: Any) -> Any:
        key = texts if isinstance(texts, str) else "\x00".join(texts)
        if key not in self._memo:
            self._memo[key] = self._encoder.encode(texts)
        return self._memo[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._encoder, name)


def breakdown(rounds: int, encoder: Any) -> dict[str, Any]:
    """Where a semantic hit's own time goes, in this thread's CPU time (in process).

    The encoder is taken out of the call (a memo of the shipped encoder's vectors) and the
    hit is timed twice per round: right after one real inference of the shipped encoder,
    as in a real hit (``hit_after_encoder``: the inference has evicted the wrapper's code
    and data from the CPU caches), and at once again (``hit_warm``). Then, each after an
    inference, its three phases alone: ``canonical`` (the request keyed: query, namespace
    hash), ``lookup`` (the cache: exact key, index, guards, the stored JSON decoded) and
    ``build`` (the SDK object or stream with a fresh id and zero usage, the call counted).
    """
    return {
        "stream" if stream else "plain": _breakdown(rounds, encoder, stream)
        for stream in (False, True)
    }


def _breakdown(rounds: int, encoder: Any, stream: bool) -> dict[str, Any]:
    import openai

    import semroute
    from tests.openai_fakes import HTTPX, FakeAPI

    api = FakeAPI()
    http = HTTPX.Client(transport=HTTPX.MockTransport(api.handler))
    client = openai.OpenAI(
        api_key="bench", base_url="http://fake.test/v1", http_client=http, max_retries=0
    )
    cache = semroute.SemanticCache(encoder=_MemoEncoder(encoder))
    wrapped = semroute.wrap(client, cache=cache)

    def kwargs(question: str) -> dict[str, Any]:
        user = {"role": "user", "content": question}
        return {"model": "gpt-4o-mini", "messages": [SYSTEM, user], "stream": stream}

    def consume(r: Any) -> None:
        if stream:
            for _ in r:
                pass

    def call(question: str) -> None:
        consume(wrapped.chat.completions.create(**kwargs(question)))

    call(STORED)
    call(PARAPHRASE)
    flow = wrapped._semroute_flow
    plan = flow.begin("chat", "create", kwargs(PARAPHRASE))
    query, namespace = plan.request.query, plan.request.namespace
    served = cache.serve(query, lambda _: None, namespace=namespace)
    stored = flow.body_of(served.response, "chat")
    assert served.hit is not None and stored is not None
    phases: dict[str, Callable[[], Any]] = {
        "hit_after_encoder": lambda: call(PARAPHRASE),
        "canonical": lambda: flow.begin("chat", "create", kwargs(PARAPHRASE)),
        # the vector from the memo, as in the hit itself (no embedding= to check)
        "lookup": lambda: cache.serve(query, lambda _: None, namespace=namespace),
        "build": lambda: consume(flow.served(plan, stored, served.hit, False)),
    }
    times: dict[str, list[float]] = {name: [] for name in phases}
    times["hit_warm"] = []
    for _ in range(rounds):
        for name, fn in phases.items():
            encoder.encode(PARAPHRASE)
            times[name].append(_timed(fn)[1])
            if name == "hit_after_encoder":
                times["hit_warm"].append(_timed(fn)[1])
    return {k: _summary(v) for k, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="30 rounds, temporary output")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    rounds = 30 if args.quick else args.rounds
    out = args.out or (
        Path(tempfile.mkdtemp()) / "openai_overhead.json"
        if args.quick
        else dated_path("openai_overhead")
    )
    from semroute import Encoder
    from tests.fakes import FakeEncoder

    encoders = {
        "shipped": (Encoder(threads=1, cache_size=0), PARAPHRASE),
        "fake": (FakeEncoder(dim=384), FAKE_PARAPHRASE),
    }
    results: dict[str, Any] = {}
    for transport in ("local_server", "in_process"):
        for name, (encoder, paraphrase) in encoders.items():
            results[f"{transport}/{name}_encoder"] = run(rounds, encoder, paraphrase, transport)
    hit_breakdown = breakdown(rounds, encoders["shipped"][0])
    record = {
        "benchmark": "openai_overhead",
        "command": "python -m benchmarks.integrations.openai_overhead"
        + (" --quick" if args.quick else ""),
        "rounds": rounds,
        "environment": environment(),
        "results": results,
        "semantic_hit_breakdown_cpu": hit_breakdown,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    for key, by_mode in results.items():
        for mode in ("plain", "stream"):
            for clock in ("cpu", "wall"):
                r = by_mode[mode][clock]
                print(
                    f"{key:28s} {mode:6s} {clock:4s} bare {r['bare']['median_us']:7.0f}"
                    f" | miss +{r['miss_beyond_bare_and_encoder']['median_us']:5.0f} beyond bare+enc"
                    f" | encoder {r['encoder']['median_us']:6.0f}"
                    f" | semantic hit {r['semantic_hit']['median_us']:6.0f}"
                    f" (+{r['semantic_hit_beyond_encoder']['median_us']:5.0f} beyond enc)"
                    f" | exact hit {r['exact_hit']['median_us']:5.0f}"
                )
    for mode, phases in hit_breakdown.items():
        print(
            f"semantic hit without the encoder, {mode:6s} cpu: "
            + " | ".join(f"{k} {v['median_us']:.0f}" for k, v in phases.items())
        )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
