"""Reads about personal API tokens."""

from kam.api.models import ApiToken
from kam.people.models import User


def tokens_of(user: User) -> list[ApiToken]:
    """``user``'s tokens, newest first, revoked and expired ones included."""
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id"))
