"""Who is tied to a key account: its manager and its executive sponsor.

Kept apart from ``queries`` (which pulls in the analytics and their numeric libraries) because
the app registers these at start-up: every command and every process asks them, most never
read a score.
"""

from collections.abc import Sequence

from kam.accounts.models import Account
from kam.people.models import User
from kam.selection.models import KeyAccount


def manages_account(user: User, account: Account) -> bool:
    """Whether ``user`` is the key account manager of ``account``."""
    return KeyAccount.objects.filter(account=account, manager=user).exists()


def sponsors_account(user: User, account: Account) -> bool:
    """Whether ``user`` is the executive sponsor of ``account``."""
    return KeyAccount.objects.filter(account=account, executive_sponsor=user).exists()


def managed_among(user: User, customer_ids: Sequence[str]) -> set[str]:
    """Which of ``customer_ids`` ``user`` manages (``manages_account`` for many)."""
    found = KeyAccount.objects.filter(account_id__in=list(customer_ids), manager=user)
    return set(found.values_list("account_id", flat=True))


def sponsored_among(user: User, customer_ids: Sequence[str]) -> set[str]:
    """Which of ``customer_ids`` ``user`` sponsors (``sponsors_account`` for many)."""
    found = KeyAccount.objects.filter(account_id__in=list(customer_ids), executive_sponsor=user)
    return set(found.values_list("account_id", flat=True))
