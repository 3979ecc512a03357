"""The steady-buyer company: monthly replenishment buyers, a few growers, decliners, stoppers."""

from datetime import date

import duckdb
import pytest

from kam.analytics.demo import STEADY_SHARES, Archetype, DemoCompany, generate_steady_company
from kam.analytics.schema import CUSTOMER_COLUMNS, TRANSACTION_COLUMNS


@pytest.fixture(scope="module")
def company() -> DemoCompany:
    return generate_steady_company(seed=3, customers=600)


@pytest.fixture(scope="module")
def sql(company: DemoCompany) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("customers", company.customers)
    con.register("lines", company.transactions)
    con.register("archetypes", company.archetypes)
    return con


def test_same_seed_same_company_and_import_columns() -> None:
    first, again = (
        generate_steady_company(seed=5, customers=80),
        generate_steady_company(seed=5, customers=80),
    )
    assert first.transactions.equals(again.transactions)
    assert first.customers.column_names == [c.name for c in CUSTOMER_COLUMNS]
    assert first.transactions.column_names == [c.name for c in TRANSACTION_COLUMNS]


def test_archetypes_come_in_the_stated_shares(sql: duckdb.DuckDBPyConnection) -> None:
    counts = dict(sql.sql("SELECT archetype, count(*) FROM archetypes GROUP BY 1").fetchall())
    assert sum(counts.values()) == 600
    for archetype, share in STEADY_SHARES.items():
        assert counts[archetype.value] == pytest.approx(600 * share, abs=1)
    assert Archetype.NEWCOMER.value not in counts


def test_steady_customers_order_about_once_a_month(sql: duckdb.DuckDBPyConnection) -> None:
    days = sql.sql(
        """
        SELECT l.customer_id, count(DISTINCT l.date) AS days
        FROM lines l JOIN archetypes a USING (customer_id)
        WHERE a.archetype = 'steady' AND l.document_type = 'invoice'
        GROUP BY 1
        """
    ).fetchall()
    assert len(days) == round(600 * STEADY_SHARES[Archetype.STEADY])
    # 36 months, one order in fifty skipped: 34-36 purchase days for nearly everyone.
    assert all(32 <= n <= 37 for _, n in days)
    gaps = sql.sql(
        """
        WITH d AS (
          SELECT DISTINCT l.customer_id, l.date FROM lines l JOIN archetypes a USING (customer_id)
          WHERE a.archetype = 'steady' AND l.document_type = 'invoice'),
        g AS (SELECT date - lag(date) OVER (PARTITION BY customer_id ORDER BY date) AS gap FROM d)
        SELECT quantile_cont(gap, 0.05), median(gap), quantile_cont(gap, 0.9) FROM g
        WHERE gap IS NOT NULL
        """
    ).fetchone()
    assert gaps is not None
    low, middle, high = gaps
    # A rhythm, not a Poisson process: the gaps sit close around a month.
    assert low >= 20
    assert 28 <= middle <= 33
    assert high <= 40


def test_stoppers_stop_and_the_period_ends_at_the_end_date(
    company: DemoCompany, sql: duckdb.DuckDBPyConnection
) -> None:
    late = sql.sql(
        """
        SELECT count(*) FROM lines l JOIN archetypes a USING (customer_id)
        WHERE a.archetype = 'churner' AND l.document_type = 'invoice'
          AND l.date >= a.churned_on
        """
    ).fetchone()
    assert late == (0,)
    last = sql.sql("SELECT max(date) FROM lines").fetchone()
    assert last is not None
    assert last[0] <= company.end == date(2026, 9, 30)


def test_growers_orders_grow_and_decliners_shrink(sql: duckdb.DuckDBPyConnection) -> None:
    change = dict(
        sql.sql(
            """
            WITH yearly AS (
              SELECT a.archetype, l.customer_id,
                     sum(l.revenue) FILTER (WHERE l.date >= DATE '2025-10-01') AS last_year,
                     sum(l.revenue) FILTER (WHERE l.date < DATE '2024-10-01') AS first_year
              FROM lines l JOIN archetypes a USING (customer_id) GROUP BY 1, 2)
            SELECT archetype, median(last_year / first_year) FROM yearly GROUP BY 1
            """
        ).fetchall()
    )
    assert change["grower"] > 1.3
    assert change["decliner"] < 0.75
    assert 0.9 < change["steady"] < 1.2
