"""Who may read and write account plans: the plan permissions of kam/people/roles.py.

Reading a plan needs VIEW_ACCOUNTS; writing one EDIT_PLANS; editing the templates per
alignment level MANAGE_PLAN_TEMPLATES.
"""

from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission

EDIT_PLANS = Permission.EDIT_PLANS
MANAGE_PLAN_TEMPLATES = Permission.MANAGE_PLAN_TEMPLATES
VIEW_PLANS = Permission.VIEW_ACCOUNTS


def user_may(user: User, permission: Permission) -> bool:
    """Whether ``user`` (possibly anonymous) holds ``permission``."""
    return bool(getattr(user, "is_authenticated", False)) and user.can(permission)


def check_plan_permission(user: User, permission: Permission) -> None:
    """Raise PermissionDenied, naming what is missing, unless ``user`` holds ``permission``."""
    check_permission(user, permission)
