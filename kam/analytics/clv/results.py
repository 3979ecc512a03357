"""Frozen results that cross from the CLV models to the rest of kam."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pyarrow as pa


@dataclass(frozen=True)
class FitResult:
    """A model fitted by maximum likelihood.

    ``params`` and ``std_errors`` are keyed by parameter name (e.g. r, alpha, a, b for the
    BG/NBD). Standard errors come from the inverse of the Hessian of the negative
    log-likelihood at the optimum; they are NaN when that Hessian is not positive
    definite, which is itself a warning about the fit. ``time_unit`` is the unit the rate
    parameters (alpha, beta) are expressed in.
    """

    model: str
    params: Mapping[str, float]
    std_errors: Mapping[str, float]
    log_likelihood: float
    n_customers: int
    converged: bool
    iterations: int
    message: str = ""
    time_unit: str | None = None
    covariance: tuple[tuple[float, ...], ...] = field(default=(), repr=False)

    @property
    def n_parameters(self) -> int:
        """Number of estimated parameters."""
        return len(self.params)

    @property
    def aic(self) -> float:
        """Akaike information criterion, 2k - 2 LL (smaller is better)."""
        return 2.0 * self.n_parameters - 2.0 * self.log_likelihood

    @property
    def bic(self) -> float:
        """Bayesian information criterion, k ln(n) - 2 LL (smaller is better)."""
        return self.n_parameters * math.log(max(self.n_customers, 1)) - 2.0 * self.log_likelihood


@dataclass(frozen=True)
class SpendFitResult(FitResult):
    """A fitted Gamma-Gamma spend model, with the check of its key assumption.

    The Gamma-Gamma model assumes a customer's spend per purchase is independent of how
    often they buy. ``frequency_spend_correlation`` is the Pearson correlation between
    frequency and mean repeat spend over the customers used in the fit; when it is far
    from zero (|rho| above about 0.3) the UI should warn that spend forecasts are biased.
    """

    frequency_spend_correlation: float = math.nan
    n_excluded: int = 0
    note: str = ""
    """What happened when it was fitted, in words ("" when it converged as asked): e.g. the
    spend rates collapsed to one rate for everyone, and that limit is used."""


@dataclass(frozen=True)
class HoldoutEvaluation:
    """How well a purchase model fitted on a calibration period predicts the next period.

    Totals are summed over customers; ``mae`` and ``rmse`` are per-customer errors of the
    predicted number of purchases; ``by_frequency`` is the classic table of mean actual
    vs predicted holdout purchases by calibration-period frequency (Fader, Hardie & Lee
    2005, Figure 4).
    """

    model: str
    horizon: float
    n_customers: int
    total_actual: float
    total_predicted: float
    mae: float
    rmse: float
    correlation: float
    by_frequency: pa.Table = field(repr=False)

    @property
    def relative_error(self) -> float:
        """(predicted - actual) / actual for the total: negative means an under-forecast."""
        if self.total_actual == 0:
            return math.nan
        return (self.total_predicted - self.total_actual) / self.total_actual
