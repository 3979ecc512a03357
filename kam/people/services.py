"""Writes about people: roles and users. Every function checks the acting user first."""

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db import transaction

from kam.people.models import User
from kam.people.roles import Permission, Role, requirement


class PermissionRefused(PermissionDenied):
    """A user without the permission an action needs; ``reason`` says which roles have it."""

    def __init__(self, user: object, permission: Permission):
        self.permission = permission
        self.reason = requirement(permission)
        name = getattr(user, "username", "") or "an anonymous user"
        super().__init__(f"{name} may not {permission.value.replace('_', ' ')}: {self.reason}")


def has_permission(user: object, permission: Permission, *, on: object = None) -> bool:
    """Whether ``user`` — possibly anonymous, as in a template or view — may do ``permission``.

    ``on`` is the record the action touches (an account, a plan), when there is one. Every
    rule is by role today; a record-level rule ("this manager keeps this account") belongs
    here, so that every view, service and command obeys it at once.
    """
    return isinstance(user, User) and user.can(permission)


def check_permission(user: object, permission: Permission, *, on: object = None) -> None:
    """Raise PermissionRefused, naming what is missing, unless ``user`` may do ``permission``."""
    if not has_permission(user, permission, on=on):
        raise PermissionRefused(user, permission)


@transaction.atomic
def do_ensure_roles() -> None:
    """Create the role groups that do not exist yet (idempotent; run by migrations and setup)."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)


@transaction.atomic
def do_create_user(
    actor: User | None,
    username: str,
    *,
    password: str,
    roles: set[Role],
    first_name: str = "",
    last_name: str = "",
    title: str = "",
    email: str = "",
) -> User:
    """Create or update a user with exactly ``roles`` and ``password``.

    ``actor`` None means the installer itself (``kam user add``, ``kam demo``); anyone else
    must be allowed to manage users. The password must pass the validators of
    ``AUTH_PASSWORD_VALIDATORS``: ValidationError, with every reason, and nothing saved.
    """
    if actor is not None:
        check_permission(actor, Permission.MANAGE_USERS)
    do_ensure_roles()
    user = User.objects.filter(username=username).first() or User(username=username)
    user.first_name, user.last_name, user.title, user.email = first_name, last_name, title, email
    # Validated against the names just given, so "helena1234" is refused for Helena.
    validate_password(password, user)
    user.is_staff = Role.ADMINISTRATOR in roles
    user.set_password(password)
    user.save()
    user.groups.set(Group.objects.filter(name__in=[role.value for role in roles]))
    return user


@transaction.atomic
def do_ensure_user(
    actor: User | None, username: str, *, password: str, roles: set[Role], **names: str
) -> tuple[User, bool]:
    """(the user, whether it was created): create ``username`` as ``do_create_user`` would
    (``names``: first_name, last_name, title, email), unless it exists — then it is left
    exactly as it is, password, roles and names.

    What a data set that brings its own people (the demo) uses, so that loading it never
    changes the password of someone who already signs in.
    """
    if actor is not None:
        check_permission(actor, Permission.MANAGE_USERS)
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing, False
    return do_create_user(None, username, password=password, roles=roles, **names), True
