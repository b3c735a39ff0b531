"""What a call cost: the shipped per-token price table, the user's overrides, ``price_of``.

The shipped table (``prices.json`` beside this module) is a dated, trimmed copy of
LiteLLM's MIT-licensed ``model_prices_and_context_window`` file: chat models with
per-token input and output prices, in dollars per million tokens. Its licence notice,
the LiteLLM version and the date it was made are in the file;
``models/scripts/refresh_prices.py`` regenerates it from the installed litellm.

A model found in neither the user's table nor the shipped one has an unknown cost:
``price_of`` returns ``None``, never zero, and the ledger stores NULL.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from semroute.analysis.cost import Price, load_prices
from semroute.errors import InputError

__all__ = ["PriceBook", "default_prices", "price_of", "shipped_prices_info", "use_prices"]


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Any]:
    text = resources.files("semroute.ledger").joinpath("prices.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def shipped_prices_info() -> dict[str, str]:
    """Where the shipped table came from: source, LiteLLM version, date, licence.

    >>> shipped_prices_info()["license"]
    'MIT'
    """
    return {k: str(v) for k, v in _shipped().items() if k != "models"}


def _tokens(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{name} must be an integer >= 0, got {value!r}")
    return value


class PriceBook:
    """Per-token prices: the user's table first, then (unless ``shipped=False``) LiteLLM's.

    ``overrides`` is a path to a JSON file or a mapping
    ``{"model": {"input_per_mtok": x, "output_per_mtok": y}}`` (``[x, y]`` works too),
    dollars per million tokens, as for ``semroute analyze --prices``.
    A lookup tries the exact name, then lower case, then the name without a
    ``provider/`` prefix.

    >>> book = PriceBook({"my-model": [1.0, 2.0]})
    >>> book.cost("my-model", 1_000_000, 500_000), book.cost("gpt-4o-mini", 1000, 0)
    (2.0, 0.00015)
    >>> book.cost("no-such-model", 10, 10) is None
    True
    """

    def __init__(
        self,
        overrides: str | Path | Mapping[str, Any] | None = None,
        *,
        shipped: bool = True,
    ) -> None:
        self._own: dict[str, Price] = {}
        if overrides is not None and (not isinstance(overrides, Mapping) or overrides):
            self._own = {p.model: p for p in load_prices(overrides).prices}
        self._shipped = shipped

    def get(self, model: str | None) -> Price | None:
        """The price of ``model``, or ``None`` when no table knows it."""
        if not model:
            return None
        candidates = [model, model.lower()]
        if "/" in model:
            candidates.append(model.rsplit("/", 1)[1])
        for name in candidates:
            price = self._own.get(name)
            if price is not None:
                return price
        if self._shipped:
            table = _shipped()["models"]
            for name in candidates:
                spec = table.get(name)
                if spec is not None:
                    return Price(name, spec["input_per_mtok"], spec["output_per_mtok"])
        return None

    def cost(self, model: str | None, input_tokens: int, output_tokens: int) -> float | None:
        """Dollars for one call, or ``None`` when the model's price is unknown."""
        _tokens("input_tokens", input_tokens)
        _tokens("output_tokens", output_tokens)
        price = self.get(model)
        return None if price is None else price.cost(input_tokens, output_tokens)


_lock = threading.Lock()
_default = PriceBook()


def default_prices() -> PriceBook:
    """The process-wide price book ``price_of`` uses (shipped table plus ``use_prices``)."""
    return _default


def use_prices(overrides: str | Path | Mapping[str, Any] | None) -> PriceBook:
    """Set the process-wide overrides (your negotiated prices, your own models).

    They win over the shipped table for every later ``price_of`` call, in the
    wrappers and the ledger alike. ``None`` drops them.

    >>> _ = use_prices({"gpt-4o-mini": [0.1, 0.4]})
    >>> price_of("gpt-4o-mini", 1_000_000, 0)
    0.1
    >>> _ = use_prices(None)
    """
    global _default
    book = PriceBook(overrides)
    with _lock:
        _default = book
    return book


def price_of(model: str | None, input_tokens: int, output_tokens: int) -> float | None:
    """Dollars for one call of ``model``, or ``None`` when its price is unknown (never 0).

    >>> price_of("gpt-4o-mini", 1000, 200)
    0.00027
    >>> price_of("a-model-nobody-prices", 1000, 200) is None
    True
    """
    return _default.cost(model, input_tokens, output_tokens)
