"""One door to the purchase models (BG/NBD, Pareto/NBD and their limits).

Value, forecasts, holdout checks and the P(alive) history only need a few questions
answered for a fitted model; this module dispatches them on ``FitResult.model`` so callers
need not know which model the data called for. ``PURCHASE_MODELS`` is the one registry of
purchase models, ``label`` their names in words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from kam.analytics.clv import bgnbd, pareto_nbd
from kam.analytics.clv.limits import LIMIT_MODELS
from kam.analytics.clv.results import FitResult
from kam.analytics.clv.summary import SufficientStatistics

Floats = npt.NDArray[np.float64]


class PurchaseModel(Protocol):
    """What every purchase model offers: the ``bgnbd`` module, ``pareto_nbd``, the limits."""

    @property
    def MODEL(self) -> str: ...  # read-only: the modules hold constants

    @property
    def LABEL(self) -> str: ...

    @property
    def PARAMETERS(self) -> tuple[str, ...]: ...

    def fit(
        self, data: SufficientStatistics | pa.Table, *, start: Sequence[float] | None = None
    ) -> FitResult: ...

    def log_likelihood(
        self, params: Mapping[str, float], data: SufficientStatistics | pa.Table
    ) -> float: ...

    def probability_alive(
        self, params: Mapping[str, float], x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
    ) -> Floats: ...

    def expected_purchases(
        self,
        params: Mapping[str, float],
        x: npt.ArrayLike,
        t_x: npt.ArrayLike,
        T: npt.ArrayLike,
        t: npt.ArrayLike,
    ) -> Floats: ...

    def expected_purchases_new_customer(
        self, params: Mapping[str, float], t: npt.ArrayLike
    ) -> Floats: ...

    def expected_if_alive(
        self, params: Mapping[str, float], x: npt.ArrayLike, T: npt.ArrayLike, t: npt.ArrayLike
    ) -> Floats: ...

    def simulate_purchases(
        self,
        params: Mapping[str, float],
        x: Floats,
        T: Floats,
        alive: npt.NDArray[np.bool_],
        months: int,
        month_length: float,
        rng: np.random.Generator,
    ) -> list[npt.NDArray[np.int64]]: ...

    def age_offset(self, params: Mapping[str, float]) -> float: ...


PURCHASE_MODELS: dict[str, PurchaseModel] = {
    bgnbd.MODEL: bgnbd,
    pareto_nbd.MODEL: pareto_nbd,
    **{limit.MODEL: limit for limit in LIMIT_MODELS},
}
"""Every purchase model by its id: the two a user can ask for, and the limits they reach."""

ASKABLE = (bgnbd.MODEL, pareto_nbd.MODEL)
"""The purchase models a user (or a scoring run) can ask for; the limits are kam's answer
when one of them runs to the edge of its parameter space."""


def model_of(name: str) -> PurchaseModel:
    """The purchase model with id ``name``; ValueError naming the known ones."""
    try:
        return PURCHASE_MODELS[name]
    except KeyError:
        raise ValueError(
            f"{name!r} is not a purchase model; expected one of {sorted(PURCHASE_MODELS)}"
        ) from None


def purchase_model(fit_result: FitResult) -> PurchaseModel:
    """The purchase model a fit came from."""
    return model_of(fit_result.model)


def label(name: str) -> str:
    """A purchase model's name in words ("BG/NBD with one purchase rate"); the id if unknown."""
    found = PURCHASE_MODELS.get(name)
    return found.LABEL if found is not None else name


def probability_alive(
    fit_result: FitResult, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> Floats:
    """P(alive at T | x, t_x, T) under the fitted purchase model."""
    return purchase_model(fit_result).probability_alive(fit_result.params, x, t_x, T)


def expected_purchases(
    fit_result: FitResult,
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    t: npt.ArrayLike,
) -> Floats:
    """Expected purchases in (T, T+t] for each customer under the fitted purchase model."""
    return purchase_model(fit_result).expected_purchases(fit_result.params, x, t_x, T, t)


def expected_purchases_new_customer(fit_result: FitResult, t: npt.ArrayLike) -> Floats:
    """E[X(t)] for a customer just acquired, under the fitted purchase model."""
    return purchase_model(fit_result).expected_purchases_new_customer(fit_result.params, t)


def expected_if_alive(
    fit_result: FitResult, x: npt.ArrayLike, T: npt.ArrayLike, t: npt.ArrayLike
) -> Floats:
    """E[purchases in (T, T+t] | alive at T] under the fitted purchase model."""
    return purchase_model(fit_result).expected_if_alive(fit_result.params, x, T, t)


def simulate_purchases(
    fit_result: FitResult,
    x: Floats,
    T: Floats,
    alive: npt.NDArray[np.bool_],
    months: int,
    month_length: float,
    rng: np.random.Generator,
) -> list[npt.NDArray[np.int64]]:
    """Month-by-month purchase counts (customers x draws) from each customer's posterior."""
    model = purchase_model(fit_result)
    return model.simulate_purchases(fit_result.params, x, T, alive, months, month_length, rng)
