"""Customer lifetime value: purchase, spend and value models (Fader, Hardie & Lee 2005).

``summary`` turns transaction lines (in the store, or a table in memory) into
frequency, recency and age per customer; ``bgnbd`` and ``pareto_nbd`` model purchases and
P(alive), ``limits`` what they become at the edges of their parameter space and
``degenerate`` when kam uses those (``purchases`` dispatches to any of them);
``gamma_gamma`` models spend per purchase; ``value`` combines them into a
discounted CLV over the plan horizon; ``holdout`` checks forecasts against a later period;
``simulate`` draws synthetic customers with known parameters.
"""

from kam.analytics.clv.results import FitResult, HoldoutEvaluation, SpendFitResult
from kam.analytics.clv.summary import (
    SufficientStatistics,
    collapse,
    collapse_arrays,
    summarise_table,
    summarise_transactions,
)

__all__ = [
    "FitResult",
    "HoldoutEvaluation",
    "SpendFitResult",
    "SufficientStatistics",
    "collapse",
    "collapse_arrays",
    "summarise_table",
    "summarise_transactions",
]
