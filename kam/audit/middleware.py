from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from kam.audit.choices import Interface
from kam.audit.context import acting


class AuditMiddleware:
    """Every write a request makes is recorded as the signed-in user's, through the web, the
    admin or the API. The user is read when an entry is written: the API's token check,
    inside the view, is what names it there."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith("/api/"):
            interface = Interface.API
        elif path.startswith("/admin/"):
            interface = Interface.ADMIN
        else:
            interface = Interface.WEB
        with acting(interface, lambda: getattr(request, "user", None)):
            return self.get_response(request)
