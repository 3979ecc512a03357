"""Measuring what key account management earns, rather than assuming it (seed 003: "Decide
how you'll measure KAM performance"). Two estimators of the growth a key account gains from
being one, each with a 95% interval and a plain "too thin to tell":

- ``matched_difference``: each key account against the non-key account most like it before
  the selection — same segment, nearest in revenue and in revenue trend — and the mean
  difference of their growth after it.
- ``regression_discontinuity``: around a cycle's selection cut, accounts scored just above
  against those just below; a local linear fit on each side, weighted by a triangular
  kernel within a bandwidth, and the jump between the two at the cut.

Both take plain arrays (a few thousand accounts at most) and return frozen dataclasses.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy import stats

MIN_PAIRS = 10
"""Fewer matched pairs than this, and the matched comparison says it cannot tell."""
MIN_SIDE = 10
"""Fewer accounts than this on either side of the cut within the bandwidth, and the
discontinuity says it cannot tell."""
CALIPER = 0.5
"""The farthest a match may be, in standard deviations of log revenue and of trend (each)."""
Z_95 = 1.959963984540054


class Verdict(StrEnum):
    """What an estimate says about the effect."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    NONE = "none"
    """The interval holds zero: no effect that the data can tell from chance."""
    TOO_THIN = "too_thin"


@dataclass(frozen=True)
class Estimate:
    """An effect on growth (a fraction: 0.05 is five percentage points) with its 95%
    interval; ``n`` the pairs or accounts it rests on; ``why`` says what made it too thin."""

    method: str
    effect: float | None
    low: float | None
    high: float | None
    n: int
    bandwidth: float | None = None
    n_below: int = 0
    n_above: int = 0
    why: str = ""

    @property
    def verdict(self) -> Verdict:
        """Positive or negative when the interval excludes zero, none when it holds it."""
        if self.effect is None or self.low is None or self.high is None:
            return Verdict.TOO_THIN
        if self.low > 0:
            return Verdict.POSITIVE
        if self.high < 0:
            return Verdict.NEGATIVE
        return Verdict.NONE


def _thin(method: str, n: int, why: str, **extra: float | int | None) -> Estimate:
    return Estimate(method, None, None, None, n, why=why, **extra)  # type: ignore[arg-type]


def _finite(values: Sequence[float]) -> np.ndarray:
    return np.asarray(values, dtype=float)


def matched_difference(
    key: Sequence[bool],
    segment: Sequence[str | None],
    covariates: Sequence[Sequence[float]],
    growth: Sequence[float],
    caliper: float = CALIPER,
) -> Estimate:
    """The mean growth difference of key accounts over their nearest non-key match.

    ``key``, ``segment`` and ``growth`` have one entry per account: whether it is key, its
    segment, and its growth after the selection (a fraction); ``covariates`` holds one
    sequence per measure taken before the selection (log revenue, trend, …), each with one
    entry per account. A key account is matched, with replacement, to the non-key account
    of the same segment nearest in the standardised covariates; one farther than
    ``caliper`` standard deviations on any of them goes unmatched. The interval is
    Student's t over the pairs' differences. A non-finite figure leaves its account out.
    """
    is_key = np.asarray(key, dtype=bool)
    after = _finite(growth)
    measures = np.vstack([_finite(column) for column in covariates]).T
    usable = np.isfinite(after) & np.isfinite(measures).all(axis=1)
    groups = np.asarray([s or "" for s in segment], dtype=object)
    spread = measures[usable].std(axis=0) if usable.any() else np.zeros(measures.shape[1])
    if not usable.any() or (spread == 0).any():
        return _thin("matched", 0, "the accounts do not differ in what they are matched on")
    scaled = measures / spread
    differences = []
    for i in np.flatnonzero(is_key & usable):
        pool = np.flatnonzero(~is_key & usable & (groups == groups[i]))
        if pool.size == 0:
            continue
        gaps = np.abs(scaled[pool] - scaled[i])
        near = (gaps <= caliper).all(axis=1)
        if not near.any():
            continue
        distance = np.sqrt((gaps[near] ** 2).sum(axis=1))
        best = pool[near][np.argmin(distance)]
        differences.append(after[i] - after[best])
    n = len(differences)
    if n < MIN_PAIRS:
        return _thin(
            "matched",
            n,
            f"{n} key account{'s' if n != 1 else ''} found a comparable non-key account; "
            f"at least {MIN_PAIRS} are needed",
        )
    values = np.asarray(differences)
    mean = float(values.mean())
    half = float(stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return Estimate("matched", mean, mean - half, mean + half, n)


def silverman_bandwidth(running: Sequence[float]) -> float:
    """A bandwidth of 1.06 · σ · n^(−1/5) around the cut (Silverman's rule of thumb)."""
    values = _finite(running)
    values = values[np.isfinite(values)]
    if values.size < 2:
        return math.nan
    return float(1.06 * np.std(values, ddof=1) * values.size ** (-1 / 5))


def _side(x: np.ndarray, y: np.ndarray, h: float) -> tuple[float, float]:
    """Intercept at the cut of a triangular-weighted linear fit, and its robust variance."""
    weights = np.clip(1 - np.abs(x) / h, 0, None)
    design = np.column_stack([np.ones_like(x), x])
    weighted = design * weights[:, None]
    bread = np.linalg.inv(design.T @ weighted)
    beta = bread @ (weighted.T @ y)
    residual = y - design @ beta
    n = x.size
    meat = (weighted * residual[:, None]).T @ (weighted * residual[:, None]) * n / max(n - 2, 1)
    covariance = bread @ meat @ bread
    return float(beta[0]), float(covariance[0, 0])


def regression_discontinuity(
    running: Sequence[float], growth: Sequence[float], bandwidth: float | None = None
) -> Estimate:
    """The jump in growth at the selection cut.

    ``running`` is each account's score less the cut (key accounts at or above zero),
    ``growth`` its growth after the selection. Within ``bandwidth`` of the cut (Silverman's
    rule when not given), a line is fitted on each side, weighted by a triangular kernel;
    the effect is the difference of the two lines at the cut, its interval from
    heteroskedasticity-robust (HC1) variances of both.
    """
    x, y = _finite(running), _finite(growth)
    usable = np.isfinite(x) & np.isfinite(y)
    x, y = x[usable], y[usable]
    h = bandwidth if bandwidth is not None else silverman_bandwidth(x)
    if not math.isfinite(h) or h <= 0:
        return _thin("discontinuity", int(x.size), "too few scored accounts to choose a bandwidth")
    inside = np.abs(x) < h
    below, above = inside & (x < 0), inside & (x >= 0)
    n_below, n_above = int(below.sum()), int(above.sum())
    if n_below < MIN_SIDE or n_above < MIN_SIDE:
        return _thin(
            "discontinuity",
            n_below + n_above,
            f"{n_above} account(s) just above the cut and {n_below} just below it; at least "
            f"{MIN_SIDE} are needed on each side",
            bandwidth=h,
            n_below=n_below,
            n_above=n_above,
        )
    left, left_var = _side(x[below], y[below], h)
    right, right_var = _side(x[above], y[above], h)
    effect = right - left
    half = Z_95 * math.sqrt(left_var + right_var)
    if not (math.isfinite(effect) and math.isfinite(half)):
        return _thin("discontinuity", n_below + n_above, "the fit did not converge", bandwidth=h)
    return Estimate(
        "discontinuity",
        effect,
        effect - half,
        effect + half,
        n_below + n_above,
        bandwidth=h,
        n_below=n_below,
        n_above=n_above,
    )
