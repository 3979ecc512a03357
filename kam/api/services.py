"""Writes about personal API tokens: create one (shown once), revoke one, and the check of a
token a request presents. A person manages only their own tokens."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from kam.api.models import ApiToken
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission

DEFAULT_DAYS = 90
MAX_DAYS = 365
LAST_USED_EVERY = timedelta(minutes=1)
"""How often a token's last-used time is written: not once per request of a busy script."""


class TokenError(ValueError):
    """A token cannot be created as asked; the message says why."""


class TokenRefused(Exception):
    """A request's token does not open the API; ``reason`` says why, in words for its owner."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def digest_of(token: str) -> str:
    """The SHA-256 of a whole token, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def do_create_token(user: User, *, name: str, days: int = DEFAULT_DAYS) -> tuple[ApiToken, str]:
    """A new token of ``user`` valid for ``days`` (1–365): the record and the token itself,
    which is not kept anywhere and cannot be shown again."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    name = name.strip()
    if not name:
        raise TokenError("Name the token after what will use it, e.g. 'CRM sync'.")
    if len(name) > 100:
        raise TokenError("A token's name has at most 100 characters.")
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"A token lasts 1 to {MAX_DAYS} days.")
    prefix = secrets.token_hex(4)
    while ApiToken.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    token = f"kam_{prefix}_{secrets.token_urlsafe(32)}"
    now = timezone.now()
    record = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        digest=digest_of(token),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    return record, token


@transaction.atomic
def do_revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of ``user``'s own tokens (404 for anyone else's); revoking twice keeps the
    first time."""
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        raise Http404("No such token of yours.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def check_token(presented: str) -> User:
    """The active user ``presented`` acts for; TokenRefused says why it does not open the API
    (unknown, revoked, expired, or its user deactivated). Records when it was last used."""
    kind, _, rest = presented.partition("_")
    prefix, _, secret = rest.partition("_")
    token = None
    if kind == "kam" and prefix and secret:
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.digest, digest_of(presented)):
        raise TokenRefused("This API token is not valid. Create one on the API tokens page.")
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenRefused(f"This API token was revoked on {token.revoked_at:%Y-%m-%d}.")
    if token.expires_at <= now:
        raise TokenRefused(f"This API token expired on {token.expires_at:%Y-%m-%d}.")
    if not token.user.is_active:
        raise TokenRefused("The user of this API token is deactivated.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
