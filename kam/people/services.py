"""Writes about people: roles and users. Every function checks the acting user first."""

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from kam.people.models import User
from kam.people.records import refused_by
from kam.people.roles import Permission, Role, requirement


class PermissionRefused(PermissionDenied):
    """A user without the permission an action needs; ``reason`` says which roles have it."""

    def __init__(self, user: object, permission: Permission, reason: str = ""):
        self.permission = permission
        self.reason = reason or requirement(permission)
        name = getattr(user, "username", "") or "an anonymous user"
        super().__init__(f"{name} may not {permission.value.replace('_', ' ')}: {self.reason}")


def has_permission(user: object, permission: Permission, *, on: object = None) -> bool:
    """Whether ``user`` — possibly anonymous, as in a template or view — may do ``permission``.

    ``on`` is the record the action touches (an account, a plan, a contact), when there is
    one: the account permissions then hold only on the accounts of a manager or sponsor
    (``kam.people.records``, ``kam.accounts.access``): one rule for every view, service and
    command.
    """
    if not (isinstance(user, User) and user.can(permission)):
        return False
    return on is None or refused_by(user, permission, on) is None


def check_permission(user: object, permission: Permission, *, on: object = None) -> None:
    """Raise PermissionRefused, naming what is missing, unless ``user`` may do ``permission``
    (on the record ``on``, when given)."""
    if not has_permission(user, permission):
        raise PermissionRefused(user, permission)
    rule = refused_by(user, permission, on) if on is not None else None
    if rule is not None:
        raise PermissionRefused(user, permission, rule.refusal(permission, on))


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
    must_change_password: bool = False,
) -> User:
    """Create or update a user with exactly ``roles`` and ``password``.

    ``actor`` None means the installer itself (``kam user add``, ``kam demo``); anyone else
    must be allowed to manage users. The password must pass the validators of
    ``AUTH_PASSWORD_VALIDATORS``: ValidationError, with every reason, and nothing saved.
    ``must_change_password``: the user chooses their own at the first sign-in.
    """
    if actor is not None:
        check_permission(actor, Permission.MANAGE_USERS)
    do_ensure_roles()
    user = User.objects.filter(username=username).first() or User(username=username)
    user.first_name, user.last_name, user.title, user.email = first_name, last_name, title, email
    # Validated against the names just given, so "helena1234" is refused for Helena.
    validate_password(password, user)
    user.is_staff = Role.ADMINISTRATOR in roles
    user.must_change_password = must_change_password
    user.set_password(password)
    user.save()
    user.groups.set(Group.objects.filter(name__in=[role.value for role in roles]))
    return user


@transaction.atomic
def do_ensure_user(
    actor: User | None,
    username: str,
    *,
    password: str,
    roles: set[Role],
    must_change_password: bool = False,
    **names: str,
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
    created = do_create_user(
        None,
        username,
        password=password,
        roles=roles,
        must_change_password=must_change_password,
        **names,
    )
    return created, True


@dataclass(frozen=True)
class UserChanges:
    """What an Administrator may change about a user on the People page."""

    first_name: str
    last_name: str
    title: str
    email: str
    roles: frozenset[Role]
    is_active: bool
    min_key_accounts: int
    max_key_accounts: int


def _check_an_administrator_remains(user: User, *, keeps_admin: bool) -> None:
    """Refuse a change that would leave no active Administrator to manage users."""
    if keeps_admin:
        return
    others = (
        User.objects.filter(
            Q(groups__name=Role.ADMINISTRATOR.value) | Q(is_superuser=True), is_active=True
        )
        .exclude(pk=user.pk)
        .exists()
    )
    if not others and Role.ADMINISTRATOR in user.roles() and user.is_active:
        raise ValidationError(
            f"{user.username} is the last active Administrator: give someone else the "
            "Administrator role first, or nobody could manage users.",
            code="last_administrator",
        )


@transaction.atomic
def do_update_user(actor: User, user: User, changes: UserChanges) -> User:
    """Change ``user``'s names, roles, capacity and whether they may sign in.

    Refused (ValidationError, nothing saved) when the capacity's fewest is above its most,
    or when it would leave no active Administrator. A deactivated user is signed out of
    every session at their next request (Django checks ``is_active`` on each).
    """
    check_permission(actor, Permission.MANAGE_USERS)
    if changes.min_key_accounts > changes.max_key_accounts:
        raise ValidationError(
            f"The fewest key accounts ({changes.min_key_accounts}) is above the most "
            f"({changes.max_key_accounts}).",
            code="capacity",
        )
    _check_an_administrator_remains(
        user, keeps_admin=changes.is_active and Role.ADMINISTRATOR in changes.roles
    )
    user.first_name, user.last_name = changes.first_name, changes.last_name
    user.title, user.email = changes.title, changes.email
    user.is_active = changes.is_active
    user.min_key_accounts, user.max_key_accounts = (
        changes.min_key_accounts,
        changes.max_key_accounts,
    )
    user.is_staff = Role.ADMINISTRATOR in changes.roles
    user.save()
    user.groups.set(Group.objects.filter(name__in=[role.value for role in changes.roles]))
    return user


@transaction.atomic
def do_reset_password(actor: User, user: User, *, password: str) -> User:
    """Give ``user`` a temporary ``password`` (held to the validators) that they must change
    at their next sign-in; their open sessions end, as with any password change."""
    check_permission(actor, Permission.MANAGE_USERS)
    validate_password(password, user)
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    return user


@transaction.atomic
def do_mark_password_chosen(user: User) -> None:
    """The user has just set a password of their own (change page or emailed reset link)."""
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])


@transaction.atomic
def do_add_user(actor: User, username: str, *, password: str, changes: UserChanges) -> User:
    """A new user as an Administrator makes one: ``changes`` as on their page, and a first
    ``password`` they must change at their first sign-in. Nothing is saved when any part is
    refused."""
    user = do_create_user(
        actor,
        username,
        password=password,
        roles=set(changes.roles),
        first_name=changes.first_name,
        last_name=changes.last_name,
        title=changes.title,
        email=changes.email,
        must_change_password=True,
    )
    return do_update_user(actor, user, changes)
