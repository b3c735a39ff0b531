"""LiteLLM's router strategy backed by a :class:`semroute.Router` (see the package docstring)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from litellm.router import Router as LiteLLMRouter
from litellm.types.router import CustomRoutingStrategyBase

from semroute.chat.request import chat_request
from semroute.errors import ConfigError
from semroute.router.router import Decision, Router

__all__ = ["SemrouteRouting"]


def _deployment_model(deployment: Mapping[str, Any]) -> set[str]:
    """The names a deployment answers to: its provider model (with and without the provider
    prefix) and its id."""
    params = deployment.get("litellm_params") or {}
    info = deployment.get("model_info") or {}
    model = params.get("model")
    names = {model, info.get("id")}
    if isinstance(model, str) and "/" in model:
        names.add(model.split("/", 1)[1])  # "openai/gpt-4o" answers to the tier "gpt-4o"
    return {n for n in names if isinstance(n, str)}


class SemrouteRouting(CustomRoutingStrategyBase):
    """LiteLLM Router strategy: each call's deployment is ``router.choose(last user message)``.

    Every tier of ``router`` should name a deployment of the model group called (by its
    ``litellm_params.model``, with or without the ``provider/`` prefix, or its
    ``model_info.id``); a tier that names none, a group with one deployment, or a request
    without a text user message gets the group's first deployment, and the recorded reason
    says so. The decision (model, score, reason) is written to the request's
    ``metadata["semroute_route"]``, which LiteLLM hands to its callbacks and which the
    semroute LiteLLM cache copies into its call records; ``on_decision(group, decision)``
    is called too when given. The async pick runs the encoder in a worker thread.

    >>> import semroute, litellm
    >>> router = semroute.Router(keywords={"contract": "gpt-4o"})   # gpt-4o-mini / gpt-4o
    >>> llm_router = litellm.Router(model_list=[
    ...     {"model_name": "auto",
    ...      "litellm_params": {"model": "gpt-4o-mini", "mock_response": "a"}},
    ...     {"model_name": "auto",
    ...      "litellm_params": {"model": "gpt-4o", "mock_response": "b"}},
    ... ])
    >>> SemrouteRouting(llm_router, router).install()
    >>> ask = [{"role": "user", "content": "Review this contract clause"}]
    >>> llm_router.completion(model="auto", messages=ask).model
    'gpt-4o'
    """

    def __init__(
        self,
        llm_router: LiteLLMRouter,
        router: Router,
        *,
        on_decision: Callable[[str, Decision], None] | None = None,
    ) -> None:
        if not isinstance(router, Router):
            raise ConfigError(f"router must be a semroute.Router, not {type(router).__name__}")
        if on_decision is not None and not callable(on_decision):
            raise ConfigError("on_decision must be callable or None")
        self.llm_router = llm_router
        self.router = router
        self._on_decision = on_decision

    def install(self) -> None:
        """Make this strategy pick every deployment of ``llm_router`` from now on."""
        self.llm_router.register_plugin(self)

    def _pick(
        self,
        model: str,
        messages: Sequence[object] | None,
        request_kwargs: dict[str, Any] | None,
    ) -> dict[str, Any] | None:
        found = self.llm_router.registry().deployments(model)
        deployments: list[dict[str, Any]] = [dict(d) for d in found or ()]
        if not deployments:
            return None
        query = chat_request(messages, {"model": model}).query
        if query is None or len(deployments) == 1:
            self._note(request_kwargs, model, deployments[0], None)
            return deployments[0]
        decision = self.router.choose(query)
        chosen = next((d for d in deployments if decision.model in _deployment_model(d)), None)
        if chosen is None:  # say so, rather than pretend the tier was served
            reason = f"{decision.reason}; no deployment of {model!r} is {decision.model!r}"
            self._note(request_kwargs, model, deployments[0], decision, reason)
            return deployments[0]
        self._note(request_kwargs, model, chosen, decision)
        return chosen

    def _note(
        self,
        request_kwargs: dict[str, Any] | None,
        group: str,
        deployment: Mapping[str, Any],
        decision: Decision | None,
        reason: str | None = None,
    ) -> None:
        params = deployment.get("litellm_params") or {}
        if reason is None:
            reason = "no query" if decision is None else decision.reason
        route = {
            "group": group,
            "model": str(params.get("model", "")),
            "score": None if decision is None else decision.score,
            "reason": reason,
        }
        if request_kwargs is not None:
            metadata = request_kwargs.get("metadata")
            if not isinstance(metadata, dict):
                metadata = request_kwargs["metadata"] = {}
            metadata["semroute_route"] = route
        if decision is not None and self._on_decision is not None:
            self._on_decision(group, decision)

    def get_available_deployment(  # type: ignore[override]
        self,
        model: str,
        messages: list[dict[str, str]] | None = None,
        input: str | list[object] | None = None,
        specific_deployment: bool | None = False,
        request_kwargs: dict[str, object] | None = None,
    ) -> dict[str, Any] | None:
        """LiteLLM's sync pick."""
        return self._pick(model, messages, request_kwargs)

    async def async_get_available_deployment(  # type: ignore[override]
        self,
        model: str,
        messages: list[dict[str, str]] | None = None,
        input: str | list[object] | None = None,
        specific_deployment: bool | None = False,
        request_kwargs: dict[str, object] | None = None,
    ) -> dict[str, Any] | None:
        """LiteLLM's async pick: the same decision, the encoder off the event loop."""
        return await asyncio.to_thread(self._pick, model, messages, request_kwargs)
