"""Executive sponsors of Tier 1 accounts (seed 002): their capacity and applying the
sponsors a cycle's assignment proposes (kam.analytics.assignment places them)."""

from collections import Counter

from django.db import transaction

from kam.analytics.assignment import AssignmentInfeasible
from kam.audit import trail
from kam.audit.choices import Action
from kam.people.models import User
from kam.people.roles import Permission, Role
from kam.people.services import check_permission
from kam.selection.assignment import sponsor_capacity
from kam.selection.models import (
    CycleDecision,
    ExecutiveSponsorCapacity,
    KeyAccount,
    SelectionCycle,
)
from kam.selection.queries import latest_published
from kam.selection.services.scoring import SelectionError


@transaction.atomic
def do_apply_sponsors(
    user: User, cycle: SelectionCycle, sponsors: dict[str, str]
) -> list[CycleDecision]:
    """Give the key accounts of ``cycle`` the executive sponsors in ``sponsors`` (customer →
    user; key accounts not named get none), managers unchanged. For the current published
    cycle the KeyAccount rows change too."""
    check_permission(user, Permission.APPROVE_CYCLE)
    keys = [d for d in cycle.decisions.all() if d.is_key]
    users = _check_sponsors(cycle, keys, sponsors)
    before = {decision.pk: decision.sponsor_id for decision in keys}
    for decision in keys:
        chosen = sponsors.get(decision.account_id)
        decision.sponsor = users[chosen] if chosen else None
    CycleDecision.objects.bulk_update(keys, ["sponsor"])
    trail.record_each(
        Action.CHANGED,
        [d for d in keys if d.sponsor_id != before[d.pk]],
        lambda d: {"sponsor": [before[d.pk], d.sponsor_id]},
    )
    if latest_published() == cycle:
        for key_account in KeyAccount.objects.filter(account_id__in=[d.account_id for d in keys]):
            chosen = sponsors.get(key_account.account_id)
            key_account.executive_sponsor = users[chosen] if chosen else None
            key_account.save(update_fields=["executive_sponsor", "updated_at"])
    return keys


def _check_sponsors(
    cycle: SelectionCycle, keys: list[CycleDecision], sponsors: dict[str, str]
) -> dict[str, User]:
    """The sponsors named in ``sponsors``, refusing an unknown key account, user or role, or
    a sponsor above their capacity."""
    key_ids = {d.account_id for d in keys}
    stray = sorted(set(sponsors) - key_ids)
    if stray:
        raise AssignmentInfeasible(f"{stray[0]} is not a key account of {cycle.name}")
    users = {u.username: u for u in User.objects.filter(username__in=set(sponsors.values()))}
    for name in sorted(set(sponsors.values())):
        if name not in users:
            raise AssignmentInfeasible(f"no user {name!r}")
        if Role.EXECUTIVE_SPONSOR not in users[name].roles():
            raise AssignmentInfeasible(f"{users[name].display_name} is not an executive sponsor")
    counts = Counter(sponsors.values())
    for name, sponsor in users.items():
        capacity = sponsor_capacity(sponsor)
        if counts[name] > capacity:
            raise AssignmentInfeasible(
                f"{sponsor.display_name} would sponsor {counts[name]} accounts; their capacity "
                f"is {capacity}"
            )
    return users


@transaction.atomic
def do_set_sponsor_capacity(user: User, sponsor: User, max_accounts: int) -> int:
    """Let ``sponsor`` sponsor up to ``max_accounts`` Tier 1 accounts (0–50)."""
    check_permission(user, Permission.APPROVE_CYCLE)
    if Role.EXECUTIVE_SPONSOR not in sponsor.roles():
        raise SelectionError(f"{sponsor.display_name} is not an executive sponsor")
    if not 0 <= max_accounts <= 50:
        raise SelectionError("a sponsor's capacity is between 0 and 50 accounts")
    ExecutiveSponsorCapacity.objects.update_or_create(
        sponsor=sponsor, defaults={"max_accounts": max_accounts}
    )
    return max_accounts
