"""Who may open a page: the one permission check of every view, and the refusal page.

Every view says what it needs with ``@requires``; nothing else in a view checks a role.
The services check again (``check_permission``), so the CLI and the API obey the same rules.

    @requires(Permission.VIEW_ACCOUNTS, write=Permission.RATE_ACCOUNTS, on=account_in_url)
    def account(request: KamRequest, customer_id: str) -> HttpResponse: ...

``on`` resolves the record the view acts on (404 when it does not exist) and hands it to
``check_permission``, where record-level rules are added once for every view.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails

from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import PermissionRefused, check_permission

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

View = TypeVar("View", bound=Callable[..., HttpResponse])
Resolver = Callable[..., object]
"""Called as ``resolver(request, **url_kwargs)``; returns the record or raises Http404."""


class KamRequest(HttpRequest):
    """A request as every view sees it: LoginRequiredMiddleware let a user in, and
    HtmxMiddleware says whether htmx sent it."""

    user: User
    htmx: HtmxDetails


def requires(
    permission: Permission, *, write: Permission | None = None, on: Resolver | None = None
) -> Callable[[View], View]:
    """Let a request through only when its user holds ``permission`` (and ``write`` too, for
    a POST or any other method that changes something), on the record ``on`` resolves."""

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(request: KamRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if isinstance(request.user, User):
                request.user.record_checks = {}  # answers kept for this request only
            needed = [permission]
            if write is not None and request.method not in SAFE_METHODS:
                needed.append(write)
            for each in needed:  # by role first: a refusal must not reveal whether a record exists
                check_permission(request.user, each)
            if on is not None:
                record = on(request, **kwargs)
                for each in needed:
                    check_permission(request.user, each, on=record)
            return view(request, *args, **kwargs)

        checked.required_permission = permission  # type: ignore[attr-defined]
        checked.write_permission = write  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 403 page for a refusal raised anywhere (a view, a service): inside the site's
    layout, with the reason in words; for htmx, the notice alone, shown above the page."""
    if isinstance(exception, PermissionRefused):
        reason = exception.reason
    elif isinstance(exception, PermissionDenied) and str(exception):
        reason = str(exception)
    else:
        reason = "Your role does not allow this."
    htmx = bool(getattr(request, "htmx", False))
    response = render(
        request, "_refused.html" if htmx else "403.html", {"reason": reason}, status=403
    )
    if htmx:
        response["HX-Push-Url"] = "false"  # the address bar keeps the page still shown
    return response
