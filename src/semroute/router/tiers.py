"""The model tiers a router chooses among, and the list prices it ships with."""

from __future__ import annotations

import math
from dataclasses import dataclass

from semroute.errors import ConfigError

__all__ = ["DEFAULT_TIERS", "PRICES_AS_OF", "Tier"]


@dataclass(frozen=True, slots=True)
class Tier:
    """A model and its list prices in US dollars per million tokens.

    >>> Tier("gpt-4o-mini", input_per_mtok=0.15, output_per_mtok=0.60).cost(1000, 500)
    0.00045
    """

    model: str
    input_per_mtok: float = 0.0
    output_per_mtok: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise ConfigError("Tier.model must be a non-empty string")
        for name in ("input_per_mtok", "output_per_mtok"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"Tier.{name} must be a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"Tier.{name} must be a finite price >= 0, got {value!r}")

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """Dollars for one call of that many tokens."""
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6


# List prices as given in RouterArena's model_cost.json (RouteWorks/RouterArena,
# shipped with the development data), copied on PRICES_AS_OF. Prices change:
# pass your own tiers.
PRICES_AS_OF = "2026-11-26"
DEFAULT_TIERS = (
    Tier("gpt-4o-mini", input_per_mtok=0.15, output_per_mtok=0.60),
    Tier("gpt-4o", input_per_mtok=2.50, output_per_mtok=10.00),
)
