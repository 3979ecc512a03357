"""Every refusal of the API as one JSON body, ``{"detail": "…", "field": "…"}``:

400 a request the rules refuse (a plan that is archived, a body that is not JSON), 401 no
valid token, 403 the user's role or record does not allow it, 404 no such record, 409
someone saved first (with the revision saved now), 422 an input that is not of its form,
503 the analytical store is being written. Bad input never reaches a 500.
"""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kam.analytics.store import StoreBusy
from kam.api.services import TokenError, TokenRefused
from kam.people.services import PermissionRefused
from kam.plans.services import PlanError
from kam.revisions import EditConflict
from kam.selection.services import SelectionError
from kam.stores import RETRY_AFTER_SECONDS


class Refused(HttpError):
    """A refusal an operation raises itself, naming the input at fault when there is one."""

    def __init__(self, status: int, detail: str, *, field: str | None = None):
        super().__init__(status, detail)
        self.field = field


def _body(detail: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "field": field, **extra}


def _where(location: Any) -> str | None:
    parts = [str(part) for part in location or () if part not in ("body", "query", "path")]
    parts = [part for part in parts if part != "payload"]
    return ".".join(parts) or None


def install(api: NinjaAPI) -> None:
    """Register the API's answer to each kind of refusal."""

    def answer(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = list(exc.errors)
        first = errors[0] if errors else {}
        field = _where(first.get("loc"))
        message = str(first.get("msg", "The request is not of the expected form."))
        if first.get("type") == "json_invalid" or ("JSON" in message and field is None):
            return answer(request, 400, _body("The request body is not valid JSON."))
        detail = f"{field}: {message}" if field else message
        return answer(request, 422, _body(detail, field))

    @api.exception_handler(TokenRefused)
    def token_refused(request: HttpRequest, exc: TokenRefused) -> HttpResponse:
        response = answer(request, 401, _body(exc.reason))
        response["WWW-Authenticate"] = 'Bearer realm="kam", error="invalid_token"'
        return response

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = answer(
            request,
            401,
            _body("Send a personal API token: Authorization: Bearer <token>."),
        )
        response["WWW-Authenticate"] = 'Bearer realm="kam"'
        return response

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        if isinstance(exc, PermissionRefused):
            detail = exc.reason
        else:
            detail = str(exc) or "Your role does not allow this."
        return answer(request, 403, _body(detail))

    @api.exception_handler(Http404)
    def missing(request: HttpRequest, exc: Http404) -> HttpResponse:
        return answer(request, 404, _body(str(exc) or "Not found."))

    @api.exception_handler(ObjectDoesNotExist)
    def missing_record(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
        return answer(request, 404, _body("Not found."))

    @api.exception_handler(EditConflict)
    def conflict(request: HttpRequest, exc: EditConflict) -> HttpResponse:
        changes = [
            {"label": change.label, "saved": change.saved, "yours": change.yours}
            for change in exc.changes
        ]
        # A plan section's conflict keeps the saved content in ``current``; its revision apart.
        revision = getattr(exc, "current_revision", exc.current)
        body = _body(str(exc), "revision", revision=revision, changes=changes)
        return answer(request, 409, body)

    @api.exception_handler(DjangoValidationError)
    def refused_value(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            field, problems = next(iter(exc.message_dict.items()))
            return answer(request, 422, _body(" ".join(problems), field))
        return answer(request, 422, _body(" ".join(exc.messages)))

    @api.exception_handler(PlanError)
    def plan_refused(request: HttpRequest, exc: PlanError) -> HttpResponse:
        return answer(request, 400, _body(str(exc)))

    @api.exception_handler(SelectionError)
    def selection_refused(request: HttpRequest, exc: SelectionError) -> HttpResponse:
        return answer(request, 400, _body(str(exc)))

    @api.exception_handler(TokenError)
    def token_error(request: HttpRequest, exc: TokenError) -> HttpResponse:
        return answer(request, 422, _body(str(exc)))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and exc.message == "Cannot parse request body":
            return answer(request, 400, _body("The request body is not valid JSON.", "body"))
        return answer(request, exc.status_code, _body(exc.message, getattr(exc, "field", None)))

    @api.exception_handler(StoreBusy)
    def busy(request: HttpRequest, exc: StoreBusy) -> HttpResponse:
        response = answer(request, 503, _body("Data is being updated; try again in a few seconds."))
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
