"""Who may call an operation: the bearer token's user, checked as ``@requires`` checks a page.

``allow`` checks each permission by role first (so a refusal does not reveal whether a
record exists), then resolves the record the operation acts on (404 when missing) and
checks again on it, where record-level rules ("this manager keeps this account") apply.
"""

from collections.abc import Callable
from typing import TypeVar

from django.http import Http404, HttpRequest
from ninja.security import HttpBearer

from kam.accounts.models import Account
from kam.api.services import check_token
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission

Record = TypeVar("Record")


class TokenAuth(HttpBearer):
    """``Authorization: Bearer kam_…``: a personal API token (kam.api.services.check_token)."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = check_token(token)
        user.record_checks = {}  # answers kept for this request only, as for a page
        request.user = user
        # Every operation reads accounts at least: a user without a role is refused here.
        check_permission(user, Permission.VIEW_ACCOUNTS)
        return user


def acting(request: HttpRequest) -> User:
    """The user the request's token acts for."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def allow(request: HttpRequest, *needed: Permission, on: Callable[[], Record]) -> Record:
    """The record ``on`` resolves, once the acting user holds every permission ``needed``
    by role and on that record."""
    user = acting(request)
    for permission in needed:
        check_permission(user, permission)
    record = on()
    for permission in needed:
        check_permission(user, permission, on=record)
    return record


def allow_all(request: HttpRequest, *needed: Permission) -> User:
    """The acting user, once they hold every permission ``needed`` (no record involved)."""
    user = acting(request)
    for permission in needed:
        check_permission(user, permission)
    return user


def account(customer_id: str) -> Callable[[], Account]:
    """Resolves the account ``customer_id`` names, or 404."""

    def resolve() -> Account:
        found = Account.objects.filter(customer_id=customer_id).first()
        if found is None:
            raise Http404(f"No account with id {customer_id!r}.")
        return found

    return resolve
