"""LiteLLM: a :class:`SemanticCache` as LiteLLM's cache, and a :class:`Router` as its router.

``semroute[litellm]``; checked with litellm 1.110.2.

Cache: ``litellm.cache = SemrouteLiteLLMCache(semroute.SemanticCache(...))``. The class
subclasses LiteLLM's public ``litellm.Cache`` and overrides the four methods LiteLLM's
caching handler calls with the whole request (``get_cache``, ``async_get_cache``,
``add_cache``, ``async_add_cache``). That is the most public hook this LiteLLM offers: its
``BaseCache`` backends are installed through the private ``Cache(_backend=...)`` and see
only a key already hashed from the exact messages, which rules out a semantic lookup. The
request is keyed by the canonical chat request (:func:`semroute.chat.request.chat_request`):
the last user message is the query; the model group (or model), the base URL, every
parameter LiteLLM sends the provider (the OpenAI ones and any provider-specific keyword such
as ``top_k``), those of LiteLLM's own options that change what the model is asked
(``custom_llm_provider``, ``litellm_system_prompt``, prompt templates, ``text_completion``...),
system prompt and earlier turns form the namespace; transport, credentials, retries and
logging options do not. LiteLLM's per-request ``cache={"ttl": n, "s-maxage": n}`` are
honoured. A hit gets a fresh
``id`` and ``created`` (LiteLLM drops the logs of a reused id) and zero ``usage`` (what this
call billed); the tokens and dollars saved go to the call record. A ``litellm.Router``
reads the cache only with ``Router(cache_responses=True)``. What may be stored is
decided by :func:`semroute.chat.response.chat_bypass_reason` (no tool calls, a normal stop).

Routing: ``SemrouteRouting(llm_router, router).install()`` picks, for each call to a model
group, the deployment whose model is ``router.choose(last user message).model``, sync and
async, and records the decision in the request's ``metadata["semroute_route"]``.
"""

from semroute.integrations.litellm.cache import SemrouteLiteLLMCache
from semroute.integrations.litellm.routing import SemrouteRouting

__all__ = ["SemrouteLiteLLMCache", "SemrouteRouting"]
