"""Routes of the API app: the JSON API at /api/ and the API tokens page of the web app."""

from django.urls import URLPattern, path, re_path

from kam.api import views
from kam.api.main import api, no_route
from kam.people.roles import Permission

OPEN = ("openapi-json", "openapi-view", "api-root")
"""The API's description and its root (a 404 naming the docs): open, they hold no data."""

api_patterns, api_app, api_namespace = api.urls
for pattern in api_patterns:
    if isinstance(pattern, URLPattern):
        # The API signs its requests in by token, not by the session LoginRequiredMiddleware
        # looks for; each operation checks its permissions itself (kam.api.access), and the
        # token's user must be able to view accounts (TokenAuth).
        pattern.callback.login_required = False  # type: ignore[attr-defined]
        if pattern.name not in OPEN:
            pattern.callback.required_permission = Permission.VIEW_ACCOUNTS  # type: ignore[attr-defined]

urlpatterns = [
    path("settings/api-tokens/", views.tokens, name="api_tokens"),
    path("settings/api-tokens/<int:token_id>/revoke/", views.token_revoke, name="api_token_revoke"),
    path("api/", (api_patterns, api_app, api_namespace)),
    re_path(r"^api/(?P<rest>.*)$", no_route, name="api_no_route"),
]
