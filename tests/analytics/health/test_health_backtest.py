"""The backtest: its measures on hand-built cases, no leakage, and the weight fit."""

import datetime as dt
import math

import ibis
import numpy as np
import pyarrow as pa
import pytest

from kam.analytics.health.backtest import paired_bootstrap, roc_auc, run_backtest, worst_decile
from kam.analytics.health.fit import fit_weights
from kam.analytics.health.policy import COMPONENT_KEYS, DEFAULT_POLICY, HealthPolicy


@pytest.mark.parametrize(
    ("risk", "bad", "auc"),
    [
        ([1, 2, 3, 4], [False, True, False, True], 0.75),
        ([1, 2, 3, 4], [False, False, True, True], 1.0),
        ([4, 3, 2, 1], [False, False, True, True], 0.0),
        ([1, 1, 1, 1], [False, True, False, True], 0.5),  # ties count half
        ([1, 2, 2, 3], [False, True, False, True], 0.875),
    ],
)
def test_roc_auc_on_hand_built_cases(risk, bad, auc):
    assert roc_auc(np.array(risk, float), np.array(bad)) == pytest.approx(auc)


def test_roc_auc_is_missing_with_one_outcome():
    assert np.isnan(roc_auc(np.array([1.0, 2.0]), np.array([True, True])))


def test_worst_decile_precision_and_lift():
    risk = np.arange(20, dtype=float)  # the two riskiest are 19 and 18
    bad = np.zeros(20, dtype=bool)
    bad[[19, 3, 4, 5]] = True
    precision, lift = worst_decile(risk, bad)
    assert precision == 0.5
    assert lift == pytest.approx(0.5 / 0.2)


def test_paired_bootstrap_interval_holds_a_clear_lead_and_straddles_a_tie():
    draw = np.random.default_rng(7)
    bad = draw.random(2_000) < 0.3
    signal = bad + draw.normal(0, 1, 2_000)
    noise = draw.normal(0, 1, 2_000)
    difference, low, high = paired_bootstrap(signal, noise, bad)
    assert difference == pytest.approx(roc_auc(signal, bad) - roc_auc(noise, bad))
    assert 0 < low < difference < high  # a real lead: the interval stays above 0
    same, low_, high_ = paired_bootstrap(signal, signal.copy(), bad)
    assert (same, low_, high_) == (0, 0, 0)  # the same ranking: no difference at all
    _, low_tie, high_tie = paired_bootstrap(noise, draw.normal(0, 1, 2_000), bad)
    assert low_tie < 0 < high_tie  # two coins: the interval straddles 0
    assert paired_bootstrap(signal, noise, bad) == (difference, low, high)  # a fixed seed


def test_paired_bootstrap_is_missing_with_one_outcome():
    difference, low, high = paired_bootstrap(np.arange(3.0), np.arange(3.0), np.ones(3, bool))
    assert all(math.isnan(v) for v in (difference, low, high))


def purchase_days(rows):
    """An in-memory store holding only the purchase days the health signals read."""
    con = ibis.duckdb.connect()
    table = pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "date": pa.array([dt.date.fromisoformat(r[1]) for r in rows], pa.date32()),
            "revenue": [float(r[2]) for r in rows],
            "lines": [1] * len(rows),
        }
    )
    con.con.register("staged", table)
    con.con.execute("CREATE TABLE customer_day AS SELECT * FROM staged")
    return con


def history():
    """Steady monthly buyers A–D through 2024; A and B keep buying in 2025, C and D stop."""
    rows = []
    for customer in "ABCD":
        for month in range(1, 13):
            rows.append((customer, f"2024-{month:02d}-10", 100))
    for customer in "AB":
        for month in range(1, 7):
            rows.append((customer, f"2025-{month:02d}-10", 100))
    # C slowed down before the as-of date: its last order was in October.
    rows = [r for r in rows if not (r[0] == "C" and r[1] in ("2024-11-10", "2024-12-10"))]
    return rows


def test_backtest_outcomes_and_auc_on_a_known_case():
    result = run_backtest(purchase_days(history()), dt.date(2024, 12, 31), 6, DEFAULT_POLICY)
    assert result.accounts == 4
    assert result.defected == 2  # C and D bought nothing in 2025
    # C is ranked worst by recency (silent since October); D looks as healthy as A and B.
    assert result.metrics("recency").auc == pytest.approx(0.75)
    assert result.as_dict()["auc"].keys() == {"health", "revenue_trend", "recency"}
    paired = result.as_dict()["paired_bootstrap"]["health_minus_recency"]
    assert paired["difference"] == pytest.approx(
        result.metrics("health").auc - result.metrics("recency").auc
    )
    assert paired["resamples"] == 200


def test_backtest_never_reads_after_its_as_of_date():
    as_of = dt.date(2024, 12, 31)
    before = run_backtest(purchase_days(history()), as_of, 6, DEFAULT_POLICY)
    # A planted future line (a huge order from C in March 2025, and a new customer) must
    # change the outcomes only, never the scores.
    planted = [*history(), ("E", "2025-03-01", 10_000)]
    after = run_backtest(purchase_days(planted), as_of, 6, DEFAULT_POLICY)
    assert after.accounts == before.accounts
    assert after.bands == before.bands
    assert after.metrics("health") == before.metrics("health")
    rescued = [*history(), ("C", "2025-03-01", 10_000)]
    changed = run_backtest(purchase_days(rescued), as_of, 6, DEFAULT_POLICY)
    assert changed.defected == 1
    assert [b.accounts for b in changed.bands] == [b.accounts for b in before.bands]


def test_fit_recovers_known_weights_on_simulated_data():
    rng = np.random.default_rng(7)
    n = 6000
    points = np.full((n, len(COMPONENT_KEYS)), np.nan)
    trend, alive, rhythm = (
        COMPONENT_KEYS.index(k) for k in ("revenue_trend", "p_alive", "order_rhythm")
    )
    for column in (trend, alive, rhythm):
        points[:, column] = rng.uniform(0, 100, n)
    points[rng.random(n) < 0.2, rhythm] = np.nan  # missing for some accounts
    true = {trend: 0.0, alive: 4.0, rhythm: 2.0}
    z = -3.0 + sum(b * (100 - np.nan_to_num(points[:, j], nan=50)) / 100 for j, b in true.items())
    bad = rng.random(n) < 1 / (1 + np.exp(-z))
    policy = HealthPolicy({"revenue_trend": 1, "p_alive": 1, "order_rhythm": 1})
    fit = fit_weights(points, bad, policy, penalty=1.0)
    assert fit.objective == "likelihood"
    assert set(fit.learned) == {"revenue_trend", "p_alive", "order_rhythm"}
    weights = fit.weights
    assert weights["revenue_trend"] < 0.1 * weights["p_alive"]
    assert weights["p_alive"] / weights["order_rhythm"] == pytest.approx(2.0, rel=0.25)
    assert sum(weights[k] for k in fit.learned) == pytest.approx(3.0, abs=0.05)
    assert math.isfinite(fit.intercept)

    # The ranking fit (pairwise, an AUC surrogate) finds the same direction: under a
    # logistic model the ranking that fits best is the linear score's own.
    ranked = fit_weights(points, bad, policy, penalty=1.0, objective="ranking")
    assert ranked.objective == "ranking"
    assert not math.isfinite(ranked.intercept)  # a ranking has no intercept: missing
    weights = ranked.weights
    assert weights["revenue_trend"] < 0.1 * weights["p_alive"]
    assert weights["p_alive"] / weights["order_rhythm"] == pytest.approx(2.0, rel=0.25)
    again = fit_weights(points, bad, policy, objective="ranking")
    assert again.weights == weights  # the same pairs every time
    with pytest.raises(ValueError, match="unknown objective"):
        fit_weights(points, bad, policy, objective="accuracy")
