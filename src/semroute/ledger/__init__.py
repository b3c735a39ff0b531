"""What every LLM call cost and saved: the ledger, prices, budgets and ``semroute report``.

>>> from semroute.ledger import Ledger, price_of
>>> price_of("gpt-4o-mini", 1_000, 200)
0.00027
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from semroute.ledger._budget import Budget, BudgetAlert
from semroute.ledger._ledger import Ledger, LedgerStats
from semroute.ledger._prices import PriceBook, price_of, shipped_prices_info, use_prices

__all__ = [
    "Budget",
    "BudgetAlert",
    "Ledger",
    "LedgerStats",
    "PriceBook",
    "ledger_report",
    "price_of",
    "shipped_prices_info",
    "use_prices",
]


if TYPE_CHECKING:
    from semroute.ledger._report import ledger_report


def __getattr__(name: str) -> Any:
    # The report pulls in the analyze code (numpy); the hot path (price_of, on_call) does not.
    if name == "ledger_report":
        from semroute.ledger._report import ledger_report

        return ledger_report
    raise AttributeError(f"module 'semroute.ledger' has no attribute {name!r}")
