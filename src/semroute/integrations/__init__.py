"""Adapters for the frameworks apps already use (OpenAI SDK, OpenTelemetry, LangChain, LiteLLM).

Each is an optional extra, imported only when used: ``import semroute`` imports none of them.
``semroute.integrations.langchain`` (``semroute[langchain]``) and
``semroute.integrations.litellm`` (``semroute[litellm]``) translate their framework's request
into the canonical chat request (:mod:`semroute.chat.request`) and the stored JSON back into
the framework's own objects; policy lives below them.
"""
