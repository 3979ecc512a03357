"""Fixtures for the engagement tests: two key accounts, their managers, a sponsor, contacts,
and a helper that publishes selection cycles with the tiers a test needs."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from django.utils import timezone

from kam.accounts.models import Account
from kam.people.roles import Role

TODAY = date(2026, 6, 15)


def publish_cycle(name: str, published_on: date, tiers: dict[Account, str | None]) -> Any:
    """A published selection cycle deciding ``tiers`` (None: not key), as the selection app
    leaves one: decisions, and the key accounts' rows moved to it."""
    from kam.selection.models import (
        CycleDecision,
        KeyAccount,
        ScoreRun,
        SelectionCycle,
    )
    from kam.selection.services.scoring import do_ensure_default_policy

    run = ScoreRun.objects.create(
        policy_version=do_ensure_default_policy(), status="done", snapshot_id=f"s-{name}"
    )
    moment = timezone.make_aware(
        datetime.combine(published_on, datetime.min.time()).replace(hour=9)
    )
    cycle = SelectionCycle.objects.create(
        name=name,
        as_of=published_on,
        score_run=run,
        status="published",
        approved_at=moment,
        published_at=moment,
    )
    for account, tier in tiers.items():
        current = KeyAccount.objects.filter(account=account).first()
        proposal = ("keep" if current else "add") if tier else ("remove" if current else "out")
        CycleDecision.objects.create(
            cycle=cycle,
            account=account,
            proposal=proposal,
            tier=tier or "not_key",
            previous_tier=current.tier if current else "",
        )
        if tier is None:
            KeyAccount.objects.filter(account=account).delete()
        elif current is None:
            KeyAccount.objects.create(
                account=account, tier=tier, since_cycle=cycle, confirmed_cycle=cycle
            )
        else:
            current.tier, current.confirmed_cycle = tier, cycle
            current.save()
    return cycle


@dataclass
class Programme:
    own: Account
    foreign: Account
    kam: Any
    keeper: Any
    sponsor: Any
    head: Any
    viewer: Any
    analyst: Any
    contacts: list[Any]


@pytest.fixture
def today() -> date:
    return TODAY


@pytest.fixture
def programme(db, make_user) -> Programme:
    """Two Tier 1 accounts since 1 Jan 2026: the own one managed by kim (sponsored by
    sam), the foreign one by kai; two contacts at the own account."""
    from kam.relationships.services import do_add_contact
    from kam.selection.models import KeyAccount

    kam = make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim", last_name="Keller")
    keeper = make_user(Role.KEY_ACCOUNT_MANAGER, "kai", first_name="Kai", last_name="Other")
    sponsor = make_user(Role.EXECUTIVE_SPONSOR, "sam", first_name="Sam", last_name="Sponsor")
    head = make_user(Role.HEAD_OF_KAM, "head", first_name="Hannah", last_name="Head")
    viewer = make_user(Role.VIEWER, "viewer")
    analyst = make_user(Role.ANALYST, "analyst")
    own = Account.objects.create(customer_id="C-OWN", name="Nordwind Logistics GmbH")
    foreign = Account.objects.create(customer_id="C-FOREIGN", name="Borealis Foods Inc.")
    publish_cycle("Key accounts 2026", date(2026, 1, 1), {own: "tier_1", foreign: "tier_1"})
    KeyAccount.objects.filter(account=own).update(manager=kam, executive_sponsor=sponsor)
    KeyAccount.objects.filter(account=foreign).update(manager=keeper)
    contacts = [
        do_add_contact(head, own, name="Petra Roth", title="CPO", email="petra@nordwind.example"),
        do_add_contact(head, own, name="Jonas Weber", title="Head of Logistics"),
    ]
    return Programme(own, foreign, kam, keeper, sponsor, head, viewer, analyst, contacts)
