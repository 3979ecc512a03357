"""Putting the demo company together, and writing it as importable Parquet files."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kam.analytics.demo.customers import (
    ARCHETYPE_SHARES,
    Archetype,
    archetype_table,
    generate_customers,
)
from kam.analytics.demo.people import DEMO_PEOPLE, DemoPerson
from kam.analytics.demo.transactions import Cadence, generate_transactions

DEFAULT_END = date(2026, 9, 30)
"""The fixed last day of a generated company when none is asked for (tests, docs)."""


def demo_end(today: date) -> date:
    """The last day of the month before ``today``: where ``kam demo`` ends its data, so that
    plan freshness and overdue actions, which count from the wall clock, meet recent data."""
    return today.replace(day=1) - timedelta(days=1)


@dataclass(frozen=True)
class DemoCompany:
    """A generated supplier: its customer master, invoice lines, staff and known truths.

    ``archetypes`` (customer_id, archetype, started_on, churned_on) is the ground truth the
    lines were drawn from, for tests, docs and backtests; it is not imported anywhere.
    """

    customers: pa.Table
    transactions: pa.Table
    people: tuple[DemoPerson, ...]
    archetypes: pa.Table
    end: date


@dataclass(frozen=True)
class DemoFiles:
    """Where ``write_demo_files`` put the company: one Parquet file per importable table."""

    customers: Path
    transactions: Path


def generate_demo_company(
    seed: int = 7, customers: int = 3000, years: int = 3, end: date = DEFAULT_END
) -> DemoCompany:
    """Generate the demo supplier: ``customers`` accounts and ``years`` of lines up to ``end``.

    The same arguments always give identical tables. About 330 invoice lines per customer
    (a million for the default 3,000 customers over 3 years).
    """
    return build_company(np.random.default_rng(seed), customers, years, end)


def build_company(
    rng: np.random.Generator,
    customers: int,
    years: int,
    end: date,
    *,
    shares: Mapping[Archetype, float] = ARCHETYPE_SHARES,
    cadence: Cadence = Cadence.RANDOM,
    orders_per_year: float | None = None,
) -> DemoCompany:
    """A company of ``customers`` over ``years`` up to ``end`` from ``rng``: the archetypes in
    ``shares``, orders on ``cadence``, every customer at ``orders_per_year`` when given."""
    if years < 1:
        raise ValueError("the demo company needs at least one year of history")
    start = years_before(end, years) + timedelta(days=1)
    days = (end - start).days + 1
    customer_rng, line_rng = rng.spawn(2)
    book = generate_customers(customer_rng, customers, days, shares)
    if orders_per_year is not None:
        book.orders_per_year[:] = orders_per_year
    lines = generate_transactions(line_rng, book, start, days, cadence)
    return DemoCompany(
        customers=book.table,
        transactions=lines,
        people=DEMO_PEOPLE,
        archetypes=archetype_table(book, start.toordinal()),
        end=end,
    )


def write_demo_files(company: DemoCompany, out_dir: Path) -> DemoFiles:
    """Write customers.parquet and transactions.parquet into ``out_dir`` (created if missing).

    Each file is written beside its final name and renamed into place, so a reader never
    sees half a file.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    files = DemoFiles(out_dir / "customers.parquet", out_dir / "transactions.parquet")
    for table, path in (
        (company.customers, files.customers),
        (company.transactions, files.transactions),
    ):
        partial = path.with_name(f".{path.name}.partial")
        pq.write_table(table, partial, compression="zstd")
        partial.replace(path)
    return files


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (28 February for a 29th in a year without one)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)
