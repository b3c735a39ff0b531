"""semroute.wrap(prune=...): the marked context is pruned on the way to the API, never on a hit.

Real openai SDK against the in-process fake API (httpx MockTransport), as test_openai_wrap.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

openai = pytest.importorskip("openai")

import semroute  # noqa: E402
from semroute import Pruner, SemanticCache, context_message, prune_messages  # noqa: E402
from semroute.chat.info import CallInfo  # noqa: E402
from semroute.errors import ConfigError  # noqa: E402
from semroute.ledger import price_of  # noqa: E402
from semroute.pruning.messages import CONTEXT_CLOSE, CONTEXT_OPEN  # noqa: E402
from semroute.pruning.prune import Pruned  # noqa: E402
from tests.fakes import FakeEncoder  # noqa: E402
from tests.openai_fakes import FakeAPI  # noqa: E402

PASSAGES = [
    ("Normandy", "The Normans gave their name to Normandy. They came from Denmark and Norway."),
    ("Weather", "The weather was mild that year. The fields were green and the rivers full."),
    ("Markets", "The market was busy on most days. Bread and cheese were sold in the square."),
    ("Hastings", "In 1066 William of Normandy won at Hastings. Harold died in the battle."),
]
# A context block in the system prompt and in the question: neither may be cut.
SYSTEM = {"role": "system", "content": f"Answer briefly. {CONTEXT_OPEN}\nkeep\n{CONTEXT_CLOSE}"}
QUESTION = {"role": "user", "content": "Who won at Hastings in 1066?"}
MODEL = "gpt-4o-mini"
RATIO = 0.3


class CountingPruner(Pruner):
    """A real pruner that counts its calls."""

    def __init__(self) -> None:
        super().__init__(encoder=FakeEncoder())
        self.calls = 0

    def prune(self, *args: Any, **kwargs: Any) -> Pruned:
        self.calls += 1
        return super().prune(*args, **kwargs)


class Recorder:
    def __init__(self) -> None:
        self.infos: list[CallInfo] = []

    def on_call(self, info: CallInfo) -> None:
        self.infos.append(info)


def request() -> list[dict[str, Any]]:
    return [SYSTEM, context_message(PASSAGES, intro="Use these documents:"), QUESTION]


def ask(client: Any, messages: list[dict[str, Any]]) -> Any:
    return client.chat.completions.create(model=MODEL, messages=messages)


@pytest.fixture
def cache() -> SemanticCache:
    return SemanticCache(encoder=FakeEncoder())


def test_the_api_gets_the_pruned_context_and_the_instructions_and_question_as_given(
    cache: SemanticCache,
) -> None:
    api, pruner = FakeAPI(), CountingPruner()
    client = semroute.wrap(api.client(), cache=cache, prune=RATIO, pruner=pruner)
    msgs = request()
    before = copy.deepcopy(msgs)
    info = semroute.call_info(ask(client, msgs))
    assert msgs == before  # the caller's messages are not modified
    sent = api.requests[0]["messages"]
    assert sent[0] == SYSTEM and sent[2] == QUESTION
    context = sent[1]["content"]
    assert context != before[1]["content"]
    assert context.startswith(f"Use these documents:\n{CONTEXT_OPEN}\n")
    assert "William of Normandy won at Hastings" in context and "weather" not in context
    expected = prune_messages(before, ratio=RATIO, pruner=Pruner(encoder=FakeEncoder()))
    assert sent == expected.messages
    cut = expected.original_tokens - expected.kept_tokens
    assert info.outcome == "miss" and info.pruned_tokens == cut > 0
    # pruning's share of saved_usd: the tokens cut at the model's input price
    assert info.saved_usd == pytest.approx(price_of(MODEL, cut, 0))


def test_a_repeat_is_a_hit_on_the_original_request_and_prunes_nothing(
    cache: SemanticCache,
) -> None:
    api, pruner = FakeAPI(), CountingPruner()
    rec = Recorder()
    client = semroute.wrap(api.client(), cache=cache, prune=RATIO, pruner=pruner, observers=[rec])
    ask(client, request())
    prunes = pruner.calls
    hit = semroute.call_info(ask(client, request()))
    assert api.calls == 1 and prunes == 1
    assert hit.outcome == "exact" and hit.pruned_tokens == 0
    assert pruner.calls == prunes  # a hit never prunes
    # the key is the request as the caller wrote it: a client that never prunes hits it too
    plain = semroute.wrap(FakeAPI().client(), cache=cache)
    assert semroute.call_info(ask(plain, request())).outcome == "exact"
    assert [i.outcome for i in rec.infos] == ["miss", "exact"]


def test_prune_none_sends_the_messages_unchanged(cache: SemanticCache) -> None:
    api = FakeAPI()
    client = semroute.wrap(api.client(), cache=cache)
    info = semroute.call_info(ask(client, request()))
    assert api.requests[0]["messages"] == request()
    assert info.pruned_tokens == 0 and info.saved_usd is None


def test_pruning_also_applies_without_a_cache_and_on_the_async_client() -> None:
    api = FakeAPI()
    client = semroute.wrap(api.client(), prune=RATIO, pruner=CountingPruner())
    info = semroute.call_info(ask(client, request()))
    assert info.outcome == "miss" and info.pruned_tokens > 0
    assert api.requests[0]["messages"][1]["content"] != request()[1]["content"]

    aapi = FakeAPI()
    aclient = semroute.wrap(
        aapi.client(is_async=True),
        cache=SemanticCache(encoder=FakeEncoder()),
        prune=RATIO,
        pruner=CountingPruner(),
    )
    response = asyncio.run(aclient.chat.completions.create(model=MODEL, messages=request()))
    assert semroute.call_info(response).pruned_tokens == info.pruned_tokens
    assert aapi.requests[0]["messages"] == api.requests[0]["messages"]


def test_a_request_without_marked_context_is_sent_as_given(cache: SemanticCache) -> None:
    api = FakeAPI()
    client = semroute.wrap(api.client(), cache=cache, prune=RATIO, pruner=CountingPruner())
    msgs = [SYSTEM, {"role": "user", "content": " ".join(t for _, t in PASSAGES)}, QUESTION]
    info = semroute.call_info(ask(client, msgs))
    assert api.requests[0]["messages"] == msgs and info.pruned_tokens == 0


@pytest.mark.parametrize("bad", [0, 0.0, -0.5, 1.01, float("nan"), True, "0.5", [0.5]])
def test_bad_prune_values_are_config_errors(bad: Any) -> None:
    client = FakeAPI().client()
    with pytest.raises(ConfigError):
        semroute.wrap(client, prune=bad)
    with pytest.raises(ConfigError):
        semroute.wrap(client, prune=0.5, pruner="lexical")  # type: ignore[arg-type]
    assert semroute.wrap(client, prune=1) is client  # the bounds: 1 keeps everything
