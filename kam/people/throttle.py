"""Login throttling with django-axes: who a sign-in comes from, and the page a locked-out
sign-in gets.

After ``AXES_FAILURE_LIMIT`` failed sign-ins for one user name, or from one address, that
name (and that address) is locked for ``AXES_COOLOFF_TIME``: even the right password is
refused until the lock expires. The sign-in page says so, and until when.
"""

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def client_address(request: HttpRequest) -> str:
    """The address a request comes from: behind a reverse proxy (``BEHIND_PROXY``) the
    last address of X-Forwarded-For, the one the proxy itself appended — the ones before it
    are whatever the client chose to send; otherwise the socket's peer."""
    if settings.BEHIND_PROXY:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if forwarded:
            return forwarded[-1]
    return str(request.META.get("REMOTE_ADDR", ""))


def lock_message(minutes: int) -> str:
    """What a locked-out user reads: why, and how long to wait."""
    until = timezone.localtime(timezone.now() + settings.AXES_COOLOFF_TIME)
    return (
        f"Too many failed sign-ins for this user name or from this address: signing in is "
        f"locked for {minutes} minutes, until {until:%H:%M} {until.tzname()}, even with the "
        "right password. Each further try starts the wait again; an Administrator can lift "
        "the lock sooner."
    )


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """The sign-in page again, status 429, saying the sign-in is locked and until when."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    return render(
        request,
        "registration/login.html",
        {"form": form, "locked": lock_message(minutes), "next": request.POST.get("next", "")},
        status=429,
    )
