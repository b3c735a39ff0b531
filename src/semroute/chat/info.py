"""What semroute did for one LLM call: the record every adapter fills and every observer reads.

An adapter (``semroute.wrap`` for the OpenAI SDK, the LangChain cache, the LiteLLM hooks)
builds one :class:`CallInfo` per call and hands it to each :class:`CallObserver` (the
ledger, the OpenTelemetry span emitter, a user's own). Before calling the provider it asks
each :class:`BudgetGate` whether the call may go ahead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

#: exact: same normalised query served; semantic: a paraphrase served; miss: the provider
#: was called and (if cacheable) the answer stored; bypass: semroute stepped aside (the
#: reason says why: tool calls, n > 1, images, streaming closed early, cache failure...);
#: error: the provider raised.
Outcome = Literal["exact", "semantic", "miss", "bypass", "error"]

#: What a budget allows for the next call in its scope.
BudgetAction = Literal["allow", "downgrade"]


@dataclass(frozen=True, slots=True)
class CallInfo:
    """One call through an adapter, as the ledger stores it and a span reports it.

    Token counts and ``cost_usd`` are what was billed for *this* call (zero on a hit);
    ``saved_usd`` is what semroute avoided (a hit: what the stored answer cost; routing:
    the requested model's price minus the used one's; pruning: the tokens cut, at the
    input price). ``None`` means unknown, never zero. ``tokens_estimated`` is True when
    the counts come from the shipped tokenizer because the provider gave no usage.
    """

    operation: str  # "chat" (chat.completions), "responses", "text_completion"
    provider: str  # "openai", "litellm", "langchain", ...
    namespace: str
    model_requested: str
    model_used: str | None
    outcome: Outcome
    reason: str | None = None  # why a bypass / miss, or the route's reason
    similarity: float | None = None
    matched_query: str | None = None
    query: str | None = None  # only kept when the caller opted in (store_text)
    route_model: str | None = None
    route_score: float | None = None
    route_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    tokens_estimated: bool = False
    cost_usd: float | None = None
    saved_usd: float | None = None
    saved_tokens: int | None = None
    pruned_tokens: int = 0
    stream: bool = False
    error_type: str | None = None
    request_params: Mapping[str, object] = field(default_factory=dict)
    response_id: str | None = None
    finish_reason: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    start_ns: int = 0  # time.time_ns() when the adapter received the call
    end_ns: int = 0  # time.time_ns() when the answer (or the error) was handed back

    @property
    def latency_s(self) -> float:
        """Seconds from receiving the call to handing back its answer."""
        return max(0, self.end_ns - self.start_ns) / 1e9


@runtime_checkable
class CallObserver(Protocol):
    """Receives every finished call. Must be fast and must not raise (it is guarded)."""

    def on_call(self, info: CallInfo) -> None:
        """Record or export one finished call."""
        ...


@runtime_checkable
class BudgetGate(Protocol):
    """Asked before each call; raises ``semroute.errors.BudgetExceeded`` to block it."""

    def check(self, tags: Mapping[str, str], model: str) -> BudgetAction:
        """``"allow"`` or ``"downgrade"`` (route to the cheapest tier) for a call in scope."""
        ...
