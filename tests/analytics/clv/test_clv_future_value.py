"""The future-value step over a store: one-pass summaries, fits, choice, predictions, table."""

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from kam.analytics.clv import forecast as forecast_module
from kam.analytics.clv import value
from kam.analytics.clv.cdnow import CALIBRATION_END, HOLDOUT_END
from kam.analytics.clv.forecast import forecast
from kam.analytics.clv.future_value import (
    FutureValueSettings,
    FutureValueUnavailable,
    account_future_value,
    fit_future_value,
    future_value_step,
    stored_purchase_days,
    write_future_value,
)
from kam.analytics.clv.history import alive_history
from kam.analytics.clv.limits import NBD
from kam.analytics.clv.simulate_lines import simulate_transaction_lines
from kam.analytics.clv.summary import purchase_summaries, summaries_from_days, summarise_table
from kam.analytics.store import AnalyticsStore

TRUTH = {"r": 0.8, "alpha": 6.0, "a": 0.8, "b": 4.0}
SPEND = {"p": 6.0, "q": 4.0, "gamma": 15.0}
START, AS_OF = dt.date(2022, 1, 1), dt.date(2023, 12, 31)


def load(con, lines: pa.Table) -> None:
    """Lines as an import leaves them (invoices), plus a credit note that is no purchase."""
    n = lines.num_rows
    full = lines.append_column("document_type", pa.array(["invoice"] * n))
    credit = pa.table(
        {
            "customer_id": [lines.column("customer_id")[0].as_py()],
            "date": pa.array([AS_OF], pa.date32()),
            "revenue": [-50.0],
            "document_type": ["credit_note"],
        }
    )
    con.con.register("_incoming", pa.concat_tables([full, credit]))
    con.con.execute(
        "INSERT INTO transactions (customer_id, date, revenue, document_type, invoice_id, "
        "line_id, quantity) SELECT customer_id, date, revenue, document_type, "
        "customer_id || date::VARCHAR, '1', 1 FROM _incoming"
    )
    con.con.unregister("_incoming")


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    store = AnalyticsStore(f"duckdb://{tmp_path_factory.mktemp('clv') / 'store.duckdb'}")
    lines = simulate_transaction_lines(4000, TRUTH, SPEND, start=START, end=AS_OF, seed=7)
    with store.connect() as con:
        load(con, lines)
        yield con, lines


def same(a, b) -> bool:
    return a == b if a is None or b is None else a == pytest.approx(b, rel=1e-12)


def test_one_pass_summaries_equal_summary_py_and_leave_credit_notes_out(simulated):
    con, lines = simulated
    cal = dt.date(2023, 6, 30)
    got = con.to_pyarrow(purchase_summaries(con.table("transactions"), AS_OF, cal))
    got = {r["customer_id"]: r for r in got.to_pylist()}
    full = summarise_table(lines, calibration_end=AS_OF).to_pylist()
    held = summarise_table(lines, calibration_end=cal, holdout_end=AS_OF).to_pylist()
    assert len(got) == len(full)
    for ref in full:
        row = got[ref["customer_id"]]
        for column in ("frequency", "recency", "age", "mean_repeat_spend"):
            assert same(row[column], ref[column]), column
    for ref in held:
        row = got[ref["customer_id"]]
        for column in ("frequency", "recency", "age", "mean_repeat_spend"):
            assert same(row[f"cal_{column}"], ref[column]), column
        assert row["holdout_frequency"] == ref["holdout_frequency"]
        assert row["holdout_revenue"] == pytest.approx(ref["holdout_revenue"])


def test_the_step_recovers_the_parameters_it_was_simulated_with(simulated):
    con, _ = simulated
    result = future_value_step(con, AS_OF, FutureValueSettings(models=("bgnbd", "pareto_nbd")))
    fit = result.report("bgnbd").fit
    for name, truth in TRUTH.items():
        assert abs(fit.params[name] - truth) < 3 * fit.std_errors[name], name
    for name, truth in SPEND.items():
        assert abs(result.spend.params[name] - truth) < 3 * result.spend.std_errors[name], name
    assert {r.model for r in result.models} == {"bgnbd", "pareto_nbd"}
    assert all(r.holdout is not None for r in result.models)
    assert "holdout error" in result.reason
    assert result.predictions.num_rows == 4000


def test_predictions_have_an_interval_around_the_value(simulated):
    con, _ = simulated
    result = future_value_step(con, AS_OF, FutureValueSettings(months=12))
    rows = result.predictions.to_pylist()
    assert all(r["clv_lower"] <= r["clv"] <= r["clv_upper"] for r in rows if r["p_alive"] > 0.5)
    mean_clv = np.mean([r["clv"] for r in rows])
    assert mean_clv > 0
    # A longer horizon is worth more, a higher discount rate less.
    longer = future_value_step(con, AS_OF, FutureValueSettings(months=36)).predictions
    dearer = future_value_step(
        con, AS_OF, FutureValueSettings(months=12, monthly_discount_rate=0.05)
    ).predictions
    assert np.mean(longer.column("clv").to_numpy()) > mean_clv
    assert np.mean(dearer.column("clv").to_numpy()) < mean_clv


def test_written_table_is_read_back_per_account(simulated):
    con, _ = simulated
    result = future_value_step(con, AS_OF, FutureValueSettings(holdout_weeks=0))
    assert result.calibration_end is None
    assert "log-likelihood" not in result.reason
    name = write_future_value(con, result, "t1")
    assert name == "clv_t1"
    row = account_future_value(con, "t1", "C00001")
    assert row is not None
    assert row["customer_id"] == "C00001"
    assert account_future_value(con, "t1", "nobody") is None
    with pytest.raises(Exception, match="already exists"):
        write_future_value(con, result, "t1")


def test_too_few_repeat_buyers_is_said_plainly():
    lines = simulate_transaction_lines(5, TRUTH, SPEND, start=START, end=AS_OF, seed=1)
    summaries = summarise_table(lines, calibration_end=AS_OF)
    summaries = summaries.append_column("last_purchase", summaries.column("first_purchase"))
    with pytest.raises(FutureValueUnavailable, match="need at least 30"):
        fit_future_value(summaries, AS_OF)


def test_fast_forecast_matches_customer_value(cdnow_transactions, cdnow_bgnbd, cdnow_spend):
    summary = summarise_table(cdnow_transactions, calibration_end=CALIBRATION_END)
    slow = value.customer_value(cdnow_bgnbd, cdnow_spend, summary, months=12, draws=4000)
    fast = forecast(cdnow_bgnbd, cdnow_spend, summary, months=12, draws=4000)
    for column in ("p_alive", "expected_purchases", "expected_spend", "clv"):
        np.testing.assert_allclose(fast.column(column), slow.column(column), rtol=1e-9)
    alive = np.asarray(slow.column("p_alive")) > 0.6
    upper_slow = np.asarray(slow.column("clv_upper"))[alive]
    upper_fast = np.asarray(fast.column("clv_upper"))[alive]
    assert np.median(np.abs(upper_fast / upper_slow - 1)) < 0.05


def test_where_nobody_stops_the_fast_interval_matches_month_by_month_draws(
    cdnow_transactions, cdnow_spend
):
    # The NBD's interval draws each cell's purchases over the horizon and a month for each;
    # customer_value draws them month by month. Same distribution: same interval, within
    # Monte-Carlo noise.
    summary = summarise_table(cdnow_transactions, calibration_end=CALIBRATION_END)
    nbd = NBD.fit(summary)
    assert nbd.converged
    slow = value.customer_value(nbd, cdnow_spend, summary, months=12, draws=4000)
    fast = forecast(nbd, cdnow_spend, summary, months=12, draws=4000)
    np.testing.assert_allclose(fast.column("clv"), slow.column("clv"), rtol=1e-9)
    for column in ("clv_lower", "clv_upper"):
        ours, theirs = (np.asarray(t.column(column)) for t in (fast, slow))
        both = theirs > 0
        assert both.sum() > 100
        assert np.median(np.abs(ours[both] / theirs[both] - 1)) < 0.05, column
        assert abs(ours.sum() / theirs.sum() - 1) < 0.02, column


@pytest.mark.parametrize("threads", [1, 2])
def test_the_interval_is_the_same_for_a_seed_however_many_threads_draw_it(
    cdnow_transactions, cdnow_bgnbd, cdnow_spend, monkeypatch, threads
):
    summary = summarise_table(cdnow_transactions, calibration_end=CALIBRATION_END)
    first = forecast(cdnow_bgnbd, cdnow_spend, summary, months=12)
    monkeypatch.setattr(forecast_module, "_THREADS", threads)
    again = forecast(cdnow_bgnbd, cdnow_spend, summary, months=12)
    other_seed = forecast(cdnow_bgnbd, cdnow_spend, summary, months=12, seed=1)
    for column in ("clv_lower", "clv_upper"):
        assert np.array_equal(first.column(column), again.column(column))
    assert not np.array_equal(first.column("clv_upper"), other_seed.column("clv_upper"))


@pytest.mark.parametrize(
    ("days", "expected_points", "last_frequency"),
    [
        ([dt.date(1997, 1, 5)], 12, 0),
        ([dt.date(1997, 1, 5), dt.date(1997, 2, 10), dt.date(1997, 12, 1)], 12, 2),
    ],
)
def test_alive_history_runs_month_by_month(cdnow_bgnbd, days, expected_points, last_frequency):
    history = alive_history(cdnow_bgnbd, days, dt.date(1997, 12, 31))
    assert len(history) == expected_points
    assert history[-1].day == dt.date(1997, 12, 31)
    assert history[-1].frequency == last_frequency
    assert all(0.0 <= p.p_alive <= 1.0 for p in history)
    if last_frequency:
        # Silence after the second purchase lowers P(alive) until the third one lifts it.
        march, november = history[2], history[10]
        assert november.p_alive < march.p_alive
        assert history[-1].p_alive > november.p_alive


def test_holdout_check_reproduces_cdnow_through_the_store_path(cdnow_transactions):
    con_lines = cdnow_transactions.append_column(
        "document_type", pa.array(["invoice"] * cdnow_transactions.num_rows)
    )
    import ibis

    con = ibis.duckdb.connect()
    con.con.register("transactions", con_lines)
    cal = dt.date.fromisoformat(str(CALIBRATION_END))
    end = dt.date.fromisoformat(str(HOLDOUT_END))
    summaries = con.to_pyarrow(purchase_summaries(con.table("transactions"), end, cal))
    weeks = FutureValueSettings(holdout_weeks=39, models=("bgnbd",))
    result = fit_future_value(summaries, end, weeks, cal)
    cal_fit = result.report("bgnbd").calibration_fit
    assert cal_fit is not None
    assert cal_fit.params["r"] == pytest.approx(0.243, abs=5e-4)  # FHL 2005, section 7
    assert cal_fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)


def sorted_rows(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda row: row["customer_id"])


def test_a_store_from_before_customer_day_gives_the_same_summaries(tmp_path):
    store = AnalyticsStore(f"duckdb://{tmp_path / 'store.duckdb'}")
    lines = simulate_transaction_lines(300, TRUTH, SPEND, start=START, end=AS_OF, seed=5)
    with store.connect() as con:
        load(con, lines)  # straight into transactions: customer_day stays empty
    cal = dt.date(2023, 6, 30)

    def summaries(con) -> list[dict]:
        return sorted_rows(
            con.to_pyarrow(summaries_from_days(stored_purchase_days(con), AS_OF, cal))
        )

    with store.connect(read_only=True) as con:
        expected = sorted_rows(
            con.to_pyarrow(purchase_summaries(con.table("transactions"), AS_OF, cal))
        )
        from_lines = summaries(con)  # cannot rebuild a read-only store: groups the lines
        assert con.table("customer_day").count().execute() == 0
    with store.connect() as con:
        rebuilt = summaries(con)
        assert con.table("customer_day").count().execute() > 300
        again = summaries(con)
    assert len(expected) == 300
    for rows in (from_lines, rebuilt, again):
        assert len(rows) == len(expected)
        for row, ref in zip(rows, expected, strict=True):
            assert row.keys() == ref.keys()
            for column, theirs in ref.items():
                if isinstance(theirs, float):
                    assert same(row[column], theirs), (row["customer_id"], column)
                else:
                    assert row[column] == theirs, (row["customer_id"], column)


def test_one_customers_purchase_dates_are_the_days_the_summaries_count(simulated):
    from kam.analytics.clv.history import purchase_dates

    con, lines = simulated
    customer = lines.column("customer_id")[0].as_py()  # the one with a credit note at AS_OF
    mine = lines.filter(pa.compute.equal(lines.column("customer_id"), customer))
    expected = sorted(set(mine.column("date").to_pylist()))
    assert purchase_dates(con, customer, AS_OF) == expected
    assert AS_OF not in expected  # the credit note's day is no purchase
    cut = expected[len(expected) // 2]
    assert purchase_dates(con, customer, cut) == [d for d in expected if d <= cut]
    summary = con.to_pyarrow(summaries_from_days(stored_purchase_days(con), AS_OF))
    row = next(r for r in summary.to_pylist() if r["customer_id"] == customer)
    assert row["frequency"] == len(expected) - 1
