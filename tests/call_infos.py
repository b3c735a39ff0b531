"""CallInfo records for every outcome, as the wrappers build them (shared by ledger tests)."""

from __future__ import annotations

from typing import Any

from semroute.chat.info import CallInfo

T0 = 1_780_000_000  # 2026-05-28 20:26:40 UTC, seconds


def info(
    outcome: str = "miss", *, at: float = T0, latency_s: float = 0.25, **fields: Any
) -> CallInfo:
    """A plausible CallInfo for ``outcome``; ``fields`` override any attribute."""
    start_ns = int(at * 1e9)
    base: dict[str, Any] = {
        "operation": "chat",
        "provider": "openai",
        "namespace": "ns-1",
        "model_requested": "gpt-4o",
        "model_used": "gpt-4o",
        "outcome": outcome,
        "tags": {"feature": "support", "user": "u1"},
        "request_params": {"temperature": 0.2, "max_tokens": 256, "user": "secret-id"},
        "query": "How do I reset my password?",
        "start_ns": start_ns,
        "end_ns": start_ns + int(latency_s * 1e9),
    }
    if outcome in ("exact", "semantic"):
        base.update(
            similarity=1.0 if outcome == "exact" else 0.96,
            matched_query="how do i reset my password",
            input_tokens=0,
            output_tokens=0,
            cost_usd=0.0,
            saved_usd=0.0035,
            saved_tokens=1100,
            response_id="chatcmpl-hit",
            finish_reason="stop",
        )
    elif outcome == "miss":
        base.update(
            input_tokens=1000,
            output_tokens=100,
            cost_usd=0.0035,
            response_id="chatcmpl-1",
            finish_reason="stop",
        )
    elif outcome == "bypass":
        base.update(reason="tool_calls", input_tokens=800, output_tokens=40, cost_usd=0.0024)
    elif outcome == "error":
        base.update(model_used=None, error_type="RateLimitError")
    base.update(fields)
    return CallInfo(**base)


def routed(**fields: Any) -> CallInfo:
    """A miss the router sent to gpt-4o-mini instead of gpt-4o, with a pruned context."""
    values: dict[str, Any] = {
        "model_requested": "auto",
        "model_used": "gpt-4o-mini",
        "route_model": "gpt-4o-mini",
        "route_score": 0.21,
        "route_reason": "score 0.21 < 0.5",
        "input_tokens": 1000,
        "output_tokens": 100,
        "cost_usd": 0.00021,
        "saved_usd": 0.0035 - 0.00021 + 0.00015 * 2,  # routing + 2,000 pruned tokens at mini
        "pruned_tokens": 2000,
    }
    values.update(fields)
    return info("miss", **values)
