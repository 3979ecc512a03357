"""Opening the analytical store."""

from kam.analytics.store import AnalyticsStore, latest_transaction_date


def test_a_reader_of_a_store_that_does_not_exist_yet_finds_empty_tables(tmp_path):
    store = AnalyticsStore(f"duckdb://{tmp_path / 'fresh' / 'analytics.duckdb'}")
    with store.connect(read_only=True) as con:
        assert con.table("transactions").count().to_pyarrow().as_py() == 0
        assert latest_transaction_date(con) is None
    assert store.path.exists()


def test_a_reader_may_open_a_store_while_nothing_writes(tmp_path):
    store = AnalyticsStore(f"duckdb://{tmp_path / 'analytics.duckdb'}")
    with store.connect() as con:
        con.raw_sql("INSERT INTO customers (customer_id, name) VALUES ('A1', 'Acme')")
    with store.connect(read_only=True) as con:
        assert con.table("customers").count().to_pyarrow().as_py() == 1
