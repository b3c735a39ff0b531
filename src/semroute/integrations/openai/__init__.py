"""semroute for the OpenAI Python SDK: ``semroute.wrap(OpenAI(), cache=...)``.

Imports ``openai``; ``import semroute`` does not (``semroute.wrap`` loads this on first use).
Needs the extra: ``pip install "semroute[openai]"``.
"""

from __future__ import annotations

from semroute.integrations.openai._info import call_info
from semroute.integrations.openai._wrap import counts, unwrap, wrap, wrapped

__all__ = ["call_info", "counts", "unwrap", "wrap", "wrapped"]
