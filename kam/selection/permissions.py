"""Who may do what in key-account selection: the selection permissions of kam/people/roles.py.

RUN_SELECTION (score runs, new cycles), EDIT_POLICY (policy versions), RATE_ACCOUNTS
(1–5 ratings), APPROVE_CYCLE (override, approve, publish, assign managers). Reading the
selection pages uses VIEW_ACCOUNTS.
"""

from kam.people.roles import Permission
from kam.people.services import check_permission


def can(user: object, permission: Permission) -> bool:
    """Whether ``user`` (possibly anonymous) holds ``permission``."""
    allowed = getattr(user, "can", None)
    return bool(getattr(user, "is_authenticated", False) and allowed and allowed(permission))


def check(user: object, permission: Permission) -> None:
    """Raise PermissionDenied, naming what is missing, unless ``user`` holds ``permission``."""
    check_permission(user, permission)  # type: ignore[arg-type]
