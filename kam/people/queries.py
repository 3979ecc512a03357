"""Reads about people."""

from django.db.models import Q

from kam.people.models import User
from kam.people.roles import Role


def administrators() -> list[User]:
    """Active users who may do everything (the Administrator role, or superusers), oldest
    first: whom the command line acts as when it is not told (see kam.cli.common)."""
    admins = User.objects.filter(
        Q(groups__name=Role.ADMINISTRATOR.value) | Q(is_superuser=True), is_active=True
    )
    return list(admins.distinct().order_by("date_joined", "pk"))


def users_with_roles() -> list[User]:
    """Every user, active ones first, by name, with their roles fetched in the same go."""
    users = User.objects.prefetch_related("groups").order_by(
        "-is_active", "last_name", "first_name", "username"
    )
    return list(users)


class UnknownUser(LookupError):
    """A username no user has; the message names it."""


def users_named(usernames: list[str]) -> list[User]:
    """The users with these usernames, in the order given, each once; UnknownUser naming
    the first that does not exist (the team page, `kam account team` and the API)."""
    names = list(dict.fromkeys(usernames))
    found = {user.username: user for user in User.objects.filter(username__in=names)}
    if missing := [name for name in names if name not in found]:
        raise UnknownUser(f"No user {missing[0]!r}.")
    return [found[name] for name in names]
