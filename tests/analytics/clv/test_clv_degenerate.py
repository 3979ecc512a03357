"""Fits that run to the edge of their parameter space: detected, replaced by a limit, reported.

Steady monthly buyers (the common B2B case) drive the BG/NBD's r and alpha to 10^8 and
made every predicted value NaN; a Pareto/NBD that did not converge was chosen because its
holdout error was compared with a NaN. These tests hold the line: a limit model fitted in
place of the model that ran off, finite predictions for every customer, and a choice that
only ever picks a usable model, each outcome said in words.
"""

import datetime as dt
import math
from dataclasses import replace

import ibis
import numpy as np
import pyarrow as pa
import pytest

from kam.analytics.clv import bgnbd, pareto_nbd
from kam.analytics.clv.degenerate import FitStatus, resolve
from kam.analytics.clv.future_value import (
    PREDICTION_COLUMNS,
    FutureValueSettings,
    FutureValueUnavailable,
    ModelReport,
    _choose,
    calibration_end_for,
    fit_future_value,
)
from kam.analytics.clv.limits import (
    BGNBD_ONE_P,
    BGNBD_ONE_RATE,
    BGNBD_ONE_RATE_ONE_P,
    NBD,
    PARETO_ONE_RATE_ONE_MU,
    POISSON,
    _rows,
)
from kam.analytics.clv.simulate_lines import simulate_transaction_lines
from kam.analytics.clv.summary import collapse_arrays, purchase_summaries
from kam.analytics.demo import generate_demo_company, generate_steady_company

BOTH = FutureValueSettings(models=("bgnbd", "pareto_nbd"))


def summaries_of(lines: pa.Table, as_of: dt.date, settings: FutureValueSettings) -> pa.Table:
    con = ibis.duckdb.connect()
    wanted = [
        c for c in ("customer_id", "date", "revenue", "document_type") if c in lines.schema.names
    ]
    table = lines.select(wanted)
    if "document_type" not in wanted:
        table = table.append_column("document_type", pa.array(["invoice"] * table.num_rows))
    con.con.register("transactions", table)
    cal = calibration_end_for(as_of, settings)
    return con.to_pyarrow(purchase_summaries(con.table("transactions"), as_of, cal))


@pytest.fixture(scope="module")
def steady():
    company = generate_steady_company(seed=7, customers=1000)
    summaries = summaries_of(company.transactions, company.end, BOTH)
    cal = calibration_end_for(company.end, BOTH)
    return fit_future_value(summaries, company.end, BOTH, cal)


def test_steady_buyers_get_a_finite_value_for_every_customer(steady):
    clv = steady.predictions.column("clv")
    assert clv.null_count == 0
    values = clv.to_numpy()
    assert np.all(np.isfinite(values))
    assert np.all(values > 0)
    for name in PREDICTION_COLUMNS[7:]:
        column = steady.predictions.column(name).to_numpy(zero_copy_only=False)
        assert np.all(np.isfinite(column.astype(np.float64))), name
    assert steady.missing == 0


def test_the_bgnbd_on_steady_buyers_is_replaced_by_its_limit_and_says_why(steady):
    report = steady.report("bgnbd")
    assert report.status is FitStatus.LIMIT
    assert report.resolution.own.params["r"] > 1e5  # the optimiser ran off, as it does
    assert report.fit.model == BGNBD_ONE_RATE_ONE_P.MODEL
    assert report.fit.converged
    assert all(math.isfinite(v) for v in report.fit.std_errors.values())
    # Monthly buyers: about 12 purchases a year, i.e. 0.23 a week.
    assert report.fit.params["lambda"] == pytest.approx(12 / 52.18, rel=0.06)
    assert "r and alpha ran off together" in report.note
    assert "one purchase rate" in report.note
    assert report.holdout is not None
    assert math.isfinite(report.holdout.mae)
    assert "nan" not in steady.reason.lower()
    assert "one purchase rate" in steady.label


def test_a_pareto_nbd_that_did_not_converge_is_never_chosen():
    company = generate_demo_company(seed=7, customers=500)
    summaries = summaries_of(company.transactions, company.end, BOTH)
    result = fit_future_value(summaries, company.end, BOTH, calibration_end_for(company.end, BOTH))
    pareto = result.report("pareto_nbd")
    assert pareto.status is FitStatus.FAILED
    assert not pareto.usable
    assert "did not converge" in pareto.note
    assert "s and beta ran off together" in pareto.note
    assert result.chosen == "bgnbd"
    assert result.report("bgnbd").status is FitStatus.CONVERGED
    assert "not used" in result.reason
    assert "Pareto/NBD" in result.reason
    assert result.label == "BG/NBD + Gamma-Gamma"


def test_model_choice_ignores_a_non_finite_holdout_error(cdnow_summary, cdnow_bgnbd, cdnow_pareto):
    from kam.analytics.clv.holdout import evaluate_holdout

    def report(fit):
        stats = collapse_arrays(
            *(cdnow_summary.column(c).to_numpy() for c in ("frequency", "recency", "age"))
        )
        holdout = evaluate_holdout(fit, cdnow_summary, 39.0)
        return ModelReport(fit.model, resolve(fit, stats), None, holdout)

    good, bad = report(cdnow_bgnbd), report(cdnow_pareto)
    assert good.usable
    assert bad.usable
    broken = replace(bad, holdout=replace(bad.holdout, mae=math.nan), problem="no finite error")
    assert _choose([broken, good])[0] == "bgnbd"
    assert _choose([good, broken])[0] == "bgnbd"
    with pytest.raises(FutureValueUnavailable, match="no purchase model can be used"):
        _choose([broken])


def test_two_models_at_the_same_limit_choose_the_same_whatever_the_rounding(
    cdnow_summary, cdnow_bgnbd, cdnow_pareto
):
    # TPC-H SF10: both models ran to the NBD limit, and their holdout errors differed in the
    # 16th digit (0.853985937992608 against 0.8539859379926078), one way on DuckDB and the
    # other on Spark, so the two engines chose different models for the same data.
    from kam.analytics.clv.holdout import evaluate_holdout

    def report(fit, mae):
        stats = collapse_arrays(
            *(cdnow_summary.column(c).to_numpy() for c in ("frequency", "recency", "age"))
        )
        holdout = replace(evaluate_holdout(fit, cdnow_summary, 39.0), mae=mae)
        return ModelReport(fit.model, resolve(fit, stats), None, holdout)

    error = 0.853985937992608
    for bg_mae, pareto_mae in ((error, np.nextafter(error, 0)), (np.nextafter(error, 0), error)):
        bg, pareto = report(cdnow_bgnbd, bg_mae), report(cdnow_pareto, pareto_mae)
        for reports in ([bg, pareto], [pareto, bg]):
            chosen, reason = _choose(reports)
            assert chosen == "bgnbd"
            assert "a tie" in reason
            assert "BG/NBD, first in kam's order" in reason
    # Errors apart by more than rounding still choose the smaller.
    bg, pareto = report(cdnow_bgnbd, error), report(cdnow_pareto, error * (1 - 1e-6))
    for reports in ([bg, pareto], [pareto, bg]):
        chosen, reason = _choose(reports)
        assert chosen == "pareto_nbd"
        assert "tie" not in reason


def test_nobody_stops_buying_gives_the_nbd_limit():
    # BG/NBD customers whose dropout probability is nil: TPC-H's shape.
    lines = simulate_transaction_lines(
        2000,
        {"r": 2.0, "alpha": 8.0, "a": 1e-9, "b": 1e9},
        {"p": 6.0, "q": 4.0, "gamma": 15.0},
        start=dt.date(2022, 1, 1),
        end=dt.date(2023, 12, 31),
        seed=11,
    )
    as_of = dt.date(2023, 12, 31)
    settings = FutureValueSettings()
    result = fit_future_value(
        summaries_of(lines, as_of, settings), as_of, settings, calibration_end_for(as_of, settings)
    )
    report = result.report("bgnbd")
    assert report.status is FitStatus.LIMIT
    assert report.fit.model == NBD.MODEL
    assert "nobody in the data stops buying" in report.note
    assert report.fit.params["r"] == pytest.approx(2.0, rel=0.15)
    p_alive = result.predictions.column("p_alive").to_numpy()
    assert np.all(p_alive == 1.0)
    assert result.predictions.column("clv").null_count == 0


def test_a_value_that_is_not_a_number_is_missing_and_said_so():
    # Spend with q < 1: the population's mean spend is infinite, so a customer with no
    # repeat purchase has no finite expected spend. Their value is missing, never inf.
    lines = simulate_transaction_lines(
        3000,
        {"r": 0.8, "alpha": 6.0, "a": 0.8, "b": 4.0},
        {"p": 2.0, "q": 0.6, "gamma": 15.0},
        start=dt.date(2022, 1, 1),
        end=dt.date(2023, 12, 31),
        seed=5,
    )
    as_of = dt.date(2023, 12, 31)
    settings = FutureValueSettings(holdout_weeks=0)
    result = fit_future_value(summaries_of(lines, as_of, settings), as_of, settings)
    assert result.spend.params["q"] < 1.0
    clv = result.predictions.column("clv")
    one_time = pa.compute.equal(result.predictions.column("frequency"), 0)
    assert clv.null_count == pa.compute.sum(one_time).as_py() == result.missing > 0
    present = clv.drop_null().to_numpy()
    assert np.all(np.isfinite(present))
    assert any("no finite predicted value" in note for note in result.notes)
    assert any("infinite" in note for note in result.notes)


# ---- the limit models themselves ------------------------------------------------------------

X = np.array([0, 1, 3, 8, 20, 0, 5])
TX = np.array([0.0, 4.0, 20.0, 30.0, 50.0, 0.0, 10.0])
T = np.array([10.0, 30.0, 40.0, 52.0, 52.0, 3.0, 60.0])
STATS = collapse_arrays(X, TX, T, time_unit="weeks")
HORIZON = np.full(len(X), 26.0)
BIG = 1e7

# (limit, its parameters, the full model and the parameters at which it approaches them)
APPROACHES = [
    (BGNBD_ONE_RATE, {"lambda": 0.3, "a": 0.8, "b": 2.5}, bgnbd,
     {"r": BIG, "alpha": BIG / 0.3, "a": 0.8, "b": 2.5}),
    (BGNBD_ONE_P, {"r": 1.5, "alpha": 5.0, "p": 0.05}, bgnbd,
     {"r": 1.5, "alpha": 5.0, "a": 0.05 * BIG, "b": 0.95 * BIG}),
    (BGNBD_ONE_RATE_ONE_P, {"lambda": 0.3, "p": 0.05}, bgnbd,
     {"r": BIG, "alpha": BIG / 0.3, "a": 0.05 * BIG, "b": 0.95 * BIG}),
    (NBD, {"r": 1.5, "alpha": 5.0}, bgnbd, {"r": 1.5, "alpha": 5.0, "a": 1e-15, "b": 2.0}),
    (POISSON, {"lambda": 0.3}, bgnbd, {"r": BIG, "alpha": BIG / 0.3, "a": 1e-15, "b": 2.0}),
    (PARETO_ONE_RATE_ONE_MU, {"lambda": 0.3, "mu": 0.02}, pareto_nbd,
     {"r": BIG, "alpha": BIG / 0.3, "s": 1e6, "beta": 1e6 / 0.02}),
    (NBD, {"r": 1.5, "alpha": 5.0}, pareto_nbd, {"r": 1.5, "alpha": 5.0, "s": 1e-15, "beta": 1.0}),
]  # fmt: skip


@pytest.mark.parametrize(("limit", "params", "full", "near"), APPROACHES)
def test_each_limit_is_what_its_model_approaches(limit, params, full, near):
    ll_limit = limit.log_likelihood(params, STATS)
    ll_full = full.log_likelihood(near, STATS)
    assert ll_limit == pytest.approx(ll_full, rel=1e-6)
    np.testing.assert_allclose(
        limit.probability_alive(params, X, TX, T),
        full.probability_alive(near, X, TX, T),
        rtol=1e-5,
        atol=1e-12,
    )
    tolerance = 1e-5
    if limit is BGNBD_ONE_RATE:
        # Beyond a shape of 10^4 the BG/NBD's hypergeometric form returns NaN (the very
        # failure the limits are for); at 10^4 the two differ by about 10^-3.
        near = {**near, "r": 1e4, "alpha": 1e4 / 0.3}
        tolerance = 2e-3
    np.testing.assert_allclose(
        limit.expected_if_alive(params, X, T, HORIZON),
        full.expected_if_alive(near, X, T, HORIZON),
        rtol=tolerance,
    )


@pytest.mark.parametrize(
    ("limit", "params"), [(limit, params) for limit, params, _, _ in APPROACHES[:6]]
)
def test_limit_gradients_match_finite_differences(limit, params):
    theta = limit._theta(params)
    analytic = limit.gradient(params, STATS)
    rows = _rows(STATS)[0]
    for i in range(len(theta)):
        step = 1e-6 * theta[i]
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        numeric = (limit._loglik(rows, up)[0] - limit._loglik(rows, down)[0]) / (2 * step)
        assert analytic[i] == pytest.approx(numeric, rel=1e-5, abs=1e-6), limit._internal[i]


@pytest.mark.parametrize(
    ("limit", "params"), [(limit, params) for limit, params, _, _ in APPROACHES[:6]]
)
def test_simulated_purchases_average_to_the_expectation(limit, params):
    rng = np.random.default_rng(3)
    x, ages = np.array([0.0, 4.0, 12.0]), np.array([20.0, 40.0, 52.0])
    alive = np.ones((3, 40_000), dtype=bool)
    month = 365.25 / 12 / 7
    counts = limit.simulate_purchases(params, x, ages, alive, 6, month, rng)
    simulated = np.sum(counts, axis=0).mean(axis=1)
    expected = limit.expected_if_alive(params, x, ages, np.full(3, 6 * month))
    np.testing.assert_allclose(simulated, expected, rtol=0.03)


def test_a_limit_fit_recovers_what_it_was_simulated_with():
    # One rate, one dropout probability: a replenishment base with some churn.
    rng = np.random.default_rng(8)
    n, lam, p = 20_000, 0.25, 0.02
    ages = rng.uniform(52, 104, n)
    potential = rng.poisson(lam * ages)
    drop_after = rng.geometric(p, n)
    x = np.minimum(potential, drop_after)
    t_x = np.where(x > 0, ages * rng.beta(np.maximum(x, 1), potential - x + 1), 0.0)
    fitted = BGNBD_ONE_RATE_ONE_P.fit(collapse_arrays(x, t_x, ages, time_unit="weeks"))
    assert fitted.converged
    for name, truth in (("lambda", lam), ("p", p)):
        assert abs(fitted.params[name] - truth) < 4 * fitted.std_errors[name], name


def test_a_fit_that_ran_far_off_is_not_the_yardstick_of_its_limit():
    # On this company the BG/NBD runs to a, b ~ 1e10, 1e13, where its log-likelihood is
    # off by tens of units (rounding in log-gamma of 1e13): the limit must still be used.
    company = generate_steady_company(seed=8, customers=1000)
    summaries = summaries_of(company.transactions, company.end, FutureValueSettings())
    stats = collapse_arrays(
        *(summaries.column(c).to_numpy() for c in ("frequency", "recency", "age")),
        time_unit="weeks",
    )
    own = bgnbd.fit(stats)
    resolution = resolve(own, stats)
    assert resolution.status is FitStatus.LIMIT
    assert resolution.fit is not None
    assert resolution.fit.model == BGNBD_ONE_RATE_ONE_P.MODEL
    assert resolution.fit.converged


@pytest.mark.parametrize(
    ("model", "one_rate", "dropout", "limit"),
    [
        ("bgnbd", True, None, BGNBD_ONE_RATE.MODEL),
        ("bgnbd", False, "one", BGNBD_ONE_P.MODEL),
        ("bgnbd", True, "one", BGNBD_ONE_RATE_ONE_P.MODEL),
        ("bgnbd", False, "none", NBD.MODEL),
        ("bgnbd", True, "none", POISSON.MODEL),
        (BGNBD_ONE_RATE_ONE_P.MODEL, False, "none", POISSON.MODEL),
        ("pareto_nbd", True, "one", PARETO_ONE_RATE_ONE_MU.MODEL),
        ("pareto_nbd", False, "none", NBD.MODEL),
        ("pareto_nbd", True, None, None),  # one rate, gamma dropout rates: no model here
        ("pareto_nbd", False, "one", None),
        ("bgnbd", False, None, None),
    ],
)
def test_each_edge_leads_to_its_limit(model, one_rate, dropout, limit):
    from kam.analytics.clv.limits import limit_for

    assert limit_for(model, one_rate=one_rate, dropout=dropout) == limit


@pytest.mark.parametrize("customers", [20_000, 100_000])
def test_spend_rates_that_do_not_differ_give_the_one_rate_limit(
    customers, cdnow_summary, cdnow_bgnbd
):
    # TPC-H's shape: order values drawn alike for every customer, so the Gamma-Gamma's q and
    # gamma run off together, or the likelihood cannot tell q from infinity.
    from kam.analytics.clv import gamma_gamma
    from kam.analytics.clv.forecast import forecast
    from kam.analytics.clv.simulate import simulate_mean_spend

    x = np.random.default_rng(1).integers(1, 30, customers)
    m = simulate_mean_spend({"p": 3.0, "q": 1e12, "gamma": 1e12 / 0.02}, x, seed=2)
    spend = gamma_gamma.fit_arrays(x, m, time_unit="weeks")
    assert spend.model == gamma_gamma.ONE_RATE_MODEL
    assert spend.converged
    for name, truth in (("p", 3.0), ("nu", 0.02)):
        assert abs(spend.params[name] - truth) < 4 * spend.std_errors[name], name
    assert "spend rates do not differ" in spend.note
    assert gamma_gamma.population_mean_spend(spend.params) == pytest.approx(150, rel=0.03)
    predicted = forecast(cdnow_bgnbd, spend, cdnow_summary, months=12)
    expected = predicted.column("expected_spend").to_numpy()
    assert np.allclose(expected, spend.params["p"] / spend.params["nu"])
    clv, lower, upper = (predicted.column(c).to_numpy() for c in ("clv", "clv_lower", "clv_upper"))
    assert np.all(np.isfinite(clv) & np.isfinite(lower) & np.isfinite(upper))
    alive = predicted.column("p_alive").to_numpy() > 0.9
    assert np.all(((lower <= clv) & (clv <= upper)) | ~alive)


def test_a_spend_spread_the_data_pin_down_stays_the_gamma_gamma(cdnow_spend):
    from kam.analytics.clv import gamma_gamma

    assert cdnow_spend.model == gamma_gamma.MODEL  # q = 3.74 ± 0.29: heterogeneous, as published
    assert cdnow_spend.note == ""


def _nobody_stops_histories(customers: int, seed: int) -> tuple[np.ndarray, ...]:
    """Day-granular histories, in weeks, of steady NBD customers (gamma purchase rates with
    TPC-H's estimates, r = 8.7 and alpha = 200 weeks; nobody stops) over up to seven years:
    enough distinct histories that the BG/NBD fits a sample of them first."""
    rng = np.random.default_rng(seed)
    age_days = rng.integers(700, 2500, customers)
    rate = rng.gamma(8.7, 1.0 / 200.0, customers)
    x = rng.poisson(rate * age_days / 7.0)
    last = np.where(x > 0, age_days * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    return x, np.floor(last) / 7.0, age_days / 7.0


@pytest.mark.parametrize(
    ("seed", "skipped"),
    [
        # a draw where the BG/NBD's likelihood falls every way from the NBD's edge: the
        # search along the ridge is not repeated on every history
        (5, True),
        # a draw where it rises a little towards some b (drawn exactly at the edge, the
        # data are about as often so): the search runs on every history, as it always did
        (0, False),
    ],
)
def test_where_nobody_stops_the_ridge_search_is_skipped_only_when_the_edge_is_a_maximum(
    seed, skipped
):
    stats = collapse_arrays(*_nobody_stops_histories(60_000, seed), time_unit="weeks")
    assert len(stats) > 4 * 8192  # the BG/NBD fits a sample of the histories first
    own = bgnbd.fit(stats)
    assert not own.converged
    assert ("was not repeated" in own.message) is skipped
    resolution = resolve(own, stats)
    assert resolution.status is FitStatus.LIMIT
    assert resolution.fit is not None
    assert resolution.fit.model == NBD.MODEL
    assert "nobody in the data stops buying" in resolution.note
    assert resolution.fit.params["r"] == pytest.approx(8.7, rel=0.05)
    # The search on every history from the default start ends somewhere on the ridge,
    # and leads to the same NBD.
    mean_age = float(np.sum(stats.weight * stats.T) / np.sum(stats.weight))
    searched = resolve(bgnbd.fit(stats, start=(1.0, mean_age, 1.0, 1.0)), stats)
    assert searched.fit is not None
    assert searched.fit.model == NBD.MODEL
    for name, value in resolution.fit.params.items():
        assert value == pytest.approx(searched.fit.params[name], rel=1e-8), name
