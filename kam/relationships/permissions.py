"""Who may change relationship maps and alignment levels: EDIT_RELATIONSHIPS (roles.py).

Reads use ``Permission.VIEW_ACCOUNTS``.
"""

from kam.people.roles import Permission
from kam.people.services import check_permission


def can_edit_relationships(user: object) -> bool:
    """Whether ``user`` may add contacts, link relationships and set alignment levels."""
    can = getattr(user, "can", None)
    return bool(
        getattr(user, "is_authenticated", False) and can and can(Permission.EDIT_RELATIONSHIPS)
    )


def check_can_edit_relationships(user: object) -> None:
    """Raise PermissionDenied, naming what is missing, unless ``user`` may edit the map."""
    check_permission(user, Permission.EDIT_RELATIONSHIPS)  # type: ignore[arg-type]
