"""Whose account is it: the record-level half of every permission check.

A role says what someone may do (``kam.people.roles``); for the account permissions
(``ACCOUNT_PERMISSIONS``: reading plans and stakeholders, editing them, rating) the roles in
``ACCOUNT_BOUND_ROLES`` hold them only on their own accounts:

- a Key Account Manager on the accounts they manage (``KeyAccount.manager``) or are on the
  team of (``Account.team``);
- an Executive Sponsor, for reading, on the accounts they sponsor
  (``KeyAccount.executive_sponsor``).

The Head of KAM and the Administrator hold theirs across the programme. ``check_permission``
(``kam.people.services``) calls ``allows`` whenever it is given a record, so every view
(``@requires(..., on=...)``), service and command obeys the same rule. A new tie between a
person and an account (an opportunity's owner) joins with ``register_tie``; ``kam.selection``
registers the key account's manager and sponsor that way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from kam.people.grants import permissions_of
from kam.people.records import RecordRule
from kam.people.roles import ACCOUNT_BOUND_ROLES, ACCOUNT_PERMISSIONS, ACTIONS, Permission, Role

if TYPE_CHECKING:
    from kam.accounts.models import Account
    from kam.people.models import User

EDITS = frozenset({Permission.EDIT_PLANS, Permission.EDIT_RELATIONSHIPS, Permission.RATE_ACCOUNTS})


def account_of(record: object) -> Account | None:
    """The account a record belongs to: the account itself, a plan's, a contact's, a
    relationship's (through its contact), a section's (through its plan); None for the rest."""
    from kam.accounts.models import Account

    for _ in range(3):  # section → plan → account; relationship → contact → account
        if isinstance(record, Account):
            return record
        record = (
            getattr(record, "account", None)
            or getattr(record, "plan", None)
            or (getattr(record, "contact", None))
        )
        if record is None:
            return None
    return record if isinstance(record, Account) else None


def on_team(user: User, account: Account) -> bool:
    """Whether ``user`` is on ``account``'s team."""
    return account.team.filter(pk=user.pk).exists()


def team_accounts(user: User, customer_ids: Sequence[str]) -> set[str]:
    """Which of ``customer_ids`` have ``user`` on their team (``on_team`` for many)."""
    from kam.accounts.models import Account

    Team = Account.team.through
    found = Team.objects.filter(user_id=user.pk, account_id__in=list(customer_ids))
    return set(found.values_list("account_id", flat=True))


Tie = Callable[["User", "Account"], bool]
TiedAmong = Callable[["User", Sequence[str]], set[str]]
TIES: dict[Role, list[Tie]] = {Role.KEY_ACCOUNT_MANAGER: [on_team], Role.EXECUTIVE_SPONSOR: []}
"""What ties someone in an account-bound role to an account. ``kam.selection`` adds the key
account's manager and sponsor (``KeyAccount``) when it starts; a later app adds its own."""
AMONG: dict[Tie, TiedAmong] = {on_team: team_accounts}
"""Each tie asked of many accounts in one query: which of them it ties the person to."""


def register_tie(role: Role, tie: Tie, among: TiedAmong | None = None) -> None:
    """Make ``tie(user, account)`` one more way ``role`` holds its permissions on an account;
    ``among(user, customer_ids)``, when given, answers it for many accounts in one query."""
    if tie not in TIES.setdefault(role, []):
        TIES[role].append(tie)
    if among is not None:
        AMONG[tie] = among


def remember_ties(user: object, customer_ids: Sequence[str]) -> None:
    """Ask once for all of ``customer_ids`` whether ``user``'s account-bound roles tie them
    to each account, and keep the answers for the request (``User.record_checks``), so a
    page checking the same right on every account of a list asks a query per tie, not per
    account. Outside a request, for a tie with no ``among``, or for one account (asked
    alone, its first tie that holds answers it in one query), nothing is kept."""
    memo = getattr(user, "record_checks", None)
    if memo is None or len(customer_ids) < 2:
        return
    for role in user.roles():  # type: ignore[attr-defined]
        ties = TIES.get(role)
        if ties is None or not all(tie in AMONG for tie in ties):
            continue
        asked = [cid for cid in customer_ids if ("tie", role, cid) not in memo]
        if not asked:
            continue
        tied: set[str] = set()
        for tie in ties:
            tied |= AMONG[tie](user, asked)  # type: ignore[arg-type]
        for customer_id in asked:
            memo[("tie", role, customer_id)] = customer_id in tied


def _ties(role: Role, user: User, account: Account) -> bool:
    """Whether ``user``, acting in the account-bound ``role``, is tied to ``account``.

    Within a request (``User.record_checks``) each answer is asked of the database once:
    only the Head of KAM sets teams and managers, and never ties themselves by it.
    """
    memo = getattr(user, "record_checks", None)
    if memo is None:
        return any(tie(user, account) for tie in TIES.get(role, ()))
    key = ("tie", role, account.pk)
    if key not in memo:
        memo[key] = any(tie(user, account) for tie in TIES.get(role, ()))
    return memo[key]


def across_programme(user: User, permission: Permission) -> bool:
    """Whether ``user`` holds ``permission`` on every account (Head of KAM, Administrator),
    not only on their own."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(
        role not in ACCOUNT_BOUND_ROLES and permission in permissions_of(role)
        for role in user.roles()
    )


def allows(user: User, permission: Permission, account: Account) -> bool:
    """Whether ``user`` (who holds ``permission`` by role) may use it on ``account``."""
    if permission not in ACCOUNT_PERMISSIONS or across_programme(user, permission):
        return True
    holding = [role for role in user.roles() if permission in permissions_of(role)]
    return any(_ties(role, user, account) for role in holding)


def can_edit_account(user: object, account: Account) -> bool:
    """Whether ``user`` may change ``account``'s plan, stakeholders, alignment and ratings."""
    from kam.people.services import has_permission

    return all(has_permission(user, each, on=account) for each in EDITS)


def can_read_account_in_full(user: object, account: Account) -> bool:
    """Whether ``user`` may read ``account``'s plans and stakeholders, not only its summary."""
    from kam.people.services import has_permission

    return has_permission(user, Permission.READ_IN_FULL, on=account)


def _allows_on_record(user: object, permission: Permission, record: object) -> bool:
    account = account_of(record)
    return account is None or allows(user, permission, account)  # type: ignore[arg-type]


def _refusal_on_record(permission: Permission, record: object) -> str:
    account = account_of(record)
    assert account is not None  # only asked after _allows_on_record refused
    return refusal(permission, account)


RULE = RecordRule(_allows_on_record, _refusal_on_record)
"""Registered with ``kam.people.records`` when the accounts app starts."""


def refusal(permission: Permission, account: Account) -> str:
    """Why someone who holds ``permission`` by role is refused it on ``account``, in words."""
    who = "its key account manager or someone on its account team"
    if permission in (Permission.READ_IN_FULL, Permission.COMMENT_ON_ENGAGEMENTS):
        who = "its key account manager, its account team or its executive sponsor"
    return f"{ACTIONS[permission]} of {account.name} is for {who}, and the Head of KAM."


def may_manage_accounts(user: User) -> bool:
    """Whether ``user`` may be an account's key account manager: an active user with the Key
    Account Manager role (a Viewer or a sponsor may not hold an account)."""
    return user.is_active and Role.KEY_ACCOUNT_MANAGER in user.roles()


FINANCIAL_FIELDS: frozenset[str] = frozenset(
    {
        "margin_pct",
        "margin",
        "gross_margin",
        "cost",
        "cost_12m",
        "clv",
        "clv_lower",
        "clv_upper",
        "expected_spend",
        "future_value",
        "predicted_clv",
        "expected_margin_pct",
    }
)
"""Figures only ``Permission.VIEW_FINANCIALS`` shows: margin, cost, P&L and lifetime value in
money. Without it they are left out of pages, documents and --json, not greyed out."""


def sees_financials(user: object) -> bool:
    """Whether ``user`` may see margin, cost and lifetime value in money."""
    from kam.people.services import has_permission

    return has_permission(user, Permission.VIEW_FINANCIALS)


def without_financials(user: object, figures: dict[str, object]) -> dict[str, object]:
    """``figures`` as ``user`` may see them: the ``FINANCIAL_FIELDS`` left out unless they
    hold ``Permission.VIEW_FINANCIALS``."""
    if sees_financials(user):
        return figures
    return {key: value for key, value in figures.items() if key not in FINANCIAL_FIELDS}
