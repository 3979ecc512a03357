"""The account list, account KPIs and monthly revenue, computed on a small hand-made store."""

from collections.abc import Iterator
from datetime import date

import pytest
from ibis.backends.duckdb import Backend as DuckDBBackend
from store_rows import insert_rows

from kam.analytics.account_figures import (
    AccountListQuery,
    AccountSort,
    AccountStatus,
    account_page,
    account_summary,
    filter_options,
    monthly_revenue,
    revenue_12m_by_customer,
)
from kam.analytics.store import AnalyticsStore, reader_memo

CUSTOMERS = [
    ("C1", "Acme Holding", None, "DE", "EMEA", "Manufacturing"),
    ("C2", "Beta GmbH", "C1", "DE", "EMEA", "Retail"),
    ("C3", "Gamma Inc", None, "US", "Americas", "Manufacturing"),
    ("C4", "Delta Ltd", None, "AU", "APAC", "Retail"),
    ("C5", "Epsilon SA", None, "FR", "EMEA", None),
]

# customer, month, revenue, cost, orders, first_date, last_date
MONTHS = [
    ("C1", "2021-01-01", 200.0, 100.0, 1, "2021-01-10", "2021-01-10"),
    ("C1", "2023-03-01", 500.0, 300.0, 2, "2023-03-02", "2023-03-20"),
    ("C1", "2024-06-01", 1000.0, 600.0, 3, "2024-06-03", "2024-06-18"),
    ("C2", "2023-09-01", 300.0, None, 1, "2023-09-05", "2023-09-05"),
    ("C2", "2024-02-01", 400.0, None, 1, "2024-02-01", "2024-02-01"),
    ("C3", "2020-05-01", 50.0, 40.0, 1, "2020-05-11", "2020-05-11"),
    ("C3", "2023-10-01", 750.0, 350.0, 2, "2023-10-02", "2023-10-20"),
    ("C4", "2023-05-01", 900.0, 450.0, 1, "2023-05-02", "2023-05-02"),
]
AS_OF = date(2024, 6, 18)


def seed(con: DuckDBBackend, customers=CUSTOMERS, months=MONTHS) -> None:
    raw = con.con
    insert_rows(raw, "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)", customers)
    if months:
        insert_rows(
            raw,
            "INSERT INTO customer_month VALUES (?, ?::DATE, ?, ?, 1, 1, ?, ?::DATE, ?::DATE)",
            list(months),
        )


@pytest.fixture
def con(store: AnalyticsStore) -> Iterator[DuckDBBackend]:
    with store.connect() as con:
        seed(con)
        yield con


def ids(page) -> list[str]:
    return [row.customer_id for row in page.rows]


def test_as_of_defaults_to_latest_transaction_and_windows_follow_it(con):
    page = account_page(con, AccountListQuery(sort=AccountSort.NAME, descending=False))
    assert page.as_of == AS_OF
    acme = next(row for row in page.rows if row.customer_id == "C1")
    assert (acme.revenue_12m, acme.revenue_prev_12m, acme.revenue_lifetime) == (1000, 500, 1700)
    assert acme.margin_pct == pytest.approx(40.0)
    assert acme.growth_pct == pytest.approx(100.0)
    assert acme.last_order == AS_OF


def test_an_earlier_as_of_ignores_later_months(con):
    page = account_page(con, AccountListQuery(), as_of=date(2023, 12, 31))
    acme = next(row for row in page.rows if row.customer_id == "C1")
    assert (acme.revenue_12m, acme.revenue_prev_12m, acme.revenue_lifetime) == (500, 0, 700)
    assert acme.last_order == date(2023, 3, 20)


@pytest.mark.parametrize(
    ("customer_id", "status"),
    [
        ("C1", AccountStatus.ACTIVE),
        ("C2", AccountStatus.NEW),
        ("C3", AccountStatus.LAPSING),
        ("C4", AccountStatus.LOST),
        ("C5", AccountStatus.PROSPECT),
    ],
)
def test_status_at_as_of(con, customer_id, status):
    page = account_page(con, AccountListQuery(status=status))
    assert ids(page) == [customer_id]
    assert page.rows[0].status is status


@pytest.mark.parametrize(
    ("first", "last", "status"),
    [
        ("2020-01-01", "2024-06-18", AccountStatus.ACTIVE),
        ("2020-01-01", "2023-12-19", AccountStatus.ACTIVE),  # a day short of 6 months
        ("2020-01-01", "2023-12-18", AccountStatus.LAPSING),  # exactly 6 months
        ("2020-01-01", "2023-06-19", AccountStatus.LAPSING),
        ("2020-01-01", "2023-06-18", AccountStatus.LOST),  # exactly 12 months
        ("2023-06-19", "2023-07-01", AccountStatus.NEW),  # new wins over lapsing
        ("2023-06-18", "2024-01-01", AccountStatus.ACTIVE),  # first order a year ago: not new
    ],
)
def test_status_boundaries(store, first, last, status):
    months = [("X", last[:8] + "01", 10.0, 5.0, 1, first, last)]
    with store.connect() as con:
        seed(con, customers=[("X", "X Corp", None, "", "", "")], months=months)
        summary = account_summary(con, "X", as_of=AS_OF)
    assert summary is not None
    assert summary.status is status


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (AccountListQuery(search="gmbh"), ["C2"]),
        (AccountListQuery(search="c4"), ["C4"]),
        (AccountListQuery(search="  ACME "), ["C1"]),
        (AccountListQuery(region="EMEA"), ["C1", "C2", "C5"]),
        (AccountListQuery(segment="Retail"), ["C2", "C4"]),
        (AccountListQuery(region="EMEA", segment="Retail"), ["C2"]),
        (AccountListQuery(search="zzz"), []),
    ],
)
def test_search_and_filters(con, query, expected):
    assert ids(account_page(con, query)) == expected


@pytest.mark.parametrize(
    ("sort", "descending", "expected"),
    [
        (AccountSort.REVENUE, True, ["C1", "C3", "C2", "C4", "C5"]),
        (AccountSort.REVENUE, False, ["C4", "C5", "C2", "C3", "C1"]),
        (AccountSort.NAME, False, ["C1", "C2", "C4", "C5", "C3"]),
        (AccountSort.NAME, True, ["C3", "C5", "C4", "C2", "C1"]),
        (AccountSort.LAST_ORDER, True, ["C1", "C2", "C3", "C4", "C5"]),
        (AccountSort.LAST_ORDER, False, ["C4", "C3", "C2", "C1", "C5"]),
        (AccountSort.LIFETIME, True, ["C1", "C4", "C3", "C2", "C5"]),
    ],
)
def test_sorting(con, sort, descending, expected):
    assert ids(account_page(con, AccountListQuery(sort=sort, descending=descending))) == expected


def seed_paged_portfolio(con) -> None:
    """23 EMEA customers P000–P022, one month each, revenue rising with the number: three
    pages of ten."""
    customers = [(f"P{i:03}", f"Customer {i:03}", None, "", "EMEA", "") for i in range(23)]
    months = [
        (f"P{i:03}", "2024-01-01", float(100 + i), 0.0, 1, "2024-01-05", "2024-01-05")
        for i in range(23)
    ]
    seed(con, customers=customers, months=months)


def test_pagination_counts_and_clamps(store):
    with store.connect() as con:
        seed_paged_portfolio(con)
        second = account_page(con, AccountListQuery(page=2, page_size=10))
        past_end = account_page(con, AccountListQuery(page=99, page_size=10))
        by_name = account_page(con, AccountListQuery(sort=AccountSort.NAME, page=3, page_size=10))
    assert (second.total, second.page_count, second.page) == (23, 3, 2)
    assert ids(second) == [f"P{i:03}" for i in range(12, 2, -1)]
    assert (second.first_index, second.last_index) == (11, 20)
    assert past_end.page == 3
    assert ids(past_end) == ["P002", "P001", "P000"]
    assert ids(by_name) == ["P002", "P001", "P000"]  # descending by default
    assert by_name.rows[0].revenue_12m == 102


def test_empty_store_gives_an_empty_page(store):
    with store.connect(read_only=True) as con:
        page = account_page(con, AccountListQuery())
        assert (page.total, page.page_count, page.rows, page.as_of) == (0, 1, (), None)
        assert filter_options(con).regions == ()
        assert account_summary(con, "C1") is None


def test_customers_without_transactions_are_prospects(store):
    with store.connect() as con:
        seed(con, months=[])
        page = account_page(con, AccountListQuery())
    assert page.total == 5
    assert {row.status for row in page.rows} == {AccountStatus.PROSPECT}


def test_account_summary(con):
    summary = account_summary(con, "C1")
    assert summary is not None
    assert summary.as_of == AS_OF
    assert (summary.orders_12m, summary.orders_lifetime) == (3, 6)
    assert (summary.first_order, summary.last_order) == (date(2021, 1, 10), AS_OF)
    assert summary.margin_pct == pytest.approx(40.0)
    no_cost = account_summary(con, "C2")
    assert no_cost is not None
    assert no_cost.margin_pct is None
    prospect = account_summary(con, "C5")
    assert prospect is not None
    assert (prospect.status, prospect.revenue_lifetime) == (AccountStatus.PROSPECT, 0)


def test_monthly_revenue_fills_empty_months(con):
    table = monthly_revenue(con, "C1", months=36)
    months = table.column("month").to_pylist()
    revenue = table.column("revenue").to_pylist()
    assert len(months) == 36
    assert (months[0], months[-1]) == (date(2021, 7, 1), date(2024, 6, 1))
    assert revenue[-1] == 1000
    assert revenue[months.index(date(2023, 3, 1))] == 500
    assert sum(revenue) == 1500  # the 2021-01 month is outside the 36 months
    assert revenue.count(0.0) == 34


def test_filter_options_and_subsidiary_revenue(con):
    options = filter_options(con)
    assert options.regions == ("APAC", "Americas", "EMEA")
    assert options.segments == ("Manufacturing", "Retail")
    assert revenue_12m_by_customer(con, ["C2", "C4", "C9"]) == {"C2": 700.0}


def test_one_as_of_date_and_none_on_an_empty_store(store):
    # One resolve_as_of for every reader: the date given, else the latest transaction, and
    # None — never a made-up 1970-01-01 — when nothing has been bought yet.
    from kam.analytics.selection.features import NoTransactions, account_features
    from kam.analytics.selection.policy import default_policy
    from kam.analytics.selection.scoring import score_accounts
    from kam.analytics.store import resolve_as_of

    with store.connect() as con:
        assert resolve_as_of(con) is None
        assert resolve_as_of(con, date(2024, 1, 31)) == date(2024, 1, 31)
        seed(con, months=[])  # customers, but not one transaction
        assert resolve_as_of(con) is None
        with pytest.raises(NoTransactions, match="no invoice lines yet"):
            account_features(con)
        with pytest.raises(NoTransactions):
            score_accounts(con, default_policy())
        # Given a date, the figures are measured there: every customer without revenue.
        given = account_features(con, date(2024, 1, 31)).to_pyarrow()
        assert set(given.column("revenue_12m").to_pylist()) == {0.0}
        insert_rows(
            con.con,
            "INSERT INTO customer_month VALUES (?, ?::DATE, ?, ?, 1, 1, ?, ?::DATE, ?::DATE)",
            list(MONTHS),
        )
        assert resolve_as_of(con) == AS_OF


@pytest.mark.parametrize(
    "query",
    [
        AccountListQuery(page=2, page_size=10),
        AccountListQuery(page=99, page_size=10),  # past the end: the last page
        AccountListQuery(page=0, page_size=10),
        AccountListQuery(search="customer 01", page=1, page_size=4),
        AccountListQuery(search="nobody", page=3, page_size=10),  # nothing matches
        AccountListQuery(sort=AccountSort.NAME, descending=False, page=3, page_size=10),
    ],
)
def test_a_reader_copy_pages_and_counts_as_the_writer_does(store, query):
    with store.connect() as con:
        seed_paged_portfolio(con)
        written = account_page(con, query)
    with store.connect(read_only=True) as con:
        assert reader_memo(con) is not None  # the per-copy table of every account's figures
        read = account_page(con, query)
    assert read == written
