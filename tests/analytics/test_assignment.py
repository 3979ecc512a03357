import pytest

from kam.analytics.assignment import (
    AccountToAssign,
    AssignmentInfeasible,
    ManagerCapacity,
    SponsorCapacity,
    assign_accounts,
    assign_sponsors,
)


def _accounts(n: int, tier: str = "Tier 3", manager: str | None = None) -> list[AccountToAssign]:
    return [AccountToAssign(f"C{i:03}", tier, manager) for i in range(n)]


def _managers(*names: str, low: int = 5, high: int = 10) -> list[ManagerCapacity]:
    return [ManagerCapacity(name, low, high) for name in names]


@pytest.mark.parametrize(
    ("accounts", "managers", "message"),
    [
        (38, _managers("ann", "bo", "cy"), "38 key accounts, capacity 30 (3 managers × up to 10)"),
        (12, _managers("ann", "bo", "cy"), "12 key accounts cannot give 3 managers their minimum"),
        (4, [], "4 key accounts and no key account manager"),
    ],
)
def test_infeasible_capacity_is_explained_in_plain_words(accounts, managers, message):
    with pytest.raises(AssignmentInfeasible, match=message.replace("(", r"\(").replace(")", r"\)")):
        assign_accounts(_accounts(accounts), managers)


def test_every_manager_stays_within_capacity():
    result = assign_accounts(_accounts(27), _managers("ann", "bo", "cy"))
    assert sorted(w.accounts for w in result.workloads) == [9, 9, 9]
    assert len({p.customer_id for p in result.placements}) == 27


def test_per_manager_capacity_is_respected():
    managers = [ManagerCapacity("ann", 2, 3), ManagerCapacity("bo", 5, 10)]
    result = assign_accounts(_accounts(11), managers)
    counts = {w.manager: w.accounts for w in result.workloads}
    assert counts["ann"] <= 3
    assert counts["bo"] >= 8


def test_current_managers_are_kept_when_capacity_allows():
    accounts = _accounts(6, manager="ann") + [
        AccountToAssign(f"D{i}", "Tier 3", "bo") for i in range(6)
    ]
    result = assign_accounts(accounts, _managers("ann", "bo"))
    assert result.moves == 0
    assert all(p.manager == p.previous_manager for p in result.placements)


def test_an_overloaded_manager_hands_over_only_what_capacity_forces():
    accounts = _accounts(13, manager="ann")
    result = assign_accounts(accounts, _managers("ann", "bo", low=3))
    assert [w.accounts for w in result.workloads] == [10, 3]
    assert result.moves == 3


def test_workload_is_balanced_by_tier_weight_not_just_counts():
    accounts = [AccountToAssign(f"T1-{i}", "Tier 1") for i in range(6)] + [
        AccountToAssign(f"T3-{i}", "Tier 3") for i in range(14)
    ]
    result = assign_accounts(accounts, _managers("ann", "bo"))
    # 6 × 3 + 14 × 1 = 32 units over 10 accounts each: only 3 Tier 1 apiece gives 16 and 16.
    assert sorted(w.load for w in result.workloads) == [16, 16]
    assert result.spread == 0
    assert {
        sum(p.tier == "Tier 1" for p in result.placements if p.manager == m) for m in ("ann", "bo")
    } == {3}


def test_departed_manager_accounts_are_reassigned_without_counting_as_kept():
    accounts = _accounts(10, manager="gone")
    result = assign_accounts(accounts, _managers("ann", "bo"))
    assert {p.manager for p in result.placements} <= {"ann", "bo"}
    assert result.moves == 10


def _tier_one(n: int, sponsor: str | None = None) -> list[AccountToAssign]:
    return [AccountToAssign(f"T{i:03}", "Tier 1", None, sponsor) for i in range(n)]


def test_every_tier_one_account_gets_a_sponsor_within_their_capacity():
    accounts = _tier_one(7) + _accounts(8, "Tier 2")
    sponsors = [SponsorCapacity("ceo", 2), SponsorCapacity("cfo", 6)]
    result = assign_accounts(accounts, _managers("ann", "bo", low=5), sponsors=sponsors)
    by_id = {p.customer_id: p for p in result.placements}
    assert all(by_id[f"T{i:03}"].sponsor in {"ceo", "cfo"} for i in range(7))
    assert all(by_id[f"C{i:03}"].sponsor is None for i in range(8))  # Tier 2: no sponsor
    loads = {s.sponsor: s.accounts for s in result.sponsorship.sponsor_loads}
    assert loads["ceo"] <= 2
    assert loads["ceo"] + loads["cfo"] == 7
    assert result.sponsorship.unsponsored == ()
    assert result.sponsorship.sponsor_problem == ""


def test_sponsors_are_kept_where_capacity_allows():
    accounts = _tier_one(3, sponsor="cfo") + _accounts(7)
    sponsors = [SponsorCapacity("ceo", 5), SponsorCapacity("cfo", 5)]
    result = assign_accounts(accounts, _managers("ann", "bo", low=5), sponsors=sponsors)
    assert {p.sponsor for p in result.placements if p.tier == "Tier 1"} == {"cfo"}


def test_short_sponsor_capacity_leaves_managers_assigned_and_says_how_many_lack_one():
    accounts = _tier_one(6) + _accounts(4)
    sponsors = [SponsorCapacity("ceo", 2), SponsorCapacity("cfo", 2)]
    result = assign_accounts(accounts, _managers("ann", "bo", low=5), sponsors=sponsors)
    assert len(result.sponsorship.unsponsored) == 2
    assert all(p.manager in {"ann", "bo"} for p in result.placements)
    assert result.sponsorship.sponsor_problem.startswith(
        "6 Tier 1 accounts need an executive sponsor, sponsor capacity 4 (2 sponsors): 2 left"
    )


def test_sponsors_are_proposed_even_when_the_managers_cannot_be():
    accounts = _tier_one(3)
    with pytest.raises(AssignmentInfeasible):
        assign_accounts(accounts, _managers("ann", "bo", low=5))
    alone = assign_sponsors(accounts, [SponsorCapacity("ceo", 1), SponsorCapacity("cfo", 4)])
    assert sorted(name for _, name in alone.sponsor_of) == ["ceo", "cfo", "cfo"]
    assert alone.unsponsored == ()
