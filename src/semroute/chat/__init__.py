"""The canonical chat request, shared by every adapter (OpenAI, LangChain, LiteLLM).

Policy lives here once, below the adapters: what the query is, what goes into the
namespace, what is never cached, and the record of what semroute did for a call
(:class:`~semroute.chat.info.CallInfo`), which the ledger and the tracer consume.
"""
