"""What one logged call cost, and what it would cost on another model.

A record's cost is its logged ``cost_usd`` when given; otherwise its tokens
priced with the price table. Missing input tokens are counted with the
encoder's tokenizer (query plus context); missing output tokens are taken as
``DEFAULT_OUTPUT_TOKENS``, a typical short chat answer. A model missing from the
table is priced as the table's default model (its strongest tier): teams
without routing usually send everything to one strong model.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semroute.errors import ConfigError

__all__ = ["DEFAULT_OUTPUT_TOKENS", "Price", "PriceTable", "load_prices"]

DEFAULT_OUTPUT_TOKENS = 200


@dataclass(frozen=True, slots=True)
class Price:
    """US dollars per million input and output tokens of one model."""

    model: str
    input_per_mtok: float
    output_per_mtok: float

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model:
            raise ConfigError(f"model name must be a non-empty string, got {self.model!r}")
        for name in ("input_per_mtok", "output_per_mtok"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise ConfigError(f"{self.model}: {name} must be a number >= 0, got {value!r}")

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """Dollars for one call of that many tokens."""
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6


@dataclass(frozen=True, slots=True)
class PriceTable:
    """Prices ordered cheapest tier first; the last one prices unknown models.

    >>> table = PriceTable((Price("mini", 0.15, 0.6), Price("big", 2.5, 10.0)))
    >>> round(table.price("unknown-model").cost(1000, 100), 6)
    0.0035
    """

    prices: tuple[Price, ...]

    def __post_init__(self) -> None:
        if not self.prices:
            raise ConfigError("the price table is empty")
        names = [p.model for p in self.prices]
        if len(set(names)) != len(names):
            raise ConfigError(f"the price table names a model twice: {names}")

    @property
    def default(self) -> Price:
        return self.prices[-1]

    def get(self, model: str | None) -> Price | None:
        for price in self.prices:
            if price.model == model:
                return price
        return None

    def price(self, model: str | None) -> Price:
        return self.get(model) or self.default


def _price_from(model: str, spec: Any) -> Price:
    if isinstance(spec, Mapping):
        try:
            return Price(model, spec["input_per_mtok"], spec["output_per_mtok"])
        except KeyError as exc:
            raise ConfigError(f"{model}: price needs {exc.args[0]!r}") from None
    if isinstance(spec, list | tuple) and len(spec) == 2:
        return Price(model, spec[0], spec[1])
    raise ConfigError(f"{model}: price must be {{input_per_mtok, output_per_mtok}} or [in, out]")


def load_prices(source: str | Path | Mapping[str, Any]) -> PriceTable:
    """Read a price table: ``{"model": {"input_per_mtok": x, "output_per_mtok": y}, ...}``.

    Order matters: cheapest tier first, strongest last. ``[in, out]`` pairs work too.

    >>> load_prices({"mini": [0.15, 0.6], "big": {"input_per_mtok": 2.5, "output_per_mtok": 10}})
    ... # doctest: +ELLIPSIS
    PriceTable(prices=(Price(model='mini', ...), Price(model='big', ...)))
    """
    if isinstance(source, str | Path):
        try:
            data = json.loads(Path(source).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read prices file {source}: {exc}") from exc
        except ValueError as exc:
            raise ConfigError(f"prices file {source} is not valid JSON: {exc}") from exc
    else:
        data = source
    if not isinstance(data, Mapping):
        raise ConfigError("prices must be a JSON object mapping model name to its prices")
    return PriceTable(tuple(_price_from(str(model), spec) for model, spec in data.items()))
