"""What every LLM call cost and saved: the ledger, prices, budgets and ``semroute report``.

>>> from semroute.ledger import Ledger, price_of
>>> price_of("gpt-4o-mini", 1_000, 200)
0.00027
"""

from __future__ import annotations

from semroute.ledger._budget import Budget, BudgetAlert
from semroute.ledger._ledger import Ledger, LedgerStats
from semroute.ledger._prices import PriceBook, price_of, shipped_prices_info, use_prices

__all__ = [
    "Budget",
    "BudgetAlert",
    "Ledger",
    "LedgerStats",
    "PriceBook",
    "price_of",
    "shipped_prices_info",
    "use_prices",
]
