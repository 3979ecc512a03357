"""Whitespace on a reader copy (kam.analytics.whitespace_copy) gives the rows the
expressions give, on the hand-built portfolio of whitespace_data, for any mix of accounts,
pipeline and wallets, and a wallet passed after the copy's tables were derived counts."""

import math
import random
from contextlib import contextmanager

import duckdb
import ibis
import pyarrow as pa
import pytest
from whitespace_data import PIPELINE, WALLETS, seed

from kam.analytics import whitespace as ws
from kam.analytics import whitespace_copy as copy
from kam.analytics.store import AnalyticsStore, latest_transaction_date, reader_memo

EXTRA_WALLETS = ws.wallet_table(
    [
        {"customer_id": "A", "category": "Pumps", "amount": 4800.0},
        # P1's Valves figure replaced by its wallet; P2's zero wallet takes it out of the peers.
        {"customer_id": "P1", "category": "Valves", "amount": 650.0},
        {"customer_id": "P2", "category": "Valves", "amount": 0.0},
        # A wallet in a category its owner never bought: a peer with spend there.
        {"customer_id": "P3", "category": "Seals", "amount": 70.0},
        {"customer_id": "S1", "category": "Seals", "amount": 5.0},
        # Someone no band knows (no revenue): no peer of anyone.
        {"customer_id": "nobody", "category": "Pumps", "amount": 1.0},
    ]
)
UNIT_PIPELINE = ws.pipeline_table(
    [
        {"customer_id": "A", "category": "Valves", "business_unit": "North", "value": 400.0},
        {"customer_id": "A", "category": "Valves", "business_unit": "North", "value": 100.0},
        {"customer_id": "A", "category": "Gaskets", "business_unit": "East", "value": 50.0},
        {"customer_id": "P1", "category": "Seals", "business_unit": None, "value": 20.0},
        {"customer_id": "L1", "category": "Pumps", "business_unit": "West", "value": 10.0},
    ]
)
ACCOUNTS = [("A",), ("A", "P1"), ("A", "P1", "P2", "L1", "S2"), ("S1", "nobody"), ("nobody",)]
PIPELINES = {"one": PIPELINE, "none": ws.pipeline_table([]), "units": UNIT_PIPELINE}
WALLET_SETS = {"two": WALLETS, "none": ws.wallet_table([]), "more": EXTRA_WALLETS}


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    """A reader connection to a copy of the seeded store, the date the pages ask at, and a
    connection of its own to the store for the expressions the copy's rows are compared to."""
    store = AnalyticsStore(f"duckdb://{tmp_path_factory.mktemp('wsc') / 'store.duckdb'}")
    with store.connect() as con:
        seed(con)
    with store.connect(read_only=True) as con, _plain(store) as plain:
        assert reader_memo(con) is not None
        yield con, latest_transaction_date(con), plain


@contextmanager
def _plain(store):
    """The store opened on its own for the expressions, with DuckDB's join filters off: DuckDB
    1.5 may push a Bloom filter into a scan of an Arrow table (an Ibis memtable) and fail
    the query (duckdb/duckdb-python#463), which the reference must not do at random."""
    plain = ibis.duckdb.connect(str(store.path), read_only=True)
    plain.con.execute("SET disabled_optimizers = 'join_filter_pushdown'")
    try:
        yield plain
    finally:
        plain.disconnect()


@pytest.mark.parametrize(
    ("ids", "pipeline", "wallets", "min_peers"),
    [
        *[(ids, "one", wallets, 3) for ids in ACCOUNTS for wallets in WALLET_SETS],
        *[(ids, "units", "more", 1) for ids in ACCOUNTS],
        (("A", "P1"), "none", "more", 4),
        (("A", "P1", "P2", "L1", "S2"), "units", "two", 2),
    ],
)
def test_categories_equal_the_expressions(reader, ids, pipeline, wallets, min_peers):
    con, as_of, plain = reader
    query = ws.WhitespaceQuery(ids, as_of, min_peers)
    args = (PIPELINES[pipeline], WALLET_SETS[wallets])
    expected = ws.categories(plain, query, *args).to_pyarrow()
    found = copy.categories(con, query, *args)
    assert found.schema == expected.schema
    assert found.to_pylist() == expected.to_pylist()
    assert "whitespace" in (reader_memo(con) or {})


@pytest.mark.parametrize("ids", ACCOUNTS)
@pytest.mark.parametrize("pipeline", PIPELINES)
def test_cells_equal_the_expressions(reader, ids, pipeline):
    con, as_of, plain = reader
    query = ws.WhitespaceQuery(ids, as_of)
    expected = ws.cells(plain, query, PIPELINES[pipeline]).to_pyarrow()
    found = copy.cells(con, query, PIPELINES[pipeline])
    assert found.schema == expected.schema
    assert found.to_pylist() == expected.to_pylist()


def _sorted(table):
    return sorted(table.to_pylist(), key=lambda r: (r["customer_id"], r["category"], r["peer_id"]))


@pytest.mark.parametrize("ids", ACCOUNTS)
@pytest.mark.parametrize("wallets", WALLET_SETS)
def test_peers_equal_the_expressions(reader, ids, wallets):
    con, as_of, plain = reader
    query = ws.WhitespaceQuery(ids, as_of)
    expected = ws.peers_of(plain, query, WALLET_SETS[wallets]).to_pyarrow()
    found = copy.peers_of(con, query, WALLET_SETS[wallets])
    assert found.schema == expected.schema
    pairs = zip(_sorted(found), _sorted(expected), strict=True)
    assert all(same_row(a, b) for a, b in pairs)


def test_a_wallet_passed_after_the_first_answer_counts(reader):
    """The copy's derived tables hold purchases only: a peer's wallet entered since the last
    request moves the estimate at once, and the account's own replaces the estimate."""
    con, as_of, _ = reader
    query = ws.WhitespaceQuery(("A",), as_of)
    before = {r["category"]: r for r in copy.categories(con, query, PIPELINE, WALLETS).to_pylist()}
    assert (before["Valves"]["wallet"], before["Valves"]["wallet_source"]) == (500.0, "peers")
    peer = {"customer_id": "P2", "category": "Valves", "amount": 2000.0}
    raised = ws.wallet_table([*WALLETS.to_pylist(), peer])
    after = {r["category"]: r for r in copy.categories(con, query, PIPELINE, raised).to_pylist()}
    assert (after["Valves"]["wallet"], after["Valves"]["peer_high"]) == (900.0, 2000.0)
    own = ws.wallet_table([{"customer_id": "A", "category": "Valves", "amount": 1500.0}])
    mine = {r["category"]: r for r in copy.categories(con, query, PIPELINE, own).to_pylist()}
    assert (mine["Valves"]["wallet"], mine["Valves"]["wallet_source"]) == (1500.0, "entered")


def test_on_the_writer_or_another_date_the_expressions_answer(tmp_path):
    store = AnalyticsStore(f"duckdb://{tmp_path / 'store.duckdb'}")
    with store.connect() as con:
        seed(con)
        query = ws.WhitespaceQuery(("A",), latest_transaction_date(con))
        found = copy.categories(con, query, PIPELINE, WALLETS)
        assert (
            found.to_pylist()
            == ws.categories(con, query, PIPELINE, WALLETS).to_pyarrow().to_pylist()
        )
    with store.connect(read_only=True) as con:
        earlier = ws.WhitespaceQuery(("A",), ws.add_months(latest_transaction_date(con), -13))
        found = copy.categories(con, earlier, PIPELINE, WALLETS)
        assert (
            found.to_pylist()
            == ws.categories(con, earlier, PIPELINE, WALLETS).to_pyarrow().to_pylist()
        )
        assert "whitespace" not in (reader_memo(con) or {})


@pytest.fixture(scope="module")
def crowd(tmp_path_factory):
    """Ninety customers in two segments buying four categories at random, ties and credit
    notes included, and wallets for a tenth of them: medians of odd and even counts, an
    account's own spend equal to a peer's, cells a wallet touches and cells it does not."""
    rng = random.Random(11)
    store = AnalyticsStore(f"duckdb://{tmp_path_factory.mktemp('crowd') / 'store.duckdb'}")
    customers = [(f"C{i:02d}", f"Customer {i}", None, "DE", "EMEA", ("Retail", None)[i % 2])
                 for i in range(90)]  # fmt: skip
    lines = []
    for number in range(900):
        customer = customers[rng.randrange(90)][0]
        revenue = rng.choice([100.0, 250.0, 333.33, rng.uniform(-200, 5000)])
        unit = rng.choice(["North", "South", None])
        lines.append((f"I{number}", "1", customer, "2024-03-15", "p",
                      rng.choice(["Pumps", "Valves", "Seals", "Gaskets"]), unit, 1.0, revenue,
                      None, "invoice"))  # fmt: skip
    with store.connect() as con:
        raw = con.con
        raw.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)", customers)
        raw.executemany(
            "INSERT INTO transactions VALUES (?, ?, ?, ?::DATE, ?, ?, ?, ?, ?, ?, ?)", lines
        )
        raw.execute(
            "INSERT INTO customer_month SELECT customer_id, date_trunc('month', date)::DATE, "
            "sum(revenue), 0, sum(quantity), count(*), count(*), min(date), max(date) "
            "FROM transactions GROUP BY ALL"
        )
    wallets = ws.wallet_table(
        [{"customer_id": f"C{i:02d}", "category": rng.choice(["Pumps", "Seals"]),
          "amount": rng.choice([0.0, 250.0, rng.uniform(1, 9000)])} for i in range(0, 90, 9)]
    )  # fmt: skip
    with store.connect(read_only=True) as con, _plain(store) as plain:
        yield con, latest_transaction_date(con), wallets, plain


@pytest.mark.parametrize("wallets", ["none", "some"])
@pytest.mark.parametrize("min_peers", [1, 3])
def test_a_crowd_of_accounts_equals_the_expressions(crowd, wallets, min_peers):
    con, as_of, some, plain = crowd
    entered = some if wallets == "some" else ws.wallet_table([])
    query = ws.WhitespaceQuery(tuple(f"C{i:02d}" for i in range(0, 90, 4)), as_of, min_peers)
    no_pipeline = ws.pipeline_table([])
    expected = ws.categories(plain, query, no_pipeline, entered).to_pyarrow().to_pylist()
    found = copy.categories(con, query, no_pipeline, entered).to_pylist()
    assert sum(1 for row in found if row["wallet_source"] == "peers") > 10
    assert [same_row(a, b) for a, b in zip(found, expected, strict=True)] == [True] * len(found)


def same_row(found: dict, expected: dict) -> bool:
    """Equal, sums of many lines to the last bits aside (DuckDB adds them in no set order,
    so two runs of the same expression may differ there too)."""

    def same(a, b) -> bool:
        if isinstance(a, float) and isinstance(b, float):
            return math.isclose(a, b, rel_tol=1e-12)
        return a == b

    return found.keys() == expected.keys() and all(same(found[k], expected[k]) for k in found)


@pytest.mark.parametrize("most", [1, 2])
def test_the_peers_that_spend_most_are_those_of_the_whole_list(crowd, most):
    con, as_of, wallets, plain = crowd
    query = ws.WhitespaceQuery(("C00", "C04", "C08"), as_of)
    expected, seen = [], {}
    for peer in _sorted_by_rank(copy.peers_of(con, query, wallets).to_pylist()):
        key = (peer["customer_id"], peer["category"])
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= most:
            expected.append(peer)
    assert len(expected) > 3 * most
    found = copy.peers_of(con, query, wallets, most=most).to_pylist()
    assert _sorted_by_rank(found) == expected
    written = ws.peers_of(plain, query, wallets).to_pyarrow()
    chosen = _sorted_by_rank(copy._most(written, most).to_pylist())
    assert [same_row(a, b) for a, b in zip(chosen, expected, strict=True)] == [True] * len(chosen)


def _sorted_by_rank(rows):
    return sorted(rows, key=lambda p: (p["customer_id"], p["category"], -p["spend"], p["peer_id"]))


class _Refusing:
    """A connection whose DuckDB refuses every query with ``message``."""

    def __init__(self, message):
        self.con = self
        self.message = message

    def execute(self, sql, params):
        raise duckdb.NotImplementedException(self.message)


def test_a_plan_duckdb_cannot_run_on_arrow_tables_is_answered_by_the_expressions(
    reader, monkeypatch
):
    bloom = "Not implemented Error: Pushdown Filter Type BLOOM_FILTER is not currently supported"
    assert copy._answer(_Refusing(bloom), "SELECT 1", {}) is None
    with pytest.raises(duckdb.NotImplementedException):
        copy._answer(_Refusing("something else"), "SELECT 1", {})
    con, as_of, plain = reader
    query = ws.WhitespaceQuery(("A", "P1"), as_of)
    monkeypatch.setattr(copy, "_answer", lambda *args: None)
    expected = ws.categories(plain, query, PIPELINE, WALLETS).to_pyarrow()
    assert copy.categories(con, query, PIPELINE, WALLETS).to_pylist() == expected.to_pylist()
    assert copy.peers_of(con, query, WALLETS, most=1).num_rows > 0
    assert copy.cells(con, query, PIPELINE).num_rows > 0


def test_the_expressions_run_without_join_filters_and_leave_the_connection_as_it_was(reader):
    # DuckDB 1.5 may push a join's Bloom filter into an Arrow scan and refuse the plan, at
    # random with the plan it picks: the fallback to the expressions must not be refused too.
    con, _, _ = reader

    def disabled() -> str:
        return con.con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]

    class Seen:
        def to_pyarrow(self):
            return pa.table({"off": [disabled()]})

    class Broken:
        def to_pyarrow(self):
            raise duckdb.NotImplementedException("refused")

    assert copy._by_expressions(con, Seen()).column("off").to_pylist() == ["join_filter_pushdown"]
    assert disabled() == ""
    with pytest.raises(duckdb.NotImplementedException):
        copy._by_expressions(con, Broken())
    assert disabled() == ""
