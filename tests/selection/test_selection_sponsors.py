"""Executive sponsors of Tier 1 accounts in the cycle's assignment, their capacity, their
page, and plans that follow the key account manager."""

import json
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.accounts.models import Account
from kam.analytics.assignment import AssignmentInfeasible
from kam.people.roles import Role
from kam.plans.services import do_create_plan
from kam.selection import assignment, services
from kam.selection.models import (
    CycleDecision,
    KeyAccount,
    ScoreRun,
    SelectionCycle,
    TierChoice,
)


@pytest.fixture
def managers(make_user):
    users = [make_user(Role.KEY_ACCOUNT_MANAGER, f"kam{i}") for i in range(2)]
    for user in users:
        user.min_key_accounts, user.max_key_accounts = 1, 2
        user.save()
    return users


@pytest.fixture
def execs(make_user):
    ceo = make_user(Role.EXECUTIVE_SPONSOR, "ceo", first_name="Carla", last_name="Chief")
    cfo = make_user(Role.EXECUTIVE_SPONSOR, "cfo", first_name="Finn", last_name="Finance")
    return ceo, cfo


@pytest.fixture
def designated(db, head_of_kam):
    """A published cycle with three Tier 1 key accounts, written directly (no scoring)."""
    version = services.do_ensure_default_policy()
    run = ScoreRun.objects.create(
        policy_version=version, as_of=date(2026, 11, 30), status="done", snapshot_id="none"
    )
    cycle = SelectionCycle.objects.create(
        name="Key accounts 2026",
        as_of=run.as_of,
        score_run=run,
        status="published",
        approved_at=timezone.now(),
        published_at=timezone.now(),
    )
    for cid in ("C000", "C003", "C006"):
        account = Account.objects.create(customer_id=cid, name=f"Customer {cid}")
        CycleDecision.objects.create(
            cycle=cycle, account=account, proposal="add", tier="tier_1", revenue_12m=1e6
        )
        KeyAccount.objects.create(
            account=account, tier="tier_1", since_cycle=cycle, confirmed_cycle=cycle
        )
    return cycle


def _published(head):
    cycle = services.do_create_cycle(head)
    # The small portfolio's three key accounts, all Tier 1, so each needs a sponsor.
    cycle.decisions.filter(proposal="add").update(tier=TierChoice.TIER_1)
    services.do_approve_cycle(head, cycle)
    return services.do_publish_cycle(head, cycle)


def _apply(head, cycle):
    proposal = assignment.propose_assignment(head, cycle)
    assert proposal.problem == ""
    placements = {p.customer_id: p.manager for p in proposal.assignment.placements}
    services.do_apply_assignment(
        head, cycle, placements, dict(proposal.assignment.sponsorship.sponsor_of)
    )
    return proposal


def test_every_tier_one_account_gets_a_sponsor_within_capacity(
    portfolio, head_of_kam, managers, execs
):
    ceo, _ = execs
    services.do_set_sponsor_capacity(head_of_kam, ceo, 1)
    cycle = _published(head_of_kam)
    _apply(head_of_kam, cycle)
    held = dict(KeyAccount.objects.values_list("account_id", "executive_sponsor__username"))
    assert set(held) == {"C000", "C003", "C006"}
    assert all(held.values())
    assert list(held.values()).count("ceo") <= 1


def test_short_sponsor_capacity_is_said_on_the_assignment_page(
    client, portfolio, head_of_kam, managers, execs
):
    for sponsor in execs:
        services.do_set_sponsor_capacity(head_of_kam, sponsor, 1)
    cycle = _published(head_of_kam)
    client.force_login(head_of_kam)
    html = client.get(reverse("selection:assignment", args=[cycle.pk])).content.decode()
    assert "3 Tier 1 accounts need an executive sponsor, sponsor capacity 2 (2 sponsors)" in html
    assert 'data-sponsor="ceo"' in html


def test_a_sponsor_above_capacity_or_without_the_role_is_refused(
    designated, head_of_kam, managers, execs
):
    ceo, _ = execs
    services.do_set_sponsor_capacity(head_of_kam, ceo, 2)
    cycle = designated
    with pytest.raises(AssignmentInfeasible, match="would sponsor 3 accounts; their capacity is 2"):
        services.do_apply_sponsors(
            head_of_kam, cycle, dict.fromkeys(("C000", "C003", "C006"), "ceo")
        )
    with pytest.raises(AssignmentInfeasible, match="is not an executive sponsor"):
        services.do_apply_sponsors(head_of_kam, cycle, {"C000": "kam0"})
    assert not KeyAccount.objects.exclude(executive_sponsor=None).exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.HEAD_OF_KAM, 302),
        (Role.ADMINISTRATOR, 302),
        (Role.KEY_ACCOUNT_MANAGER, 403),
        (Role.EXECUTIVE_SPONSOR, 403),
        (Role.VIEWER, 403),
    ],
)
def test_only_the_head_of_kam_and_administrator_set_a_sponsors_capacity(
    client, designated, execs, make_user, role, status
):
    ceo, _ = execs
    client.force_login(make_user(role, f"who-{role.name.lower()}"))
    url = reverse("selection:sponsor_capacity", args=[designated.pk])
    response = client.post(url, {"sponsor": "ceo", "max_accounts": "7"})
    assert response.status_code == status
    assert assignment.sponsor_capacity(ceo) == (7 if status == 302 else 5)


def test_the_plan_follows_the_manager_a_cycle_assigns(portfolio, head_of_kam, managers, execs):
    cycle = _published(head_of_kam)
    other = managers[1]
    plan = do_create_plan(
        head_of_kam,
        KeyAccount.objects.get(account_id="C000").account,
        today=cycle.as_of,
        owner=other,
    )
    services.do_apply_assignment(
        head_of_kam, cycle, {"C000": "kam0", "C003": "kam1", "C006": "kam0"}
    )
    plan.refresh_from_db()
    assert plan.owner == managers[0]
    # The next cycle hands C000 to kam1: its plan goes with it when the cycle is published.
    draft = services.do_create_cycle(head_of_kam)
    services.do_apply_assignment(
        head_of_kam, draft, {"C000": "kam1", "C003": "kam0", "C006": "kam0"}
    )
    plan.refresh_from_db()
    assert plan.owner == managers[0]  # a draft changes nothing yet
    services.do_approve_cycle(head_of_kam, draft)
    services.do_publish_cycle(head_of_kam, draft)
    plan.refresh_from_db()
    assert plan.owner == other
    assert KeyAccount.objects.get(account_id="C000").manager == other


def test_an_executive_sponsor_reads_their_sponsored_accounts_and_no_one_elses(
    client, designated, head_of_kam, execs
):
    ceo, cfo = execs
    services.do_apply_sponsors(
        head_of_kam, designated, {"C000": "ceo", "C003": "ceo", "C006": "cfo"}
    )
    plan = do_create_plan(
        head_of_kam,
        KeyAccount.objects.get(account_id="C000").account,
        today=date.today(),
    )
    client.force_login(ceo)
    home = client.get("/")
    assert home["Location"] == reverse("selection:sponsored")
    page = client.get(reverse("selection:sponsored")).content.decode()
    rows = {r.split('"')[0] for r in page.split('data-customer="')[1:]}
    assert rows == {"C000", "C003"}
    assert "Tier 1" in page
    assert reverse("plans:detail", args=["C000", plan.pk]) in page
    assert "as of today, <strong>" in page
    assert "My sponsored accounts" in page  # the navigation entry
    client.force_login(cfo)
    page = client.get(reverse("selection:sponsored")).content.decode()
    assert {r.split('"')[0] for r in page.split('data-customer="')[1:]} == {"C006"}


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.EXECUTIVE_SPONSOR, 200),
        (Role.ADMINISTRATOR, 200),
        (Role.HEAD_OF_KAM, 403),
        (Role.KEY_ACCOUNT_MANAGER, 403),
        (Role.VIEWER, 403),
    ],
)
def test_the_sponsored_accounts_page_is_the_sponsors(
    client, designated, head_of_kam, execs, make_user, role, status
):
    services.do_apply_sponsors(head_of_kam, designated, {"C000": "ceo"})
    client.force_login(make_user(role, f"who-{role.name.lower()}"))
    response = client.get(reverse("selection:sponsored"))
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert 'data-customer="C000"' not in page  # the ceo's account, not theirs
        assert "You sponsor no key account yet" in page
    # The Head of KAM (and the Administrator) land on every manager's accounts.
    programme = role in (Role.ADMINISTRATOR, Role.HEAD_OF_KAM)
    landing = "engagement:my_accounts" if programme else "accounts:list"
    assert client.get("/")["Location"] == reverse(landing)


def test_the_assignment_page_applies_managers_and_sponsors(
    client, portfolio, head_of_kam, managers, execs
):
    cycle = _published(head_of_kam)
    client.force_login(head_of_kam)
    url = reverse("selection:assignment", args=[cycle.pk])
    page = client.get(url).content.decode()
    sponsors_json = page.split('name="sponsors" value="')[1].split('"')[0]
    chosen = json.loads(sponsors_json.replace("&quot;", '"'))
    placements = page.split('name="placements" value="')[1].split('"')[0].replace("&quot;", '"')
    response = client.post(url, {"placements": placements, "sponsors": json.dumps(chosen)})
    assert response.status_code == 302
    held = dict(KeyAccount.objects.values_list("account_id", "executive_sponsor__username"))
    assert held == chosen
    assert set(held.values()) <= {"ceo", "cfo"}


def test_the_sponsored_page_reads_plan_health_once_for_all_its_accounts(
    client, designated, head_of_kam, execs, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ceo, _ = execs
    services.do_apply_sponsors(head_of_kam, designated, {"C000": "ceo"})
    do_create_plan(
        head_of_kam, KeyAccount.objects.get(account_id="C000").account, today=date.today()
    )
    client.force_login(ceo)
    with CaptureQueriesContext(connection) as one:
        page = client.get(reverse("selection:sponsored")).content.decode()
    assert page.count("data-customer=") == 1
    services.do_apply_sponsors(head_of_kam, designated, {"C000": "ceo", "C003": "ceo"})
    do_create_plan(
        head_of_kam, KeyAccount.objects.get(account_id="C003").account, today=date.today()
    )
    with django_assert_max_num_queries(len(one)):
        page = client.get(reverse("selection:sponsored")).content.decode()
    assert page.count("data-customer=") == 2
    assert page.count("never reviewed") == 2
