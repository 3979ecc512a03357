"""Purchase history: how often accounts with the same history ordered again.

The store's own past is the reference. Every account active one trend window before the
scoring date is put in a cell by what it had done by then — how many times it had
ordered (1 to ``MAX_ORDERS``, the last cell "that many or more") and how many whole
months it had been silent since its last order — and it is recorded whether it ordered
again in the window up to the scoring date. The share that did, per cell, is made
monotone: never higher for a longer silence, never lower for more orders (isotonic
regressions along each direction, alternated until the table stands still), so a thin
cell borrows from its neighbours and the table says what a KAM expects. An account
scored today is read from the cell of its own history as of today. Everything read is on
or before the scoring date, so a backtest stays honest.

The Pareto/NBD makes the same point (more orders, less silence: more likely still
buying) through a parametric model; this table is what the store saw happen.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import isotonic_regression

Floats = npt.NDArray[np.float64]

MAX_ORDERS = 6
"""The last row holds the accounts that ordered this many times or more."""
MONTH_DAYS = 365.25 / 12
EMPTY_WEIGHT = 1e-9
"""An empty cell's weight in the monotone fit: it takes its neighbours' value."""
MAX_SWEEPS = 200


@dataclass(frozen=True)
class HistoryTable:
    """The reference: accounts looked at on ``looked_at``, followed for ``months`` months.

    ``rates[o][m]`` is the monotone share that ordered again among accounts that had
    ordered o + 1 times (the last row: ``MAX_ORDERS`` or more) and been silent m whole
    months (the last column: that long or longer); ``accounts[o][m]`` how many accounts
    the cell held before smoothing."""

    looked_at: dt.date
    months: int
    rates: tuple[tuple[float, ...], ...]
    accounts: tuple[tuple[int, ...], ...]

    def cell(self, orders: float, days_since: float) -> tuple[int, int] | None:
        """The (row, column) of a history, None when the figures are missing."""
        if not (math.isfinite(orders) and math.isfinite(days_since)) or orders < 1:
            return None
        row = min(int(orders), MAX_ORDERS) - 1
        column = min(int(max(days_since, 0.0) // MONTH_DAYS), len(self.rates[0]) - 1)
        return row, column

    def rate(self, orders: float, days_since: float) -> float:
        """The share of accounts with this history that ordered again (NaN: missing)."""
        found = self.cell(orders, days_since)
        return math.nan if found is None else self.rates[found[0]][found[1]]


def months_silent(days_since: Floats) -> Floats:
    """Whole months since the last order."""
    return np.floor(np.maximum(days_since, 0.0) / MONTH_DAYS)


def monotone_table(
    orders: Floats, days_since: Floats, came_back: npt.NDArray[np.bool_]
) -> tuple[Floats, npt.NDArray[np.int64]]:
    """The share of ``came_back`` per cell of (orders, months silent), made monotone
    (non-increasing in silence, non-decreasing in orders), and the accounts per cell.
    Columns run to the longest silence seen."""
    rows = np.minimum(orders.astype(np.int64), MAX_ORDERS) - 1
    columns = months_silent(days_since).astype(np.int64)
    shape = (MAX_ORDERS, int(columns.max()) + 1)
    counts = np.zeros(shape, np.int64)
    backs = np.zeros(shape)
    np.add.at(counts, (rows, columns), 1)
    np.add.at(backs, (rows, columns), came_back.astype(np.float64))
    overall = float(came_back.mean())
    rates = np.where(counts > 0, backs / np.maximum(counts, 1), overall)
    weights = np.where(counts > 0, counts, EMPTY_WEIGHT).astype(np.float64)
    for _ in range(MAX_SWEEPS):
        before = rates.copy()
        for row in range(shape[0]):
            rates[row] = isotonic_regression(rates[row], weights=weights[row], increasing=False).x
        for column in range(shape[1]):
            rates[:, column] = isotonic_regression(
                rates[:, column], weights=weights[:, column], increasing=True
            ).x
        if np.max(np.abs(rates - before)) < 1e-12:
            break
    # Alternating regressions can creep towards their meeting point for ever when a cell
    # is empty; a last pass makes sure the table is monotone whatever happened: each row
    # non-increasing (its running minimum), then each column its running maximum — the
    # maximum of non-increasing rows stays non-increasing. It changes nothing once the
    # regressions have met.
    rates = np.minimum.accumulate(rates, axis=1)
    rates = np.maximum.accumulate(rates, axis=0)
    return rates, counts


def history_table(
    looked_at: dt.date,
    months: int,
    orders: Floats,
    days_since: Floats,
    came_back: npt.NDArray[np.bool_],
) -> HistoryTable | None:
    """The reference table from the accounts looked at on ``looked_at`` (their orders and
    days since the last order then, and whether they ordered in the ``months`` after);
    None without any such account."""
    keep = np.isfinite(orders) & np.isfinite(days_since) & (orders >= 1)
    if not keep.any():
        return None
    rates, counts = monotone_table(orders[keep], days_since[keep], came_back[keep])
    return HistoryTable(
        looked_at,
        months,
        tuple(tuple(float(v) for v in row) for row in rates),
        tuple(tuple(int(v) for v in row) for row in counts),
    )


def describe(table: HistoryTable, orders: float, days_since: float) -> str:
    """The component's sentence for one account's history."""
    found = table.cell(orders, days_since)
    if found is None:
        return "no purchase history to compare with"
    row, column = found
    ordered = "once" if row == 0 else f"{row + 1} times"
    if row == MAX_ORDERS - 1:
        ordered = f"{MAX_ORDERS} times or more"
    last_column = len(table.rates[0]) - 1
    silent = f"{column} month{'s' if column != 1 else ''}"
    if column == 0:
        silent = "less than a month"
    elif column == last_column:
        silent += " or more"
    return (
        f"accounts that had ordered {ordered} and been silent {silent} "
        f"(on {table.looked_at}) ordered again within {table.months} months "
        f"{table.rates[row][column]:.0%} of the time ({table.accounts[row][column]:,} accounts)"
    )
