"""The post-launch questions answered yes, no or not enough data, and the checklist's
maturity score, on hand-built figures."""

from datetime import datetime

import pytest

from kam.analytics.program.pnl import CostSource, CostToServe, Sales
from kam.analytics.program.roi import Estimate
from kam.analytics.program.wallet import Wallet, wallet_share
from kam.performance.checklist import ITEMS, maturity, maturity_over_time
from kam.performance.measured import (
    Reply,
    Roi,
    _cost_answer,
    compare,
    revenue_answer,
    wallet_answer,
)


@pytest.mark.parametrize(
    ("now", "before", "count", "reply"),
    [
        (30.0, 28.0, 12, Reply.YES),
        (27.0, 28.0, 12, Reply.NO),
        (28.0, 28.0, 12, Reply.NO),  # unchanged is not a rise
        (30.0, 28.0, 9, Reply.NOT_ENOUGH),  # too few accounts behind it
        (None, 28.0, 12, Reply.NOT_ENOUGH),
    ],
)
def test_compare_answers_yes_no_or_not_enough_data(now, before, count, reply):
    answer = compare("margins_up", "Did margins rise?", now, before, "%", count)
    assert answer.reply == reply
    if reply != Reply.NOT_ENOUGH:
        assert f"{before:,.1f}% the year before" in answer.figures


def test_a_small_rise_is_shown_with_the_places_that_tell_it():
    answer = compare("satisfaction_up", "Did satisfaction go up?", 3.84, 3.78, " / 5", 40)
    assert answer.reply == Reply.YES
    assert answer.figures == "3.78 / 5 the year before, 3.84 / 5 now"


def _roi(estimate: Estimate) -> Roi:
    return Roi("Cycle 2025", datetime(2025, 6, 30).date(), 12, 40, estimate, estimate, None,
               None, None, None, None, None, "", None)  # fmt: skip


@pytest.mark.parametrize(
    ("estimate", "reply"),
    [
        (Estimate("matched", 0.06, 0.02, 0.10, 40), Reply.YES),
        (Estimate("matched", 0.01, -0.03, 0.05, 40), Reply.NO),
        (Estimate("matched", -0.06, -0.10, -0.02, 40), Reply.NO),
        (Estimate("matched", None, None, None, 4, why="4 pairs"), Reply.NOT_ENOUGH),
    ],
)
def test_revenue_grew_faster_follows_the_matched_interval(estimate, reply):
    answer = revenue_answer(_roi(estimate))
    assert answer.reply == reply
    assert revenue_answer(None).reply == Reply.NOT_ENOUGH


def _costs(amount: float) -> dict[str, CostToServe]:
    return {f"C{i}": CostToServe(amount, CostSource.ESTIMATED) for i in range(12)}


def _sales(revenue: float) -> dict[str, Sales]:
    return {f"C{i}": Sales(revenue, None) for i in range(12)}


@pytest.mark.parametrize(
    ("cost_now", "cost_then", "reply"),
    [(130.0, 100.0, Reply.YES), (105.0, 100.0, Reply.NO), (10.0, 0.0, Reply.NOT_ENOUGH)],
)
def test_cost_to_serve_against_revenue(cost_now, cost_then, reply):
    # revenue grew 10%
    answer = _cost_answer(_costs(cost_now), _costs(cost_then), _sales(1100.0), _sales(1000.0))
    assert answer.reply == reply
    if reply != Reply.NOT_ENOUGH:
        assert "revenue +10.0%" in answer.figures
        assert "estimated" in answer.figures


@pytest.mark.parametrize(
    ("answers", "score"),
    [
        ({}, 0.0),
        ({item.key: item.good for item in ITEMS}, 100.0),
        ({item.key: "yes" for item in ITEMS}, (len(ITEMS) - 1) / len(ITEMS) * 100),
        ({item.key: "partly" for item in ITEMS}, 50.0),
        ({ITEMS[0].key: "yes", ITEMS[1].key: "partly", ITEMS[2].key: "no"}, 1.5 / len(ITEMS) * 100),
    ],
)
def test_maturity_counts_yes_one_partly_half(answers, score):
    assert maturity(answers) == pytest.approx(score)


def test_maturity_over_time_replays_the_answers():
    items = ITEMS[:4]
    history = [
        (datetime(2026, 1, 1), items[0].key, "no"),
        (datetime(2026, 2, 1), items[0].key, "yes"),
        (datetime(2026, 3, 1), items[1].key, "partly"),
    ]
    assert [score for _when, score in maturity_over_time(history, items)] == [0.0, 25.0, 37.5]


def _wallets(accounts: int, amount: float = 1000.0) -> list[Wallet]:
    return [Wallet(f"C{i}", category, amount) for i in range(accounts) for category in "AB"]


def _bought(accounts: int, each: float) -> dict[tuple[str, str], float]:
    return {(f"C{i}", category): each for i in range(accounts) for category in "AB"}


@pytest.mark.parametrize(
    ("accounts", "now", "before", "reply"),
    [
        (12, 400.0, 300.0, Reply.YES),  # 40% of the wallets now, 30% the year before
        (12, 300.0, 400.0, Reply.NO),
        (12, 300.0, 300.0, Reply.NO),  # unchanged is not growth
        (9, 400.0, 300.0, Reply.NOT_ENOUGH),  # too few key accounts with an estimate
        (0, 400.0, 300.0, Reply.NOT_ENOUGH),
    ],
)
def test_share_of_wallet_answers_from_the_wallet_estimates(accounts, now, before, reply):
    answer = wallet_answer(_wallets(accounts), _bought(accounts, now), _bought(accounts, before))
    assert answer.reply == reply
    if reply == Reply.NOT_ENOUGH:
        assert f"{accounts} key account" in answer.figures
        assert "at least 10" in answer.figures
    else:
        assert f"{before / 10:.1f}% of the estimated wallets the year before" in answer.figures
        assert f"{now / 10:.1f}% now" in answer.figures
        assert f"24 estimates on {accounts} key accounts" in answer.figures


def test_share_of_wallet_counts_only_the_categories_estimated():
    wallets = _wallets(10)
    now = {**_bought(10, 500.0), ("C0", "Z"): 1e9}  # a category with no estimate
    before = {**_bought(10, 500.0), ("C1", "A"): -50.0}  # credit notes outweigh: nothing
    found = wallet_share(wallets, now, before)
    assert found.share_now == pytest.approx(0.5)
    assert found.share_before == pytest.approx((19 * 500.0) / 20_000)
    assert wallet_answer(wallets, now, before).reply == Reply.YES
