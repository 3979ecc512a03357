"""Account health: a 0–100 score from components, measured against what happened.

``policy`` holds the components and their weights (a versioned health policy);
``signals`` reads the store's purchase days as of a date into per-account raw values;
``score`` turns raw values into points and points into a score, leaving missing
components out; ``backtest`` scores every account as of a past date and measures how well
the score ranks the accounts that later defected or shrank, beside two baselines;
``fit`` learns the weights from history with a time-split validation. No Django here:
the health app calls it with the store's connection and the components it knows.
"""

from kam.analytics.health.policy import COMPONENTS, DEFAULT_POLICY, HealthPolicy
from kam.analytics.health.score import AccountHealth, score_accounts

__all__ = ["COMPONENTS", "DEFAULT_POLICY", "AccountHealth", "HealthPolicy", "score_accounts"]
