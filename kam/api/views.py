"""The API tokens page: a person's own tokens, one created (shown once) and revoked."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from kam.api import queries, services
from kam.api.forms import TokenForm
from kam.people.access import KamRequest, requires
from kam.people.roles import Permission


@require_http_methods(["GET", "POST"])
@requires(Permission.VIEW_ACCOUNTS)
def tokens(request: KamRequest) -> HttpResponse:
    """List the user's tokens; a POST creates one and shows it this once, never again."""
    form = TokenForm(request.POST if request.method == "POST" else None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.do_create_token(
                request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except services.TokenError as error:
            form.add_error(None, str(error))
        else:
            form = TokenForm()
    response = render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "created": created,
            "secret": secret,
            "tokens": queries.tokens_of(request.user),
            "now": timezone.now(),
        },
        status=400 if request.method == "POST" and created is None else 200,
    )
    response["Cache-Control"] = "no-store"  # the page may hold a token shown once
    return response


@require_POST
@requires(Permission.VIEW_ACCOUNTS)
def token_revoke(request: KamRequest, token_id: int) -> HttpResponse:
    """Revoke one of the user's own tokens: programs using it are refused from now on."""
    token = services.do_revoke_token(request.user, token_id)
    messages.success(request, f"Token “{token.name}” revoked; it no longer opens the API.")
    return redirect("api_tokens")
