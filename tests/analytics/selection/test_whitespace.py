"""Whitespace on hand-built lines (whitespace_data): the cells, share of wallet, the peer
estimate with a known answer, and the gaps ranked."""

import math

import pytest
from whitespace_data import AS_OF, NO_PIPELINE, PIPELINE, WALLETS, by_key, seed

from kam.analytics.store import AnalyticsStore
from kam.analytics.whitespace import (
    WhitespaceQuery,
    biggest_gaps,
    categories,
    cells,
    peers_of,
    wallet_table,
)

QUERY = WhitespaceQuery(("A",), AS_OF)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    store = AnalyticsStore(f"duckdb://{tmp_path_factory.mktemp('ws') / 'store.duckdb'}")
    with store.connect() as con:
        seed(con)
        yield con


@pytest.mark.parametrize(
    ("category", "unit", "state", "revenue", "pipeline"),
    [
        ("Pumps", "North", "bought", 1000.0, 0.0),
        ("Pumps", "South", "bought", 200.0, 0.0),
        ("Valves", "North", "in_pipeline", 0.0, 400.0),
        ("Valves", "South", "open", 0.0, 0.0),
        ("Seals", "North", "open", 0.0, 0.0),
        ("Seals", "South", "open", 0.0, 0.0),
    ],
)
def test_each_cell_is_bought_in_pipeline_or_open(con, category, unit, state, revenue, pipeline):
    grid = by_key(cells(con, QUERY, PIPELINE).to_pyarrow(), "category", "business_unit")
    assert (grid[(category, unit)]["state"], grid[(category, unit)]["revenue_12m"],
            grid[(category, unit)]["pipeline"]) == (state, revenue, pipeline)  # fmt: skip


def test_the_grid_has_the_accounts_units_and_every_category_sold(con):
    grid = cells(con, QUERY, NO_PIPELINE).to_pyarrow()
    assert sorted(set(grid.column("business_unit").to_pylist())) == ["North", "South"]
    assert sorted(set(grid.column("category").to_pylist())) == ["Pumps", "Seals", "Valves"]


def test_without_the_opportunity_the_cell_is_open(con):
    grid = by_key(cells(con, QUERY, NO_PIPELINE).to_pyarrow(), "category", "business_unit")
    assert grid[("Valves", "North")]["state"] == "open"


def test_share_of_wallet_on_an_entered_wallet(con):
    rows = by_key(categories(con, QUERY, PIPELINE, WALLETS).to_pyarrow(), "category")
    pumps = rows[("Pumps",)]
    assert (pumps["wallet_source"], pumps["wallet"], pumps["bought"]) == ("entered", 4800.0, 1200.0)
    assert pumps["share_of_wallet"] == pytest.approx(0.25)
    assert (pumps["open_wallet"], pumps["gap_kind"]) == (3600.0, "up-sell")


def test_the_peer_estimate_is_the_median_of_the_peers_spend(con):
    rows = by_key(categories(con, QUERY, PIPELINE, WALLETS).to_pyarrow(), "category")
    valves = rows[("Valves",)]
    assert valves["wallet_entered"] is None
    assert (valves["wallet_source"], valves["wallet"]) == ("peers", 500.0)
    assert (valves["peer_low"], valves["peer_high"], valves["peer_count"]) == (300.0, 900.0, 3)
    assert (valves["share_of_wallet"], valves["open_wallet"]) == (0.0, 500.0)
    assert (valves["gap_kind"], valves["pipeline"]) == ("cross-sell", 400.0)


def test_an_estimate_below_what_the_account_buys_is_raised_to_it(con):
    """A's peers buy Pumps for 800, 600 and 500; A buys 1,200: without A's entered wallet
    the estimate is 1,200 (the peers' median 600 kept beside it), all held, nothing open."""
    rows = by_key(categories(con, QUERY, PIPELINE, wallet_table([])).to_pyarrow(), "category")
    pumps = rows[("Pumps",)]
    assert (pumps["wallet_source"], pumps["peer_median"], pumps["wallet"]) == (
        "peers",
        600.0,
        1200.0,
    )
    assert (pumps["share_of_wallet"], pumps["open_wallet"]) == (1.0, 0.0)


def test_the_peers_are_same_segment_and_size_band(con):
    peers = peers_of(con, QUERY, WALLETS).to_pyarrow()
    valves = sorted((r["peer_id"], r["spend"], r["from_wallet"]) for r in peers.to_pylist()
                    if r["category"] == "Valves")  # fmt: skip
    assert valves == [("P1", 300.0, False), ("P2", 500.0, False), ("P3", 900.0, True)]


def test_too_few_peers_give_no_estimate(con):
    rows = by_key(categories(con, QUERY, PIPELINE, WALLETS).to_pyarrow(), "category")
    seals = rows[("Seals",)]
    assert (seals["wallet"], seals["wallet_source"], seals["share_of_wallet"]) == (None, None, None)


def test_a_higher_bar_for_peers_drops_the_estimate(con):
    strict = WhitespaceQuery(("A",), AS_OF, min_peers=4)
    rows = by_key(categories(con, strict, PIPELINE, WALLETS).to_pyarrow(), "category")
    assert rows[("Valves",)]["wallet"] is None


def test_an_entered_wallet_below_purchases_leaves_nothing_open(con):
    low = wallet_table([{"customer_id": "A", "category": "Pumps", "amount": 1000.0}])
    rows = by_key(categories(con, QUERY, PIPELINE, low).to_pyarrow(), "category")
    assert rows[("Pumps",)]["open_wallet"] == 0.0
    assert rows[("Pumps",)]["share_of_wallet"] == pytest.approx(1.2)


def test_a_non_finite_wallet_is_missing():
    table = wallet_table([{"customer_id": "A", "category": "Pumps", "amount": math.nan}])
    assert table.num_rows == 0


def test_gaps_rank_biggest_first(con):
    gaps = biggest_gaps(categories(con, QUERY, PIPELINE, WALLETS).to_pyarrow())
    assert [(g.category, g.kind, g.open_wallet) for g in gaps] == [
        ("Pumps", "up-sell", 3600.0),
        ("Valves", "cross-sell", 500.0),
    ]
