"""Per-customer purchase summaries: frequency, recency, age and mean repeat spend.

The buy-'til-you-die models of Fader, Hardie & Lee (2005, "Counting Your Customers the
Easy Way") and Schmittlein, Morrison & Colombo (1987) need only three numbers per
customer, measured at a calibration date:

* ``frequency`` x: repeat purchases, i.e. distinct purchase days minus one. Several
  transactions on the same day are one purchase occasion (the convention behind the
  published CDNOW results).
* ``recency`` t_x: time from the first purchase to the last purchase.
* ``age`` T: time from the first purchase to the calibration date. As in Fader, Hardie &
  Lee's CDNOW spreadsheet, T is the plain difference of dates, so a customer first seen on
  1997-01-01 has T = 272 / 7 = 38.86 weeks at 1997-09-30 (a purchase *on* the calibration
  date is still in the calibration period and gives t_x = T).

The spend model (Gamma-Gamma) adds ``mean_repeat_spend``: the mean value of the repeat
purchase occasions, the first one left out (Fader, Hardie & Lee 2005, "RFM and CLV").

This module computes the summary in numpy from arrays or an Arrow table; ``summary_ibis``
builds the same numbers as an Ibis expression for DuckDB or Spark. ``collapse`` turns a
summary into weighted sufficient statistics: customers with identical (x, t_x, T) share
one row, which is where most of the fitting speed comes from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

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

    Customers whose first purchase falls after ``calibration_end`` are not in the
    calibration cohort and are left out. With ``holdout_end`` the table also has
    ``holdout_frequency`` (distinct purchase days in (calibration_end, holdout_end]) and
    ``holdout_revenue``, used to check forecasts against what really happened.

    Returns an Arrow table sorted by customer id with the columns ``customer_id``,
    ``first_purchase`` (date), ``frequency`` (int64), ``recency`` and ``age`` (float64, in
    ``unit``), ``mean_repeat_spend`` (float64, null when there is no repeat purchase),
    plus the holdout columns when asked. The time unit is kept in the schema metadata.
    """
    per_unit = float(days_per_unit(unit))
    ids = (
        pa.chunked_array([customer_id])
        if not isinstance(customer_id, pa.ChunkedArray)
        else customer_id
    )
    ids = ids.combine_chunks()
    encoded = pc.dictionary_encode(ids)
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    id_values = encoded.dictionary
    days = _epoch_days(date)
    if revenue is None:
        money = np.zeros(len(days))
    elif isinstance(revenue, pa.Array | pa.ChunkedArray):
        money = np.asarray(revenue.to_numpy(zero_copy_only=False), dtype=np.float64)
    else:
        money = np.asarray(revenue, dtype=np.float64)
    if not (len(codes) == len(days) == len(money)):
        raise ValueError("customer_id, date and revenue must have the same length")

    cal_day = to_epoch_day(calibration_end)
    in_cal = days <= cal_day
    daily_code, daily_day, daily_money = _daily(codes[in_cal], days[in_cal], money[in_cal])

    n_ids = len(id_values)
    purchase_days = np.bincount(daily_code, minlength=n_ids)
    cohort = np.flatnonzero(purchase_days > 0)
    first = np.full(n_ids, np.iinfo(np.int64).max)
    np.minimum.at(first, daily_code, daily_day)
    last = np.full(n_ids, np.iinfo(np.int64).min)
    np.maximum.at(last, daily_code, daily_day)
    is_repeat = daily_day > first[daily_code]
    repeat_money = np.bincount(
        daily_code, weights=np.where(is_repeat, daily_money, 0.0), minlength=n_ids
    )

    frequency = purchase_days[cohort] - 1
    columns: dict[str, pa.Array] = {
        "customer_id": id_values.take(pa.array(cohort)),
        "first_purchase": pa.array(first[cohort].astype("datetime64[D]"), type=pa.date32()),
        "frequency": pa.array(frequency, type=pa.int64()),
        "recency": pa.array((last[cohort] - first[cohort]) / per_unit),
        "age": pa.array((cal_day - first[cohort]) / per_unit),
        "mean_repeat_spend": pa.array(
            np.divide(
                repeat_money[cohort], frequency, where=frequency > 0, out=np.zeros(len(cohort))
            ),
            mask=frequency == 0,
        ),
    }
    if holdout_end is not None:
        hold_day = to_epoch_day(holdout_end)
        in_hold = (days > cal_day) & (days <= hold_day)
        h_code, _, h_money = _daily(codes[in_hold], days[in_hold], money[in_hold])
        columns["holdout_frequency"] = pa.array(np.bincount(h_code, minlength=n_ids)[cohort])
        columns["holdout_revenue"] = pa.array(
            np.bincount(h_code, weights=h_money, minlength=n_ids)[cohort]
        )
    table = pa.table(columns)
    table = table.take(pc.sort_indices(table, sort_keys=[("customer_id", "ascending")]))
    return table.replace_schema_metadata({UNIT_METADATA_KEY: unit.encode()})


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


def _daily(
    codes: npt.NDArray[np.int64], days: npt.NDArray[np.int64], money: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Collapse transaction lines into one purchase occasion per customer and day."""
    if len(codes) == 0:
        return codes, days, money
    order = np.lexsort((days, codes))
    codes, days, money = codes[order], days[order], money[order]
    starts = np.flatnonzero(np.r_[True, (codes[1:] != codes[:-1]) | (days[1:] != days[:-1])])
    return codes[starts], days[starts], np.add.reduceat(money, starts)


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
class SufficientStatistics:
    """Customers grouped by identical (x, t_x, T), each group with its customer count.

    The likelihood of the purchase models depends on a customer only through (x, t_x, T),
    so one row per distinct triple with a weight gives the same log-likelihood as one row
    per customer, for far fewer evaluations on real, day-granular data.
    """

    x: npt.NDArray[np.int64]
    t_x: npt.NDArray[np.float64]
    T: npt.NDArray[np.float64]
    weight: npt.NDArray[np.float64]
    time_unit: str | None = None

    @property
    def n_customers(self) -> int:
        """Number of customers represented (sum of the weights)."""
        return round(float(self.weight.sum()))

    def __len__(self) -> int:
        return len(self.x)


def collapse_arrays(
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    weight: npt.ArrayLike | None = None,
    *,
    time_unit: str | None = None,
) -> SufficientStatistics:
    """Group identical (x, t_x, T) rows, summing their weights (1 per customer by default)."""
    xs = np.asarray(x, dtype=np.int64)
    txs = np.asarray(t_x, dtype=np.float64)
    ts = np.asarray(T, dtype=np.float64)
    ws = np.ones(len(xs)) if weight is None else np.asarray(weight, dtype=np.float64)
    _check_summary(xs, txs, ts)
    if len(xs) == 0:
        return SufficientStatistics(xs, txs, ts, ws, time_unit)
    # Factorise each column on its own, then the combined integer key: sorting three
    # small-cardinality integer codes is much cheaper than a row-wise unique on floats.
    ux, ix = np.unique(xs, return_inverse=True)
    utx, itx = np.unique(txs, return_inverse=True)
    ut, it = np.unique(ts, return_inverse=True)
    key = (ix.astype(np.int64) * len(utx) + itx) * len(ut) + it
    ukey, inverse = np.unique(key, return_inverse=True)
    weights = np.bincount(inverse, weights=ws).astype(np.float64)
    it_u = ukey % len(ut)
    itx_u = (ukey // len(ut)) % len(utx)
    ix_u = ukey // (len(ut) * len(utx))
    return SufficientStatistics(ux[ix_u], utx[itx_u], ut[it_u], weights, time_unit)


def collapse(summary: pa.Table) -> SufficientStatistics:
    """Weighted sufficient statistics of a summary table (see ``collapse_arrays``)."""
    x, t_x, age = summary_arrays(summary)
    unit = (summary.schema.metadata or {}).get(UNIT_METADATA_KEY, b"").decode() or None
    return collapse_arrays(x, t_x, age, time_unit=unit)


def _check_summary(
    x: npt.NDArray[np.int64], t_x: npt.NDArray[np.float64], T: npt.NDArray[np.float64]
) -> None:
    if not (len(x) == len(t_x) == len(T)):
        raise ValueError("frequency, recency and age must have the same length")
    if len(x) == 0:
        return
    if np.any(x < 0):
        raise ValueError("frequency must be >= 0")
    if np.any(t_x < 0) or np.any(t_x > T):
        raise ValueError("recency must lie between 0 and the customer's age")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("a customer without repeat purchases must have recency 0")
