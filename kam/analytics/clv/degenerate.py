"""A fit that runs to the edge of its parameter space, and what kam uses instead.

On data the models were not written for, the optimiser can run off along a ridge where the
likelihood keeps creeping up: steady monthly buyers drive the BG/NBD's r and alpha to
10^8 (the purchase rates stop varying), a base where nobody stops buying drives a to 0
and b to infinity. The estimates are then meaningless as numbers, their standard errors
are NaN, and the textbook formulas return NaN for every customer's value. ``resolve``
detects it — the optimiser did not converge, a parameter ran off, the likelihood is flat
(no finite standard errors), or the predictions are not finite — and fits the model's
limits (``limits.py``) in its place:

1. when the estimates ran towards an edge kam has a model for (rates collapsing to one
   rate, the dropout to one value or to nothing), that limit is fitted — and resolved in
   turn, as a limit can run to a limit of its own;
2. otherwise (the optimiser failed without running anywhere in particular, or ran to an
   edge kam has no model for: the Pareto/NBD's mixed limits) every limit of the model is
   fitted, the one with the smallest AIC kept, and used only if a likelihood-ratio test
   at the 1% level cannot tell it from the fit that did not converge.
Otherwise nothing is used, and the report says so.

The outcome says in words what happened and why (``Resolution.note``), for the CLI and
the pages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy.stats import chi2

from kam.analytics.clv.limits import LIMITS, SHAPE_EDGE, SMALL, limit_for
from kam.analytics.clv.purchases import label, model_of
from kam.analytics.clv.results import FitResult
from kam.analytics.clv.summary import SufficientStatistics, codes_of, group_pairs

CHECK_HORIZON = 104.0
"""Weeks over which predictions must be finite for a fit to count as usable (two years)."""
LR_LEVEL = 0.99


class FitStatus(StrEnum):
    """How a purchase model's fit ended."""

    CONVERGED = "converged"  # a proper optimum: the model as asked
    LIMIT = "limit"  # ran off to an edge; one of its limits fits as well and is used
    FAILED = "failed"  # no usable estimates: neither the model nor any of its limits


@dataclass(frozen=True)
class Resolution:
    """The fit to use for a purchase model, and what happened, in words.

    ``own`` is the asked model's fit as the optimiser left it; ``fit`` the fit to predict
    with (``own``, or one of its limits), None when nothing is usable.
    """

    asked: str
    own: FitResult
    fit: FitResult | None
    status: FitStatus
    note: str

    @property
    def usable(self) -> bool:
        """Whether there are estimates to predict with."""
        return self.fit is not None


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


@dataclass(frozen=True)
class Edge:
    """Where a fit ran to: its purchase rates collapsed (``one_rate``), its dropout went to
    one value for everyone ("one") or to nothing ("none"), and why, in words."""

    one_rate: bool
    dropout: str | None
    words: tuple[str, ...]


def runaway(fit: FitResult) -> Edge | None:
    """The edge of the parameter space a fit ran to, or None."""
    p = fit.params
    words: list[str] = []
    one_rate = False
    dropout: str | None = None
    if "r" in p and "alpha" in p and p["r"] > SHAPE_EDGE:
        one_rate = True
        words.append(
            f"r and alpha ran off together (r = {_g(p['r'])}, alpha = {_g(p['alpha'])}): the "
            f"customers' purchase rates do not differ, lambda = r/alpha = "
            f"{_g(p['r'] / p['alpha'], 4)} a {_unit(fit)} for everyone"
        )
    if "a" in p and "b" in p:
        a, b = p["a"], p["b"]
        if a < SMALL or a / (a + b) < SMALL:
            dropout = "none"
            words.append(
                f"a ran to {_g(a)} and b to {_g(b)}: the chance of stopping after a purchase "
                "is nil, nobody in the data stops buying"
            )
        elif a + b > SHAPE_EDGE:
            dropout = "one"
            words.append(
                f"a and b ran off together (a = {_g(a)}, b = {_g(b)}): every customer has the "
                f"same chance p = a/(a+b) = {_g(a / (a + b))} of stopping after a purchase"
            )
    if "s" in p and "beta" in p:
        s, beta = p["s"], p["beta"]
        if s < SMALL or s / beta < SMALL:
            dropout = "none"
            words.append(
                f"s ran to {_g(s)} and beta to {_g(beta)}: the dropout rate is nil, nobody in "
                "the data stops buying"
            )
        elif s > SHAPE_EDGE:
            dropout = "one"
            words.append(
                f"s and beta ran off together (s = {_g(s)}, beta = {_g(beta)}): every customer "
                f"has the same dropout rate mu = s/beta = {_g(s / beta)} a {_unit(fit)}"
            )
    if "p" in p and p["p"] < SMALL:
        dropout = "none"
        words.append(f"p ran to {_g(p['p'])}: nobody in the data stops buying")
    if "mu" in p and p["mu"] < SMALL:
        dropout = "none"
        words.append(f"mu ran to {_g(p['mu'])}: nobody in the data stops buying")
    if not words:
        return None
    return Edge(one_rate, dropout, tuple(words))


def _g(value: float, digits: int = 3) -> str:
    """A number in ``digits`` significant digits, exponents plain: 1.2e8, not 1.2e+08."""
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def _unit(fit: FitResult) -> str:
    return (fit.time_unit or "weeks").removesuffix("s")


def problems(fit: FitResult, stats: SufficientStatistics) -> list[str]:
    """Why a fit cannot be used as it stands, in words ([] when it can)."""
    edge = runaway(fit)
    found = list(edge.words) if edge is not None else []
    values = [*fit.params.values(), fit.log_likelihood]
    if not _finite(*values):
        found.append("the estimates are not finite numbers")
        return found
    if not fit.converged and not found:
        found.append(f"the optimiser did not converge ({fit.message.strip() or 'no reason given'})")
    elif fit.converged and not _finite(*fit.std_errors.values()):
        found.append("the likelihood is flat around the estimates (no finite standard errors)")
    if not found and not predictions_finite(fit, stats):
        found.append("its predictions are not finite numbers for every customer")
    return found


def predictions_finite(fit: FitResult, stats: SufficientStatistics) -> bool:
    """Whether P(alive) and expected purchases over two years are finite for every history.

    Expected purchases are P(alive) times the purchases expected while alive, which depend
    on a history through (x, T) only: P(alive) (in [0, 1] when finite) is checked on every
    row, the other factor once per distinct (x, T) pair.
    """
    model = model_of(fit.model)
    codes = codes_of(stats)
    pair_x, pair_T, _ = group_pairs(
        codes.x_index, len(codes.x_values), codes.T_index, len(codes.T_values)
    )
    x = codes.x_values[pair_x].astype(np.float64)
    with np.errstate(all="ignore"):
        alive = model.probability_alive(fit.params, stats.x, stats.t_x, stats.T)
        if_alive = model.expected_if_alive(fit.params, x, codes.T_values[pair_T], CHECK_HORIZON)
    return bool(np.all(np.isfinite(alive)) and np.all(np.isfinite(if_alive)))


def _start(limit: str, fit: FitResult) -> tuple[float, ...] | None:
    """A start for ``limit`` from the estimates that ran off (None: the limit's default)."""
    p = fit.params
    guess: dict[str, float] = {}
    if "r" in p and "alpha" in p:
        guess["lambda"] = p["r"] / p["alpha"]
        if p["r"] <= SHAPE_EDGE:
            guess |= {"r": p["r"], "alpha": p["alpha"]}
    if "lambda" in p:
        guess["lambda"] = p["lambda"]
    if "a" in p and "b" in p:
        guess["p"] = min(max(p["a"] / (p["a"] + p["b"]), 1e-6), 0.5)
        if p["a"] + p["b"] <= SHAPE_EDGE and p["a"] >= SMALL:
            guess |= {"a": p["a"], "b": p["b"]}
    if "p" in p:
        guess["p"] = min(max(p["p"], 1e-6), 0.5)
    if "s" in p and "beta" in p:
        guess["mu"] = max(p["s"] / p["beta"], 1e-6)
    names = model_of(limit).PARAMETERS
    values = [guess.get(name) for name in names]
    if any(v is None or not math.isfinite(v) or v <= 0 for v in values):
        return None
    return tuple(float(v) for v in values if v is not None)


def _fit_limit(limit: str, stats: SufficientStatistics, own: FitResult) -> FitResult | None:
    """The limit fitted to convergence with finite predictions, or None."""
    model = model_of(limit)
    try:
        fitted = model.fit(stats, start=_start(limit, own))
    except (ValueError, FloatingPointError, np.linalg.LinAlgError):
        return None
    return fitted if not problems(fitted, stats) else None


def resolve(own: FitResult, stats: SufficientStatistics) -> Resolution:
    """The fit to predict with for the model ``own`` came from (see the module docstring)."""
    troubles = problems(own, stats)
    if not troubles:
        return Resolution(own.model, own, own, FitStatus.CONVERGED, "")
    what = "; ".join(troubles)
    name = label(own.model)
    edge = runaway(own)
    target = limit_for(own.model, one_rate=edge.one_rate, dropout=edge.dropout) if edge else None
    if target is not None:
        return _at_the_edge(own, stats, target, what)
    return _nearest_limit(own, stats, what, name)


def _at_the_edge(own: FitResult, stats: SufficientStatistics, target: str, what: str) -> Resolution:
    """The model the estimates ran towards, fitted (and resolved in turn: a limit can run to
    a limit of its own, e.g. one dropout probability going to none).

    The log-likelihood of the fit that ran off is no yardstick here: computed with shapes
    of 10^10 it is off by tens of units, so the limit — the supremum along that edge — is
    used without a likelihood-ratio test.
    """
    name = label(own.model)
    try:
        first = model_of(target).fit(stats, start=_start(target, own))
    except (ValueError, FloatingPointError, np.linalg.LinAlgError) as error:
        return Resolution(
            own.model, own, None, FitStatus.FAILED,
            f"The {name} did not converge: {what}. Its limit, the {label(target)}, could "
            f"not be fitted either ({error}), so it is not used.",
        )  # fmt: skip
    inner = resolve(first, stats)
    if inner.fit is None:
        return Resolution(
            own.model, own, None, FitStatus.FAILED,
            f"The {name} did not converge: {what}. {inner.note} So it is not used.",
        )  # fmt: skip
    used = inner.fit
    further = f" {inner.note}" if inner.note else ""
    return Resolution(
        own.model,
        own,
        used,
        FitStatus.LIMIT,
        f"The {name} ran to the edge of its parameter space: {what}. kam uses its limit, "
        f"the {label(target)}.{further} Estimates: {describe(used)}; log-likelihood "
        f"{used.log_likelihood:,.1f}.",
    )


def _nearest_limit(own: FitResult, stats: SufficientStatistics, what: str, name: str) -> Resolution:
    """No limit matches where the fit went (or it went nowhere in particular): the limit
    kam fits that describes the data best, if a likelihood-ratio test cannot tell it from
    the fit that did not converge."""
    candidates = [
        fitted
        for limit in LIMITS.get(own.model, ())
        if (fitted := _fit_limit(limit, stats, own)) is not None
    ]
    if not candidates:
        return Resolution(
            own.model,
            own,
            None,
            FitStatus.FAILED,
            f"The {name} did not converge: {what}.{_no_model(own)} None of the limits kam "
            "fits describes these data, so it is not used.",
        )
    best = min(candidates, key=lambda fitted: fitted.aic)
    dropped = max(own.n_parameters - best.n_parameters, 1)
    gap = 2.0 * (own.log_likelihood - best.log_likelihood)
    critical = float(chi2.ppf(LR_LEVEL, dropped))
    compared = (
        f"log-likelihood {best.log_likelihood:,.1f} against {own.log_likelihood:,.1f}"
        if _finite(own.log_likelihood)
        else f"log-likelihood {best.log_likelihood:,.1f}"
    )
    if _finite(own.log_likelihood) and gap > critical:
        return Resolution(
            own.model,
            own,
            None,
            FitStatus.FAILED,
            f"The {name} did not converge: {what}.{_no_model(own)} The best of the limits "
            f"kam fits, the {label(best.model)}, describes the data clearly worse "
            f"({compared}), so neither is used.",
        )
    return Resolution(
        own.model,
        own,
        best,
        FitStatus.LIMIT,
        f"The {name} did not converge: {what}. kam uses its limit, the "
        f"{label(best.model)} ({describe(best)}), which fits as well ({compared}).",
    )


def _no_model(own: FitResult) -> str:
    """ " kam has no model of that edge." when the fit ran to an edge without a limit here."""
    return " kam has no model of that edge of it." if runaway(own) is not None else ""


def describe(fit: FitResult) -> str:
    """The estimates with their standard errors, in one line: "lambda = 0.2231 ± 0.0003"."""
    parts = []
    for name, value in fit.params.items():
        error = fit.std_errors.get(name, math.nan)
        shown = f"{name} = {_g(value, 4)}"
        if math.isfinite(error):
            shown += f" ± {_g(error, 2)}"
        parts.append(shown)
    return ", ".join(parts)
