"""What every resource of the API shares: the error body, a page of results, and the rule
that a number which is not finite is missing (null), never a value."""

import math
from typing import Any, Generic, TypeVar

from django.http import HttpResponse, JsonResponse
from ninja import Schema
from pydantic import field_validator

MAX_LIMIT = 200
"""The most items one page of any list holds."""
MAX_OFFSET = 10_000_000
"""Offsets past this are refused: no list of kam is that long, and the databases' integers
are not unbounded."""
TEXT = r"^[^\x00-\x1f\x7f]*$"
"""Free text in a query parameter: anything but control characters (NUL included)."""

Item = TypeVar("Item")


class Error(Schema):
    """Why a request was refused: ``detail`` in words, ``field`` when one input is at fault."""

    detail: str
    field: str | None = None


class Conflict(Error):
    """Someone saved the record after the revision the request was based on: nothing was
    written. ``revision`` is the one saved now; ``changes`` what differs, field by field."""

    revision: int | None = None
    changes: list[dict[str, str]] = []


class Page(Schema, Generic[Item]):
    """One page of a list: ``count`` items match in all, ``items`` start at ``offset``."""

    count: int
    limit: int
    offset: int
    items: list[Item]


class Out(Schema):
    """A response object: non-finite numbers (NaN, ±inf) read as missing."""

    @field_validator("*", mode="before")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value


ERRORS: dict[int, type[Error]] = {
    400: Error,
    401: Error,
    403: Error,
    404: Error,
    422: Error,
    503: Error,
}
"""The error answers every operation may give, for its OpenAPI ``responses``."""


def responses(ok: Any, *, status: int = 200, conflict: bool = False) -> dict[int, Any]:
    """An operation's ``response=``: ``ok`` on success, the error bodies otherwise."""
    declared: dict[int, Any] = {status: ok, **ERRORS}
    if conflict:
        declared[409] = Conflict
    return declared


def finite(value: Any) -> Any:
    """``value`` with every non-finite number inside it (dicts and lists too) made None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


MAX_ID = 2**53
"""The largest record id a path takes: beyond any table kam keeps, within every database."""
LINE = r"^[^\x00-\x1f\x7f]*$"
"""One line of text in a body (a name, a title): no control characters."""
PROSE = r"^[^\x00]*$"
"""Text of several lines in a body (a section of a plan): anything but NUL."""


def leaving_out_hidden(answer: Schema) -> HttpResponse:
    """``answer`` as JSON, fields nobody set left out: a figure hidden from the user's role
    (``kam.accounts.access.FINANCIAL_FIELDS``) is absent, not null. Returned as the
    response itself, because ninja's own validation of a returned object sets every field."""
    return JsonResponse(answer.model_dump(mode="json", exclude_unset=True))
