"""Adapters for the frameworks apps already use (OpenAI SDK, OpenTelemetry, LangChain, LiteLLM).

Each is an optional extra, imported only when used: ``import semroute`` imports none of them.
"""
