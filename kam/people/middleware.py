"""Sends a user who must choose a new password to the page where they do, before anything else."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# What a user who must change their password may still open: the change page, signing out,
# and the static files those pages need.
ALLOWED = ("password_change", "logout")
STATIC = "/" + settings.STATIC_URL.lstrip("/")


class PasswordChangeRequiredMiddleware:
    """A signed-in user whose password was set by someone else (an Administrator's reset, a
    new account, the demo) is sent to the password change page until they set their own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "must_change_password", False):
            path = request.path_info
            allowed = {reverse(name) for name in ALLOWED}
            if path not in allowed and not path.startswith(STATIC):
                target = f"{reverse('password_change')}?required=1"
                if getattr(request, "htmx", False):  # htmx follows this header, not a 302
                    return HttpResponse(status=204, headers={"HX-Redirect": target})
                return redirect(target)
        return self.get_response(request)
