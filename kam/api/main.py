"""The JSON API: every resource's router under one NinjaAPI, mounted at /api/.

Every operation needs a personal API token (``Authorization: Bearer …``); the OpenAPI
document (/api/openapi.json) and its interactive docs (/api/docs, Swagger UI served from
the django-ninja package, nothing from a CDN) are open: they describe, they hold no data.
"""

from django.http import HttpRequest, JsonResponse
from ninja import NinjaAPI

from kam.api import (
    accounts,
    cycles,
    engagement,
    errors,
    health,
    opportunities,
    plans,
    program,
    ratings,
    scores,
    stakeholders,
)
from kam.api.access import TokenAuth

api = NinjaAPI(
    title="kam",
    version="1",
    description=(
        "Key account management: accounts, scores and designations, account plans, "
        "stakeholders, ratings, selection cycles, engagement, opportunities and whitespace. "
        "Every operation acts as the owner of a "
        "personal API token (create one on the *API tokens* page of the web app) and obeys "
        'the same permissions as the web pages. Errors are `{"detail": …, "field": …}`.'
    ),
    auth=TokenAuth(),
    urls_namespace="api",
)
errors.install(api)
for module in (
    accounts, scores, plans, stakeholders, ratings, cycles, engagement, opportunities, program,
    health,
):  # fmt: skip
    api.add_router("/", module.router)


def no_route(request: HttpRequest, rest: str) -> JsonResponse:
    """Any other path under /api/: a JSON 404, like every other refusal of the API."""
    return JsonResponse(
        {"detail": f"No API route /api/{rest}. The routes are listed at /api/docs.", "field": None},
        status=404,
    )


no_route.login_required = False  # type: ignore[attr-defined]
