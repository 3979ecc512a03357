"""The demo company: deterministic, realistic in the ways the analytics rely on, importable."""

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from kam.analytics.demo import (
    ARCHETYPE_SHARES,
    DEMO_PASSWORD,
    DemoCompany,
    demo_end,
    generate_demo_company,
    write_demo_files,
)
from kam.analytics.ingest import import_customers, import_transactions
from kam.analytics.schema import CUSTOMER_COLUMNS, STORE_DDL, TRANSACTION_COLUMNS
from kam.analytics.store import AnalyticsStore
from kam.people.roles import Role

END = date(2026, 9, 30)


@pytest.fixture(scope="module")
def company() -> DemoCompany:
    """The default demo company (seed 7, 3,000 customers, 3 years): about a second."""
    return generate_demo_company()


@pytest.fixture(scope="module")
def sql(company: DemoCompany) -> duckdb.DuckDBPyConnection:
    """DuckDB over the company's tables, named customers, lines and archetypes."""
    con = duckdb.connect()
    con.register("customers", company.customers)
    con.register("lines", company.transactions)
    con.register("archetypes", company.archetypes)
    return con


def scalar(con: duckdb.DuckDBPyConnection, query: str) -> Any:
    row = con.sql(query).fetchone()
    assert row is not None
    return row[0]


def test_same_seed_gives_identical_tables() -> None:
    first = generate_demo_company(seed=11, customers=300)
    again = generate_demo_company(seed=11, customers=300)
    assert first.customers.equals(again.customers)
    assert first.transactions.equals(again.transactions)
    assert first.archetypes.equals(again.archetypes)


def test_another_seed_gives_another_company() -> None:
    first = generate_demo_company(seed=11, customers=300)
    other = generate_demo_company(seed=12, customers=300)
    assert first.customers.column("name") != other.customers.column("name")
    assert first.transactions.num_rows != other.transactions.num_rows


def test_default_size_is_three_thousand_customers_and_about_a_million_lines(
    company: DemoCompany,
) -> None:
    assert company.customers.num_rows == 3000
    assert 700_000 <= company.transactions.num_rows <= 1_300_000
    assert company.end == END


def test_columns_are_exactly_the_import_columns(company: DemoCompany) -> None:
    assert company.customers.column_names == [c.name for c in CUSTOMER_COLUMNS]
    assert company.transactions.column_names == [c.name for c in TRANSACTION_COLUMNS]


def test_written_files_have_the_store_schema_and_load_into_it(
    company: DemoCompany, tmp_path: Path
) -> None:
    files = write_demo_files(company, tmp_path / "demo")
    con = duckdb.connect()  # the store's tables, in memory: the types are what matter
    for ddl in STORE_DDL:
        con.execute(ddl)
    for table, path in (("customers", files.customers), ("transactions", files.transactions)):
        in_file = con.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
        in_store = con.sql(f"DESCRIBE {table}").fetchall()
        assert [(c[0], c[1]) for c in in_file] == [(c[0], c[1]) for c in in_store]
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet('{path}')")
    assert scalar(con, "SELECT count(*) FROM transactions") == company.transactions.num_rows
    assert {c[1] for c in con.sql("DESCRIBE transactions").fetchall()} == {
        "VARCHAR",
        "DATE",
        "DOUBLE",
    }
    assert not list(files.customers.parent.glob(".*partial"))


def test_the_regular_import_accepts_the_files(tmp_path: Path) -> None:
    demo = generate_demo_company(seed=5, customers=200)
    files = write_demo_files(demo, tmp_path / "demo")
    store = AnalyticsStore(f"duckdb://{tmp_path / 'analytics.duckdb'}", threads=2)
    customers = import_customers(store, files.customers)
    lines = import_transactions(store, files.transactions)
    assert (customers.inserted, customers.problem_count) == (200, 0)
    assert (lines.inserted, lines.problem_count) == (demo.transactions.num_rows, 0)


def test_arrow_types_are_date32_float64_and_strings(company: DemoCompany) -> None:
    types = {field.name: field.type for field in company.transactions.schema}
    assert types["date"] == pa.date32()
    assert {types[n] for n in ("quantity", "revenue", "cost")} == {pa.float64()}
    assert {types[n] for n in ("invoice_id", "line_id", "customer_id", "product")} == {pa.string()}
    assert set(company.customers.schema.types) == {pa.string()}


def test_a_fifth_of_the_customers_bring_about_four_fifths_of_revenue(sql) -> None:
    share = scalar(
        sql,
        """
        WITH spend AS (
            SELECT c.customer_id, coalesce(sum(l.revenue), 0) AS revenue
            FROM customers c LEFT JOIN lines l USING (customer_id) GROUP BY 1
        ), ranked AS (
            SELECT revenue, row_number() OVER (ORDER BY revenue DESC) AS rank,
                   count(*) OVER () AS n FROM spend
        )
        SELECT sum(revenue) FILTER (WHERE rank <= n * 0.2) / sum(revenue) FROM ranked
        """,
    )
    assert 0.75 <= share <= 0.85


def test_archetypes_are_recorded_in_their_shares(company: DemoCompany) -> None:
    names, sizes = np.unique(company.archetypes.column("archetype"), return_counts=True)
    counts = dict(zip(names, sizes, strict=True))
    assert sum(counts.values()) == company.customers.num_rows
    for archetype, share in ARCHETYPE_SHARES.items():
        assert counts[archetype.value] / company.customers.num_rows == pytest.approx(
            share, abs=0.01
        )


@pytest.mark.parametrize(
    ("archetype", "lowest", "highest"),
    [
        ("steady", 0.9, 1.1),
        ("grower", 1.15, 2.0),
        ("decliner", 0.5, 0.9),
        ("churner", 0.0, 0.5),
        ("newcomer", 3.0, float("inf")),
    ],
)
def test_last_twelve_months_against_the_twelve_before(sql, archetype, lowest, highest) -> None:
    ratio = scalar(
        sql,
        f"""
        SELECT sum(revenue) FILTER (WHERE date > DATE '{END}' - INTERVAL 12 MONTH)
             / sum(revenue) FILTER (WHERE date <= DATE '{END}' - INTERVAL 12 MONTH
                                      AND date > DATE '{END}' - INTERVAL 24 MONTH)
        FROM lines JOIN archetypes USING (customer_id) WHERE archetype = '{archetype}'
        """,
    )
    assert lowest <= ratio <= highest


def test_most_growers_grow_and_most_decliners_decline_one_by_one(sql) -> None:
    rows = sql.sql(
        f"""
        SELECT archetype,
               avg(CASE WHEN coalesce(last12, 0) > coalesce(prev12, 0) THEN 1 ELSE 0 END)
        FROM (
            SELECT customer_id, archetype,
                   sum(revenue) FILTER (WHERE date > DATE '{END}' - INTERVAL 12 MONTH) last12,
                   sum(revenue) FILTER (WHERE date <= DATE '{END}' - INTERVAL 12 MONTH
                                          AND date > DATE '{END}' - INTERVAL 24 MONTH) prev12
            FROM lines JOIN archetypes USING (customer_id) GROUP BY ALL
        ) GROUP BY 1
        """
    ).fetchall()
    growing = dict(rows)
    assert growing["grower"] >= 0.7
    assert growing["decliner"] <= 0.3
    assert growing["grower"] > growing["steady"] > growing["decliner"]


def test_churners_stop_buying_and_newcomers_start_late(sql) -> None:
    after_churn = scalar(
        sql,
        """SELECT count(*) FROM lines JOIN archetypes USING (customer_id)
           WHERE document_type = 'invoice' AND date >= churned_on""",
    )
    before_start = scalar(
        sql,
        """SELECT count(*) FROM lines JOIN archetypes USING (customer_id)
           WHERE date < started_on""",
    )
    assert after_churn == 0
    assert before_start == 0
    churned_last_year = scalar(
        sql,
        f"""SELECT avg(CASE WHEN churned_on > DATE '{END}' - INTERVAL 12 MONTH THEN 1 ELSE 0 END)
            FROM archetypes WHERE archetype = 'churner'""",
    )
    assert 0.2 <= churned_last_year <= 0.6
    earliest_newcomer = scalar(sql, "SELECT min(started_on) FROM archetypes")
    assert earliest_newcomer >= END - timedelta(days=18 * 31)


def test_hierarchies_are_groups_of_two_to_six_subsidiaries(company: DemoCompany) -> None:
    rows = company.customers.to_pylist()
    by_id = {row["customer_id"]: row for row in rows}
    children: dict[str, list[dict]] = {}
    for row in rows:
        if row["parent_id"] is not None:
            assert row["parent_id"] in by_id
            assert row["parent_id"] != row["customer_id"]
            children.setdefault(row["parent_id"], []).append(row)
    for row in rows:  # walking up from anyone ends at a top-level account
        seen = {row["customer_id"]}
        while row["parent_id"] is not None:
            row = by_id[row["parent_id"]]
            assert row["customer_id"] not in seen
            seen.add(row["customer_id"])
    assert len(children) >= 50
    for parent_id, subsidiaries in children.items():
        assert 2 <= len(subsidiaries) <= 6
        stem = by_id[parent_id]["name"].rsplit(" ", 1)[0]
        assert all(s["name"].startswith(f"{stem} ") for s in subsidiaries)
    abroad = [
        s
        for subs in children.values()
        for s in subs
        if s["country"] != by_id[s["parent_id"]]["country"]
    ]
    assert abroad


def test_names_are_unique_and_each_country_sits_in_one_region(sql) -> None:
    assert scalar(sql, "SELECT count(DISTINCT name) FROM customers") == 3000
    assert (
        scalar(
            sql,
            "SELECT max(n) FROM (SELECT count(DISTINCT region) n FROM customers GROUP BY country)",
        )
        == 1
    )
    assert scalar(sql, "SELECT count(DISTINCT region) FROM customers") == 8
    assert scalar(sql, "SELECT count(DISTINCT segment) FROM customers") == 10


def test_every_line_belongs_to_a_known_customer(sql) -> None:
    unknown = scalar(
        sql,
        "SELECT count(*) FROM lines l ANTI JOIN customers c ON l.customer_id = c.customer_id",
    )
    assert unknown == 0


def test_invoice_and_line_ids_are_unique_and_numbered(sql) -> None:
    assert scalar(sql, "SELECT count(*) - count(DISTINCT (invoice_id, line_id)) FROM lines") == 0
    assert (
        scalar(
            sql,
            """SELECT count(*) FROM (SELECT invoice_id, count(*) n, max(line_id::INT) top,
           count(DISTINCT customer_id) c, count(DISTINCT date) d FROM lines GROUP BY 1)
           WHERE n <> top OR c <> 1 OR d <> 1""",
        )
        == 0
    )
    assert (
        scalar(sql, "SELECT min(invoice_id) FROM lines WHERE document_type = 'invoice'")
        == "INV-000001"
    )
    assert scalar(sql, "SELECT avg(n) FROM (SELECT count(*) n FROM lines GROUP BY invoice_id)") > 3


def test_credit_notes_are_negative_and_reverse_real_purchases(sql) -> None:
    share = scalar(
        sql, "SELECT avg(CASE WHEN document_type = 'credit_note' THEN 1 ELSE 0 END) FROM lines"
    )
    assert 0.005 <= share <= 0.03
    assert (
        scalar(
            sql,
            """SELECT count(*) FROM lines WHERE document_type = 'credit_note'
           AND (quantity >= 0 OR revenue >= 0 OR cost >= 0 OR invoice_id NOT LIKE 'CN-%')""",
        )
        == 0
    )
    assert scalar(sql, "SELECT min(quantity) FROM lines WHERE document_type = 'invoice'") >= 1
    orphans = scalar(
        sql,
        """SELECT count(*) FROM lines cn WHERE cn.document_type = 'credit_note' AND NOT EXISTS (
               SELECT 1 FROM lines i WHERE i.document_type = 'invoice'
               AND i.customer_id = cn.customer_id AND i.product = cn.product
               AND i.business_unit = cn.business_unit AND i.date < cn.date
               AND i.quantity >= -cn.quantity)""",
    )
    assert orphans == 0


def test_margins_differ_and_big_accounts_earn_less(sql) -> None:
    low, high, spread, with_size = sql.sql(
        """SELECT quantile_cont(m, 0.05), quantile_cont(m, 0.95), stddev(m), corr(m, ln(r)) FROM (
               SELECT 1 - sum(cost) / sum(revenue) m, sum(revenue) r FROM lines
               GROUP BY customer_id HAVING sum(revenue) > 0)"""
    ).fetchone()
    assert 0.12 <= low < high <= 0.5
    assert spread > 0.03
    assert with_size < -0.2


def test_no_date_after_the_end_and_none_on_weekends(sql) -> None:
    first, last, weekend = sql.sql(
        "SELECT min(date), max(date), count(*) FILTER (WHERE dayofweek(date) IN (0, 6)) FROM lines"
    ).fetchone()
    assert last <= END
    assert END - timedelta(days=3 * 366) <= first
    assert weekend == 0


def test_the_end_date_is_a_parameter_not_the_clock() -> None:
    end = date(2024, 2, 29)
    demo = generate_demo_company(seed=3, customers=200, years=1, end=end)
    dates = demo.transactions.column("date")
    assert max(dates.to_pylist()) <= end
    assert min(dates.to_pylist()) >= date(2023, 3, 1)
    assert demo.end == end


def test_what_customers_buy_depends_on_their_segment_and_site(sql) -> None:
    buyers = sql.sql(
        """SELECT segment, category, count(DISTINCT customer_id) / any_value(n) AS buyer_share
           FROM lines JOIN (SELECT *, count(*) OVER (PARTITION BY segment) n FROM customers)
           USING (customer_id) GROUP BY ALL"""
    ).fetchall()
    shares = [share for _, _, share in buyers]
    assert min(shares) < 0.3
    assert max(shares) > 0.8
    sites = sql.sql(
        """SELECT count(*), max(n), count(*) FILTER (WHERE n >= 2) FROM (
               SELECT customer_id, count(DISTINCT business_unit) n FROM lines GROUP BY 1)"""
    ).fetchone()
    assert sites[1] == 6
    assert sites[2] >= 0.3 * sites[0]
    uneven = scalar(
        sql,
        """SELECT count(*) FROM (
               SELECT customer_id, count(DISTINCT category) per_site FROM lines
               GROUP BY customer_id, business_unit) s
           JOIN (SELECT customer_id, count(DISTINCT category) overall FROM lines GROUP BY 1) c
           USING (customer_id) WHERE per_site < overall""",
    )
    assert uneven >= 200


def test_sales_organisation_and_demo_login(company: DemoCompany) -> None:
    roles = [person.role for person in company.people]
    assert {role: roles.count(role) for role in set(roles)} == {
        Role.HEAD_OF_KAM.value: 1,
        Role.KEY_ACCOUNT_MANAGER.value: 12,
        Role.EXECUTIVE_SPONSOR.value: 4,
        Role.ADMINISTRATOR.value: 1,
        Role.VIEWER.value: 1,
    }
    head = next(p for p in company.people if p.role == Role.HEAD_OF_KAM.value)
    assert head.username == "head"
    assert DEMO_PASSWORD == "kam-demo"
    usernames = [person.username for person in company.people]
    assert len(set(usernames)) == len(usernames)
    assert all(p.first_name and p.last_name and p.title for p in company.people)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"customers": 0}, "at least one customer"),
        ({"years": 0}, "at least one year"),
    ],
)
def test_impossible_companies_are_refused(arguments: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_demo_company(**arguments)


@pytest.mark.parametrize(
    ("today", "end"),
    [
        (date(2026, 12, 2), date(2026, 11, 30)),
        (date(2026, 12, 1), date(2026, 11, 30)),
        (date(2027, 1, 31), date(2026, 12, 31)),
        (date(2028, 3, 15), date(2028, 2, 29)),
    ],
)
def test_kam_demo_ends_its_data_at_the_last_month_end_before_today(today, end):
    assert demo_end(today) == end


def test_a_demo_generated_today_has_its_latest_line_within_a_month_of_today():
    today = date.today()
    fresh = generate_demo_company(seed=3, customers=60, years=1, end=demo_end(today))
    latest = max(fresh.transactions.column("date").to_pylist())
    assert 0 < (today - latest).days <= 31
