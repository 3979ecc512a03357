"""Per-customer purchase summaries: frequency, recency, age and mean repeat spend.

The buy-'til-you-die models of Fader, Hardie & Lee (2005, "Counting Your Customers the
Easy Way") and Schmittlein, Morrison & Colombo (1987) need only three numbers per
customer, measured at a calibration date:

* ``frequency`` x: repeat purchases, i.e. distinct purchase days minus one. Several
  transactions on the same day are one purchase occasion (the convention behind the
  published CDNOW results); credit notes are no purchase.
* ``recency`` t_x: time from the first purchase to the last purchase.
* ``age`` T: time from the first purchase to the calibration date. As in Fader, Hardie &
  Lee's CDNOW spreadsheet, T is the plain difference of dates, so a customer first seen on
  1997-01-01 has T = 272 / 7 = 38.86 weeks at 1997-09-30 (a purchase *on* the calibration
  date is still in the calibration period and gives t_x = T).

The spend model (Gamma-Gamma) adds ``mean_repeat_spend``: the mean value of the repeat
purchase occasions, the first one left out (Fader, Hardie & Lee 2005, "RFM and CLV").

The summary is written once, as an Ibis expression (``summaries_from_days`` over the
purchase days, ``purchase_days`` of the lines), so the same query runs in the analytical
store — DuckDB, or Spark when data outgrow one machine — and, through an in-memory DuckDB,
on an Arrow table or arrays (``summarise_table``, ``summarise_transactions``). ``collapse``
turns a summary into weighted sufficient statistics: customers with identical
(x, t_x, T) share one row, which is where most of the fitting speed comes from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _

TimeUnit = Literal["days", "weeks"]

DAYS_PER_UNIT: dict[str, int] = {"days": 1, "weeks": 7}

#: Schema metadata key under which a summary records its time unit.
UNIT_METADATA_KEY = b"kam.clv.time_unit"

SUMMARY_COLUMNS = (
    "customer_id",
    "first_purchase",
    "frequency",
    "recency",
    "age",
    "mean_repeat_spend",
)
HOLDOUT_COLUMNS = ("holdout_frequency", "holdout_revenue")

DateLike = dt.date | str | np.datetime64


def days_per_unit(unit: str) -> int:
    """Number of days in one model time unit ("days" or "weeks")."""
    try:
        return DAYS_PER_UNIT[unit]
    except KeyError:
        raise ValueError(
            f"time unit must be one of {sorted(DAYS_PER_UNIT)}, not {unit!r}"
        ) from None


def to_epoch_day(value: DateLike) -> int:
    """A date (``datetime.date``, ISO string or ``numpy.datetime64``) as days since 1970-01-01."""
    return int(np.array(value, dtype="datetime64[D]").astype(np.int64))


def to_date(value: DateLike) -> dt.date:
    """A date given as ``datetime.date``, ISO string or ``numpy.datetime64``."""
    return dt.date(1970, 1, 1) + dt.timedelta(days=to_epoch_day(value))


def _day(value: dt.date) -> ir.DateScalar:
    return ibis.literal(value, type="date")


# ---- the one summary, as a query -------------------------------------------------------------


def purchase_days(transactions: ir.Table, as_of: dt.date | None = None) -> ir.Table:
    """The purchase days of ``transactions`` (up to ``as_of``): customer_id, date, revenue.

    A purchase day is a day with invoice lines (credit notes are no purchase; lines without
    a document type count as invoices); its revenue is the sum of those lines. The same
    rows as the store's ``customer_day``.
    """
    lines = transactions.filter(_.document_type.isnull() | (_.document_type == "invoice"))
    if as_of is not None:
        lines = lines.filter(_.date <= _day(as_of))
    return lines.group_by(["customer_id", "date"]).aggregate(revenue=_.revenue.sum())


def purchase_summaries(
    transactions: ir.Table, as_of: dt.date, calibration_end: dt.date | None = None
) -> ir.Table:
    """Each customer's purchase summary at ``as_of`` (and calibration) from the lines:
    ``summaries_from_days`` of their ``purchase_days``."""
    return summaries_from_days(purchase_days(transactions, as_of), as_of, calibration_end)


def summaries_from_days(
    days: ir.Table,
    as_of: dt.date,
    calibration_end: dt.date | None = None,
    *,
    unit: TimeUnit = "weeks",
) -> ir.Table:
    """One Ibis expression: each customer's purchase summary at ``as_of`` (and calibration).

    ``days`` has one row per customer and purchase day (customer_id, date, revenue):
    ``customer_day``, or ``purchase_days`` of the lines; days after ``as_of`` are ignored.
    Columns: customer_id, first_purchase, last_purchase, frequency, recency, age,
    mean_repeat_spend (in ``unit``; NULL spend without a repeat purchase), and with
    ``calibration_end`` also cal_frequency, cal_recency, cal_age, cal_mean_repeat_spend
    (NULL for customers first seen after it), holdout_frequency and holdout_revenue. Runs
    on DuckDB and Spark; one scan of the days.
    """
    # A typed literal: a bare 7.0 is a DECIMAL on Spark, which rounds the quotient to 6 places.
    per_unit = ibis.literal(days_per_unit(unit)).cast("float64")
    end = _day(as_of)
    daily = days.filter(days.date <= end)
    cal = _day(calibration_end) if calibration_end is not None else None
    extra: dict[str, Any] = {}
    if cal is not None:
        in_cal = daily.date <= cal
        extra = {
            "cal_last": daily.date.max(where=in_cal),
            "cal_days": daily.date.count(where=in_cal),
            "cal_revenue": daily.revenue.sum(where=in_cal),
            "holdout_frequency": daily.date.count(where=~in_cal),
            "holdout_revenue": daily.revenue.sum(where=~in_cal),
        }
    # The first day's revenue by arg_min rather than a window: no sort of the daily rows.
    per = daily.group_by("customer_id").aggregate(
        first_purchase=daily.date.min(),
        last_purchase=daily.date.max(),
        days=daily.date.count(),
        revenue=daily.revenue.sum(),
        first_revenue=daily.revenue.argmin(daily.date),
        **extra,
    )

    def span(later: ir.DateValue, earlier: ir.DateValue) -> ir.FloatingValue:
        return later.delta(earlier, unit="day").cast("float64") / per_unit

    def spend(count: ir.IntegerValue, revenue: ir.FloatingValue) -> ir.FloatingValue:
        repeat = (count - 1).cast("float64")
        return ibis.ifelse(count > 1, (revenue - per.first_revenue) / repeat, ibis.null("float64"))

    columns: dict[str, Any] = {
        "customer_id": per.customer_id,
        "first_purchase": per.first_purchase,
        "last_purchase": per.last_purchase,
        "frequency": (per.days - 1).cast("int64"),
        "recency": span(per.last_purchase, per.first_purchase),
        "age": span(end, per.first_purchase),
        "mean_repeat_spend": spend(per.days, per.revenue),
    }
    if cal is not None:
        cohort = per.cal_days > 0
        columns |= {
            "cal_frequency": ibis.ifelse(
                cohort, (per.cal_days - 1).cast("int64"), ibis.null("int64")
            ),
            "cal_recency": ibis.ifelse(
                cohort, span(per.cal_last, per.first_purchase), ibis.null("float64")
            ),
            "cal_age": ibis.ifelse(cohort, span(cal, per.first_purchase), ibis.null("float64")),
            "cal_mean_repeat_spend": spend(per.cal_days, per.cal_revenue),
            "holdout_frequency": per.holdout_frequency.cast("int64"),
            "holdout_revenue": per.holdout_revenue.coalesce(0.0).cast("float64"),
        }
    return per.select(**columns)


# ---- the same summary for a table or arrays in memory --------------------------------------


def _epoch_days(dates: npt.ArrayLike | pa.Array | pa.ChunkedArray) -> npt.NDArray[np.int64]:
    if isinstance(dates, pa.ChunkedArray | pa.Array):
        dates = pc.cast(dates, pa.date32()).to_numpy(zero_copy_only=False)
    return np.asarray(dates, dtype="datetime64[D]").astype(np.int64)


def summarise_transactions(
    customer_id: npt.ArrayLike | pa.Array | pa.ChunkedArray,
    date: npt.ArrayLike | pa.Array | pa.ChunkedArray,
    revenue: npt.ArrayLike | pa.Array | pa.ChunkedArray | None = None,
    *,
    calibration_end: DateLike,
    holdout_end: DateLike | None = None,
    unit: TimeUnit = "weeks",
) -> pa.Table:
    """Summarise transaction lines into one row per customer as of ``calibration_end``.

    The lines run through ``summaries_from_days`` in an in-memory DuckDB: the very query
    the store runs. Customers whose first purchase falls after ``calibration_end`` are not
    in the calibration cohort and are left out. With ``holdout_end`` the table also has
    ``holdout_frequency`` (distinct purchase days in (calibration_end, holdout_end]) and
    ``holdout_revenue``, used to check forecasts against what really happened.

    Returns an Arrow table sorted by customer id with the columns ``customer_id``,
    ``first_purchase`` (date), ``frequency`` (int64), ``recency`` and ``age`` (float64, in
    ``unit``), ``mean_repeat_spend`` (float64, null when there is no repeat purchase),
    plus the holdout columns when asked. The time unit is kept in the schema metadata.
    """
    days_per_unit(unit)  # a bad unit is refused before any work
    ids = (
        customer_id
        if isinstance(customer_id, pa.ChunkedArray | pa.Array)
        else pa.array(np.asarray(customer_id).astype(str))
    )
    day = pa.array(_epoch_days(date).astype(np.int32), pa.int32()).cast(pa.date32())
    if revenue is None:
        money = pa.array(np.zeros(len(day)))
    elif isinstance(revenue, pa.Array | pa.ChunkedArray):
        money = pc.cast(revenue, pa.float64())
    else:
        money = pa.array(np.asarray(revenue, dtype=np.float64))
    if not (len(ids) == len(day) == len(money)):
        raise ValueError("customer_id, date and revenue must have the same length")
    lines = pa.table(
        {
            "customer_id": pc.cast(ids, pa.string()),
            "date": day,
            "revenue": money,
            "document_type": pa.nulls(len(day), pa.string()),
        }
    )
    cal = to_date(calibration_end)
    con = ibis.duckdb.connect()
    try:
        con.con.register("lines", lines)
        table = con.table("lines")
        if holdout_end is None:
            summary = con.to_pyarrow(summaries_from_days(purchase_days(table), cal, unit=unit))
            columns = {name: summary.column(name) for name in SUMMARY_COLUMNS}
        else:
            end = to_date(holdout_end)
            both = con.to_pyarrow(summaries_from_days(purchase_days(table), end, cal, unit=unit))
            both = both.filter(pc.is_valid(both.column("cal_frequency")))
            columns = {
                "customer_id": both.column("customer_id"),
                "first_purchase": both.column("first_purchase"),
                **{name: both.column(f"cal_{name}") for name in SUMMARY_COLUMNS[2:]},
                **{name: both.column(name) for name in HOLDOUT_COLUMNS},
            }
    finally:
        con.disconnect()
    result = pa.table(columns)
    result = result.take(pc.sort_indices(result, sort_keys=[("customer_id", "ascending")]))
    return result.replace_schema_metadata({UNIT_METADATA_KEY: unit.encode()})


def summarise_table(
    transactions: pa.Table,
    *,
    calibration_end: DateLike,
    holdout_end: DateLike | None = None,
    unit: TimeUnit = "weeks",
) -> pa.Table:
    """``summarise_transactions`` over an Arrow table with columns customer_id, date, revenue."""
    revenue = transactions.column("revenue") if "revenue" in transactions.column_names else None
    return summarise_transactions(
        transactions.column("customer_id"),
        transactions.column("date"),
        revenue,
        calibration_end=calibration_end,
        holdout_end=holdout_end,
        unit=unit,
    )


def summary_unit(summary: pa.Table, default: str | None = None) -> str:
    """The time unit a summary table was built in (from its schema metadata)."""
    meta = summary.schema.metadata or {}
    if UNIT_METADATA_KEY in meta:
        return meta[UNIT_METADATA_KEY].decode()
    if default is None:
        raise ValueError("the summary does not record its time unit; pass it explicitly")
    return default


def summary_arrays(
    summary: pa.Table,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(frequency, recency, age) of a summary table as numpy arrays."""
    x = np.asarray(summary.column("frequency").to_numpy(zero_copy_only=False), dtype=np.int64)
    t_x = np.asarray(summary.column("recency").to_numpy(zero_copy_only=False), dtype=np.float64)
    age = np.asarray(summary.column("age").to_numpy(zero_copy_only=False), dtype=np.float64)
    return x, t_x, age


@dataclass(frozen=True, eq=False)
class Codes:
    """The collapsed rows' columns factorised: each column's distinct values, sorted, and
    every row's index into them. The likelihoods group their terms by these indices, so
    they are computed once, where the rows are collapsed."""

    x_values: npt.NDArray[np.int64]
    t_x_values: npt.NDArray[np.float64]
    T_values: npt.NDArray[np.float64]
    x_index: npt.NDArray[np.intp]
    t_x_index: npt.NDArray[np.intp]
    T_index: npt.NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class SufficientStatistics:
    """Customers grouped by identical (x, t_x, T), each group with its customer count.

    The likelihood of the purchase models depends on a customer only through (x, t_x, T),
    so one row per distinct triple with a weight gives the same log-likelihood as one row
    per customer, for far fewer evaluations on real, day-granular data. ``collapse_arrays``
    also keeps the columns factorised (``codes``); ``codes_of`` builds them when absent.
    """

    x: npt.NDArray[np.int64]
    t_x: npt.NDArray[np.float64]
    T: npt.NDArray[np.float64]
    weight: npt.NDArray[np.float64]
    time_unit: str | None = None
    codes: Codes | None = field(default=None, repr=False)

    @property
    def n_customers(self) -> int:
        """Number of customers represented (sum of the weights)."""
        return round(float(self.weight.sum()))

    def __len__(self) -> int:
        return len(self.x)


def rows_of(stats: SufficientStatistics, rows: slice) -> SufficientStatistics:
    """Some of the collapsed rows (their columns factorised afresh when asked for)."""
    return SufficientStatistics(
        stats.x[rows], stats.t_x[rows], stats.T[rows], stats.weight[rows], stats.time_unit
    )


def codes_of(stats: SufficientStatistics) -> Codes:
    """The factorised columns of ``stats`` (those ``collapse_arrays`` kept, or built now)."""
    if stats.codes is not None:
        return stats.codes
    ux, ix = factorise_counts(np.asarray(stats.x, dtype=np.int64))
    utx, itx = factorise_floats(stats.t_x)
    ut, it = factorise_floats(stats.T)
    return Codes(ux, utx, ut, ix, itx, it)


# A dense count over the combined key is used while it has at most this many cells (or
# four per row): a bincount is linear, where sorting a million keys is not.
_DENSE_CELLS = 1 << 22


def factorise_counts(
    values: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.intp]]:
    """Sorted distinct values of non-negative integers and each value's index into them.

    Purchase counts are small integers: one ``bincount`` finds them, with no sort.
    """
    if len(values) == 0:
        return values.copy(), np.zeros(0, dtype=np.intp)
    low, high = int(values.min()), int(values.max())
    if low < 0 or high > max(_DENSE_CELLS, 4 * len(values)):
        distinct, index = np.unique(values, return_inverse=True)
        return distinct, index.astype(np.intp, copy=False)
    present = np.bincount(values) > 0
    rank = np.cumsum(present, dtype=np.intp) - 1
    return np.flatnonzero(present).astype(np.int64), rank[values]


def factorise_floats(
    values: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp]]:
    """Sorted distinct values of finite floats and each value's index into them.

    Arrow's hash encoding finds the distinct values in one pass; only those few are
    sorted (np.unique would sort every row), which also makes -0.0 and 0.0 one value.
    """
    if len(values) == 0:
        return values.copy(), np.zeros(0, dtype=np.intp)
    encoded = pc.dictionary_encode(pa.array(values))
    distinct, rank = np.unique(encoded.dictionary.to_numpy(), return_inverse=True)
    return distinct, rank.astype(np.intp, copy=False)[encoded.indices.to_numpy()]


def group_pairs(
    first: npt.NDArray[np.intp], n_first: int, second: npt.NDArray[np.intp], n_second: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Distinct (first, second) index pairs, in order, and each row's index into them.

    Returns (first index of each pair, second index of each pair, row -> pair).
    """
    key = first.astype(np.int64) * n_second + second
    cells = n_first * n_second
    if cells <= max(_DENSE_CELLS, 4 * len(key)):
        present = np.bincount(key, minlength=cells) > 0
        rank = np.cumsum(present, dtype=np.intp) - 1
        unique_key = np.flatnonzero(present)
        inverse = rank[key]
    else:
        unique_key, inverse = np.unique(key, return_inverse=True)
    return (
        (unique_key // n_second).astype(np.intp),
        (unique_key % n_second).astype(np.intp),
        inverse.astype(np.intp, copy=False),
    )


class GroupSums:
    """Sums of per-row values by group, for a fixed row -> group index.

    When the rows are sorted by group with every group present (the collapsed rows are
    sorted by (x, t_x, T), so by their (x, t_x) pair), each group is one run of rows and
    its sum one ``np.add.reduceat``: a sequential pass, several times faster than the
    scattered adds of ``np.bincount``, which serves otherwise.
    """

    def __init__(
        self,
        index: npt.NDArray[np.intp] | None,
        groups: int,
        starts: npt.NDArray[np.intp] | None = None,
    ) -> None:
        self.index, self.groups, self.starts = index, groups, starts
        covers = index is not None and len(index) and index[0] == 0 and index[-1] == groups - 1
        if starts is None and index is not None and covers:
            step = np.diff(index)
            if bool(((step == 0) | (step == 1)).all()):
                self.starts = np.flatnonzero(np.concatenate(([True], step != 0)))

    @classmethod
    def of_runs(cls, values: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], GroupSums] | None:
        """(distinct values, their sums) for values sorted ascending; None if they are not."""
        step = np.diff(values)
        if not bool((step >= 0).all()) or len(values) == 0:
            return None
        starts = np.flatnonzero(np.concatenate(([True], step != 0)))
        return values[starts], cls(None, len(starts), starts)

    def counts(self, rows: int) -> npt.NDArray[np.float64]:
        """How many rows each group has (``rows`` in all)."""
        if self.starts is not None:
            return np.diff(np.append(self.starts, rows)).astype(np.float64)
        assert self.index is not None
        return np.bincount(self.index, minlength=self.groups).astype(np.float64)

    def __call__(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The sum of ``values`` over each group's rows."""
        if self.starts is not None:
            return np.asarray(np.add.reduceat(values, self.starts), dtype=np.float64)
        assert self.index is not None
        return np.asarray(
            np.bincount(self.index, weights=values, minlength=self.groups), dtype=np.float64
        )


def on_distinct_pairs(
    function: Callable[[npt.NDArray[np.float64], npt.NDArray[np.float64]], npt.NDArray[Any]],
    first: npt.NDArray[np.float64],
    second: npt.NDArray[np.float64],
) -> npt.NDArray[Any]:
    """``function(first, second)`` for an elementwise function, evaluated once per distinct
    pair: customers share few (x, T) or (x, t_x) pairs, and the hypergeometric functions
    cost far more than finding them. Small inputs are evaluated as they are."""
    first, second = np.broadcast_arrays(first, second)
    if first.size < _DISTINCT_FROM:
        return function(first, second)
    u_first, i_first = factorise_floats(first.ravel())
    u_second, i_second = factorise_floats(second.ravel())
    pair_first, pair_second, inverse = group_pairs(i_first, len(u_first), i_second, len(u_second))
    values = function(u_first[pair_first], u_second[pair_second])
    return np.asarray(values)[inverse].reshape(first.shape)


_DISTINCT_FROM = 4096


def collapse_arrays(
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    weight: npt.ArrayLike | None = None,
    *,
    time_unit: str | None = None,
) -> SufficientStatistics:
    """Group identical (x, t_x, T) rows, summing their weights (1 per customer by default).

    The rows come out sorted by (x, t_x, T). Each column is factorised on its own (a count
    for x, a hash for t_x and T), then the combined integer codes are counted: linear in
    the number of customers, where a row-wise unique would sort them.
    """
    xs = np.asarray(x, dtype=np.int64)
    txs = np.asarray(t_x, dtype=np.float64)
    ts = np.asarray(T, dtype=np.float64)
    ws = None if weight is None else np.asarray(weight, dtype=np.float64)
    _check_summary(xs, txs, ts, ws)
    if len(xs) == 0:
        empty = np.zeros(0)
        return SufficientStatistics(xs, txs, ts, empty if ws is None else ws, time_unit)
    ux, ix = factorise_counts(xs)
    utx, itx = factorise_floats(txs)
    ut, it = factorise_floats(ts)
    # Pairs (x, t_x) first, then (pair, T): every combined code stays below rows^2.
    pair_x, pair_tx, pair = group_pairs(ix, len(ux), itx, len(utx))
    key = pair.astype(np.int64) * len(ut) + it
    cells = len(pair_x) * len(ut)
    if ws is None and cells <= max(_DENSE_CELLS, 4 * len(key)):
        # One customer, one unit of weight: the count of each code is the weight.
        counts = np.bincount(key, minlength=cells)
        unique_key = np.flatnonzero(counts)
        weights = counts[unique_key].astype(np.float64)
        group_pair, it_u = unique_key // len(ut), unique_key % len(ut)
    else:
        group_pair, it_u, inverse = group_pairs(pair, len(pair_x), it, len(ut))
        counted = np.bincount(inverse, weights=ws, minlength=len(it_u))
        weights = np.asarray(counted, dtype=np.float64)
    ix_u, itx_u = pair_x[group_pair], pair_tx[group_pair]
    codes = Codes(ux, utx, ut, ix_u, itx_u, it_u)
    return SufficientStatistics(ux[ix_u], utx[itx_u], ut[it_u], weights, time_unit, codes)


def collapse(summary: pa.Table) -> SufficientStatistics:
    """Weighted sufficient statistics of a summary table (see ``collapse_arrays``)."""
    x, t_x, age = summary_arrays(summary)
    unit = (summary.schema.metadata or {}).get(UNIT_METADATA_KEY, b"").decode() or None
    return collapse_arrays(x, t_x, age, time_unit=unit)


def _check_summary(
    x: npt.NDArray[np.int64],
    t_x: npt.NDArray[np.float64],
    T: npt.NDArray[np.float64],
    weight: npt.NDArray[np.float64] | None = None,
) -> None:
    if not (len(x) == len(t_x) == len(T)) or (weight is not None and len(weight) != len(x)):
        raise ValueError("frequency, recency and age must have the same length")
    if len(x) == 0:
        return
    if not (np.isfinite(t_x).all() and np.isfinite(T).all()):
        raise ValueError("recency and age must be finite numbers (a missing value is no time)")
    if weight is not None and not (np.isfinite(weight).all() and (weight >= 0).all()):
        raise ValueError("weights must be finite and >= 0")
    if x.min() < 0:
        raise ValueError("frequency must be >= 0")
    if (t_x < 0).any() or (t_x > T).any():
        raise ValueError("recency must lie between 0 and the customer's age")
    if ((x == 0) & (t_x != 0)).any():
        raise ValueError("a customer without repeat purchases must have recency 0")
