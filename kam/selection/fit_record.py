"""A score run's lifetime-value step as it is kept (``ScoreRun.future_value``, JSON) and read back.

``future_value_record`` writes the record when a run scores; ``purchase_fit_of`` and the
labels read it for the pages and the command line. Both directions live here so the record
has one shape.
"""

import math
from typing import Any

from kam.analytics.clv.future_value import FutureValue, ModelReport
from kam.analytics.clv.purchases import label as model_label
from kam.analytics.clv.results import FitResult


def _fit_record(fit: FitResult) -> dict[str, object]:
    return {
        "model": fit.model,
        "params": dict(fit.params),
        "std_errors": dict(fit.std_errors),
        "log_likelihood": fit.log_likelihood,
        "converged": fit.converged,
        "message": fit.message,
        "customers": fit.n_customers,
        "time_unit": fit.time_unit,
    }


def _finite(value: object) -> object:
    """``value`` with every NaN or infinity replaced by None: JSON has no word for them, and a
    fit at the edge of its parameter space (no one ever stops buying) produces them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def future_value_record(result: FutureValue, table: str) -> dict[str, object]:
    """What a score run keeps of its lifetime-value step (JSON for ScoreRun.future_value)."""
    record = _future_value_record(result, table)
    return {key: _finite(value) for key, value in record.items()}


def _holdout_record(report: ModelReport) -> dict[str, object] | None:
    holdout = report.holdout
    if holdout is None:
        return None
    return {
        "weeks": holdout.horizon,
        "actual": holdout.total_actual,
        "predicted": holdout.total_predicted,
        "mae": holdout.mae,
        "rmse": holdout.rmse,
        "correlation": holdout.correlation,
    }


def _model_record(report: ModelReport) -> dict[str, object]:
    """One purchase model as asked: the fit used (its own or a limit), what happened, why."""
    own = report.resolution.own
    calibration = report.calibration_fit
    return {
        **_fit_record(report.fit),
        "asked": report.model,
        "label": report.fit_label,
        "status": report.status.value,
        "usable": report.usable,
        "note": report.note,
        "own_fit": None if own is report.fit else _fit_record(own),
        "calibration_fit": None if calibration is None else _fit_record(calibration),
        "holdout": _holdout_record(report),
    }


def _future_value_record(result: FutureValue, table: str) -> dict[str, object]:
    settings = result.settings
    return {
        "table": table,
        "as_of": result.as_of.isoformat(),
        "model": result.purchase_fit.model,
        "chosen": result.chosen,
        "label": result.label,
        "reason": result.reason,
        "months": settings.months,
        "monthly_discount_rate": settings.monthly_discount_rate,
        "interval": settings.interval,
        "customers": result.customers,
        "repeat_customers": result.repeat_customers,
        "missing": result.missing,
        "notes": list(result.notes),
        "calibration_end": result.calibration_end.isoformat() if result.calibration_end else None,
        "purchase_models": [_model_record(report) for report in result.models],
        "spend": {
            **_fit_record(result.spend),
            "frequency_spend_correlation": result.spend.frequency_spend_correlation,
        },
    }


def purchase_fit_of(record: dict[str, Any]) -> FitResult | None:
    """The fit behind a run's predictions (the chosen model's, or the limit used for it).

    Records from before the limits name only ``model``; newer ones name the model asked
    for (``chosen``) beside the model fitted, as two asked models may reach the same limit.
    """
    wanted = record.get("chosen", record.get("model"))
    chosen = next(
        (m for m in record.get("purchase_models", []) if m.get("asked", m["model"]) == wanted),
        None,
    )
    if chosen is None or any(v is None for v in chosen["params"].values()):
        return None
    return FitResult(
        model=chosen["model"],
        params=chosen["params"],
        std_errors=chosen["std_errors"],
        log_likelihood=chosen["log_likelihood"],
        n_customers=chosen["customers"],
        converged=chosen["converged"],
        iterations=0,
        message=chosen["message"],
        time_unit=chosen["time_unit"],
    )


def future_value_label(record: dict[str, Any]) -> str:
    """The models a run's predicted values come from, in words ("BG/NBD + Gamma-Gamma");
    "" for a run without them."""
    if not record:
        return ""
    if record.get("label"):
        return str(record["label"])
    return f"{model_label(str(record.get('model', '')))} + Gamma-Gamma"


def future_value_fit_note(record: dict[str, Any]) -> str:
    """What happened when a run's chosen purchase model was fitted, in words: the limit used
    and why ("" when it converged as asked, or for a run without predicted values)."""
    wanted = record.get("chosen", record.get("model"))
    for model in record.get("purchase_models", []):
        if model.get("asked", model.get("model")) == wanted:
            return str(model.get("note") or "")
    return ""
