"""Holdout evaluation: fit on a calibration period, predict the next, compare with reality.

This is how Fader, Hardie & Lee (2005, "Counting Your Customers the Easy Way", section 7)
validate the BG/NBD on CDNOW: fit on weeks 1-39, predict each customer's purchases in
weeks 40-78 from their calibration history, and compare in total, per customer, and by
calibration-period frequency (their Figure 4).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from kam.analytics.clv.purchases import expected_purchases, expected_purchases_new_customer
from kam.analytics.clv.results import FitResult, HoldoutEvaluation
from kam.analytics.clv.summary import DateLike, days_per_unit, summary_arrays, to_epoch_day


def holdout_length(calibration_end: DateLike, holdout_end: DateLike, unit: str) -> float:
    """Length of the holdout period (calibration_end, holdout_end] in model time units."""
    return (to_epoch_day(holdout_end) - to_epoch_day(calibration_end)) / days_per_unit(unit)


def _actual(summary: pa.Table) -> npt.NDArray[np.float64]:
    if "holdout_frequency" not in summary.column_names:
        raise ValueError("the summary has no holdout_frequency: build it with holdout_end")
    return np.asarray(
        summary.column("holdout_frequency").to_numpy(zero_copy_only=False), dtype=np.float64
    )


def frequency_table(
    frequency: npt.ArrayLike,
    actual: npt.ArrayLike,
    predicted: npt.ArrayLike,
    *,
    top_bucket: int = 7,
) -> pa.Table:
    """Mean actual vs predicted holdout purchases by calibration frequency 0..top-1, top+."""
    x = np.asarray(frequency, dtype=np.int64)
    act = np.asarray(actual, dtype=np.float64)
    pred = np.asarray(predicted, dtype=np.float64)
    bucket = np.minimum(x, top_bucket)
    count = np.bincount(bucket, minlength=top_bucket + 1)
    act_sum = np.bincount(bucket, weights=act, minlength=top_bucket + 1)
    pred_sum = np.bincount(bucket, weights=pred, minlength=top_bucket + 1)
    safe = np.maximum(count, 1)
    labels = [str(i) for i in range(top_bucket)] + [f"{top_bucket}+"]
    return pa.table(
        {
            "frequency": labels,
            "n_customers": count,
            "actual_mean": np.where(count > 0, act_sum / safe, np.nan),
            "predicted_mean": np.where(count > 0, pred_sum / safe, np.nan),
            "actual_total": act_sum,
            "predicted_total": pred_sum,
        }
    )


def evaluate_holdout(
    purchase_fit: FitResult, summary: pa.Table, horizon: float, *, top_bucket: int = 7
) -> HoldoutEvaluation:
    """Compare each customer's predicted holdout purchases with ``holdout_frequency``.

    ``horizon`` is the holdout length in the model's time unit (see ``holdout_length``).
    """
    x, t_x, age = summary_arrays(summary)
    actual = _actual(summary)
    predicted = expected_purchases(purchase_fit, x, t_x, age, horizon)
    error = predicted - actual
    correlation = (
        float(np.corrcoef(actual, predicted)[0, 1])
        if len(actual) > 1 and np.ptp(actual) > 0 and np.ptp(predicted) > 0
        else float("nan")
    )
    return HoldoutEvaluation(
        model=purchase_fit.model,
        horizon=float(horizon),
        n_customers=len(actual),
        total_actual=float(actual.sum()),
        total_predicted=float(predicted.sum()),
        mae=float(np.mean(np.abs(error))),
        rmse=float(np.sqrt(np.mean(error**2))),
        correlation=correlation,
        by_frequency=frequency_table(x, actual, predicted, top_bucket=top_bucket),
    )


def cumulative_repeat_purchases(
    purchase_fit: FitResult, summary: pa.Table, horizon: float
) -> tuple[float, float]:
    """(expected, actual) repeat purchases of the cohort from acquisition to the holdout end.

    The expected number is the model's unconditional E[X(T + horizon)] summed over
    customers (each observed from their own first purchase), i.e. the right end of
    FHL's cumulative tracking plot; the actual one is calibration plus holdout purchases.
    """
    x, _, age = summary_arrays(summary)
    expected = expected_purchases_new_customer(purchase_fit, age + horizon)
    return float(expected.sum()), float(x.sum() + _actual(summary).sum())
