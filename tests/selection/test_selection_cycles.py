"""Scoring runs, explanations, cycles (add / keep / remove, reasons, quadrant moves),
overrides, publishing, and the manager assignment."""

from dataclasses import replace

import pytest

from kam.analytics.assignment import AssignmentInfeasible
from kam.people.roles import Role
from kam.selection import assignment, queries, services
from kam.selection.models import KeyAccount, ScoreRun, SelectionCycle

RELATIONSHIP_RATINGS = (
    "relationship_position",
    "decision_maker_access",
    "willingness_to_collaborate",
)
STRONG: dict[str, int | None] = dict.fromkeys(RELATIONSHIP_RATINGS, 5)
ATTRACTIVE: dict[str, int | None] = dict.fromkeys(
    ("strategic_importance", "influence", "harmony_fit"), 5
)


def without_bands(user):
    """Save a policy version whose key set follows the ranking with no hysteresis."""
    base = services.do_ensure_default_policy().policy()
    return services.do_save_policy(user, replace(base, keep_band=0.0, entry_band=0.0))


def test_a_scoring_run_is_recorded_and_explained(portfolio, head_of_kam):
    run = services.do_run_scoring(head_of_kam)
    assert run.status == ScoreRun.Status.DONE
    assert (run.customers, run.key_accounts, str(run.as_of)) == (20, 3, "2024-06-28")
    score = queries.account_score(head_of_kam, run, "C000")
    rows = {c["criterion_key"]: c for c in score.criteria}
    assert rows["revenue_12m"]["missing"] is False
    assert rows["revenue_12m"]["points"] == 5.0
    # Nobody rated the account and no lifetime-value model ran: missing, and left out.
    assert rows["future_value"]["missing"]
    assert rows["future_value"]["weighted_points"] is None
    assert rows["harmony_fit"]["missing"]
    assert rows["harmony_fit"]["raw_value"] is None
    present = [c for c in score.criteria if c["weighted_points"] is not None]
    assert sum(c["weighted_points"] for c in present) == pytest.approx(score.row["total"])


def test_the_explanation_page_shows_missing_as_missing(client, portfolio, head_of_kam):
    from django.urls import reverse

    services.do_run_scoring(head_of_kam)
    client.force_login(head_of_kam)
    html = client.get(reverse("selection:account", args=["C000"])).content.decode()
    future = html[html.index('data-criterion="future_value"') :][:600]
    assert "missing" in future
    assert "not counted as zero" in future


def publish(user, cycle):
    services.do_approve_cycle(user, cycle)
    return services.do_publish_cycle(user, cycle)


def test_the_first_cycle_adds_and_publishing_designates_key_accounts(portfolio, head_of_kam):
    cycle = services.do_create_cycle(head_of_kam)
    proposals = {d.account_id: d.proposal for d in cycle.decisions.all()}
    assert proposals == {"C000": "add", "C003": "add", "C006": "add"}
    with pytest.raises(services.SelectionError, match="approve it"):
        services.do_publish_cycle(head_of_kam, cycle)
    publish(head_of_kam, cycle)
    keys = {k.account_id: k for k in KeyAccount.objects.all()}
    assert set(keys) == {"C000", "C003", "C006"}
    assert all(k.since_cycle == cycle and k.tier for k in keys.values())


def test_a_second_cycle_adds_keeps_removes_with_reasons(portfolio, head_of_kam):
    # The ranking reads attractiveness: strong relationship ratings alone never make
    # C001 (second largest, declining) key, its strategic importance and fit do.
    without_bands(head_of_kam)
    first = services.do_create_cycle(head_of_kam)
    publish(head_of_kam, first)
    services.do_rate_account(head_of_kam, "C001", STRONG)
    strong_only = services.do_create_cycle(head_of_kam)
    assert not strong_only.decisions.filter(account_id="C001").exists()
    services.do_rate_account(head_of_kam, "C001", ATTRACTIVE)
    second = services.do_create_cycle(head_of_kam, name="Next year")
    decisions = {d.account_id: d for d in second.decisions.all()}
    assert decisions["C001"].proposal == "add"
    assert {d.proposal for d in decisions.values()} == {"add", "keep", "remove"}
    removed = next(d for d in decisions.values() if d.proposal == "remove")
    assert removed.previous_tier
    assert removed.total is not None
    assert "no longer makes it a key account" in removed.why
    reasons = {r["key"] for r in decisions["C001"].reasons}
    assert "strategic_importance" in reasons
    assert decisions["C001"].reasons[0]["after"] == 5.0
    assert second.previous == first


def test_a_key_set_is_kept_within_the_bands(portfolio, head_of_kam):
    first = services.do_create_cycle(head_of_kam)
    publish(head_of_kam, first)
    again = services.do_create_cycle(head_of_kam)
    assert {d.proposal for d in again.decisions.all()} == {"keep"}  # same data: no churn
    services.do_rate_account(head_of_kam, "C001", ATTRACTIVE)
    second = services.do_create_cycle(head_of_kam)
    # C001 now ranks among the three, but no key account fell clearly below the cut.
    assert {d.proposal for d in second.decisions.all()} == {"keep"}
    review = queries.cycle_review(head_of_kam, second.pk)
    assert review.churn == 0.0
    assert not review.churn_above_band


def test_an_account_changing_quadrant_is_flagged(portfolio, head_of_kam):
    first = services.do_create_cycle(head_of_kam)
    publish(head_of_kam, first)
    before = first.decisions.get(account_id="C000").quadrant
    assert before == "strategic"  # the biggest account, above the key accounts' means
    # Weak relationship ratings pull it below the key accounts' mean relationship strength.
    services.do_rate_account(head_of_kam, "C000", dict.fromkeys(RELATIONSHIP_RATINGS, 1))
    second = services.do_create_cycle(head_of_kam)
    after = second.decisions.get(account_id="C000")
    assert (after.previous_quadrant, after.quadrant) == ("strategic", "star")
    assert after.quadrant_changed
    assert not first.decisions.get(account_id="C000").quadrant_changed


def test_an_override_needs_a_reason_and_counts_on_publish(portfolio, head_of_kam):
    cycle = services.do_create_cycle(head_of_kam)
    with pytest.raises(services.SelectionError, match="needs a reason"):
        services.do_override_decision(head_of_kam, cycle, "C006", is_key=False, reason="  ")
    services.do_override_decision(head_of_kam, cycle, "C006", is_key=False, reason="in liquidation")
    services.do_override_decision(head_of_kam, cycle, "C010", is_key=True, reason="new CEO is ours")
    publish(head_of_kam, cycle)
    assert set(KeyAccount.objects.values_list("account_id", flat=True)) == {"C000", "C003", "C010"}
    with pytest.raises(services.SelectionError, match="published"):
        services.do_override_decision(head_of_kam, cycle, "C000", is_key=False, reason="late")


def test_overriding_an_approved_cycle_sends_it_back_to_draft(portfolio, head_of_kam):
    cycle = services.do_create_cycle(head_of_kam)
    services.do_approve_cycle(head_of_kam, cycle)
    services.do_override_decision(head_of_kam, cycle, "C000", is_key=False, reason="conflict")
    cycle.refresh_from_db()
    assert cycle.status == SelectionCycle.Status.DRAFT


def test_cycles_compare(portfolio, head_of_kam):
    without_bands(head_of_kam)
    first = services.do_create_cycle(head_of_kam)
    publish(head_of_kam, first)
    services.do_rate_account(head_of_kam, "C001", ATTRACTIVE)
    second = services.do_create_cycle(head_of_kam)
    comparison = queries.compare_cycles(head_of_kam, second, first)
    assert comparison.older == first
    assert "C001" in {d.account_id for d in comparison.added}
    assert len(comparison.added) == len(comparison.removed) == 1


@pytest.fixture
def managers(make_user):
    users = [make_user(Role.KEY_ACCOUNT_MANAGER, f"kam{i}") for i in range(2)]
    _capacity(users, 1, 2)
    return users


def _capacity(users, low, high):
    for user in users:
        user.min_key_accounts, user.max_key_accounts = low, high
        user.save()


def test_the_assignment_respects_capacity_and_is_applied(portfolio, head_of_kam, managers):
    cycle = services.do_create_cycle(head_of_kam)
    publish(head_of_kam, cycle)
    proposal = assignment.propose_assignment(head_of_kam, cycle)
    assert proposal.problem == ""
    placements = {p.customer_id: p.manager for p in proposal.assignment.placements}
    services.do_apply_assignment(head_of_kam, cycle, placements)
    held = {}
    for key in KeyAccount.objects.select_related("manager"):
        held[key.manager.username] = held.get(key.manager.username, 0) + 1
    assert sorted(held.values()) == [1, 2]
    loads, unassigned = assignment.workload(head_of_kam, cycle)
    assert not unassigned
    assert all(load.within for load in loads)


def test_an_assignment_breaking_capacity_is_refused(portfolio, head_of_kam, managers):
    cycle = services.do_create_cycle(head_of_kam)
    with pytest.raises(AssignmentInfeasible, match="would hold 3 key accounts"):
        services.do_apply_assignment(
            head_of_kam, cycle, dict.fromkeys(("C000", "C003", "C006"), "kam0")
        )


def test_infeasibility_is_said_plainly_on_the_page(client, portfolio, head_of_kam, managers):
    from django.urls import reverse

    _capacity(managers, 1, 1)
    cycle = services.do_create_cycle(head_of_kam)
    # Capacity caps the proposal at 2 key accounts; an override takes it past what fits.
    assert sum(d.is_key for d in cycle.decisions.all()) == 2
    services.do_override_decision(head_of_kam, cycle, "C010", is_key=True, reason="new CEO")
    client.force_login(head_of_kam)
    html = client.get(reverse("selection:assignment", args=[cycle.pk])).content.decode()
    assert "No assignment is possible" in html
    assert "3 key accounts, capacity 2 (2 managers × up to 1)" in html


def test_a_new_share_changes_how_many_are_key(portfolio, head_of_kam):
    base = services.do_ensure_default_policy().policy()
    version = services.do_save_policy(head_of_kam, replace(base, key_account_share=0.3))
    run = services.do_run_scoring(head_of_kam, version)
    assert run.key_accounts == 6
