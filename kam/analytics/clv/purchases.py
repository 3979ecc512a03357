"""One door to the purchase models (BG/NBD, Pareto/NBD) for code that works with either.

Value and holdout evaluation only need three questions answered for a fitted model;
this module dispatches them on ``FitResult.model`` so callers need not know which model
the user chose.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np
import numpy.typing as npt

from kam.analytics.clv import bgnbd, pareto_nbd
from kam.analytics.clv.results import FitResult

Floats = npt.NDArray[np.float64]

PURCHASE_MODELS: dict[str, ModuleType] = {bgnbd.MODEL: bgnbd, pareto_nbd.MODEL: pareto_nbd}


def purchase_model(fit_result: FitResult) -> ModuleType:
    """The module implementing the purchase model a fit came from."""
    try:
        return PURCHASE_MODELS[fit_result.model]
    except KeyError:
        raise ValueError(
            f"{fit_result.model!r} is not a purchase model; expected one of "
            f"{sorted(PURCHASE_MODELS)}"
        ) from None


def probability_alive(
    fit_result: FitResult, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> Floats:
    """P(alive at T | x, t_x, T) under the fitted purchase model."""
    function: Callable[..., Floats] = purchase_model(fit_result).probability_alive
    return function(fit_result.params, x, t_x, T)


def expected_purchases(
    fit_result: FitResult,
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    t: npt.ArrayLike,
) -> Floats:
    """Expected purchases in (T, T+t] for each customer under the fitted purchase model."""
    function: Callable[..., Floats] = purchase_model(fit_result).expected_purchases
    return function(fit_result.params, x, t_x, T, t)


def expected_purchases_new_customer(fit_result: FitResult, t: npt.ArrayLike) -> Floats:
    """E[X(t)] for a customer just acquired, under the fitted purchase model."""
    function: Callable[..., Floats] = purchase_model(fit_result).expected_purchases_new_customer
    return function(fit_result.params, t)
