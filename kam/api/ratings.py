"""Ratings: people's 1–5 ratings of an account on the policy's rated criteria. Read the
history; file new ones with ``kam.selection.services.do_rate_account`` (409 when someone
rated the account after the latest rating the request saw)."""

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from kam.api import access
from kam.api.schemas import LINE, MAX_ID, MAX_LIMIT, MAX_OFFSET, TEXT, Out, Page, responses
from kam.people.roles import Permission
from kam.selection import services
from kam.selection.models import Rating

router = Router(tags=["ratings"])

Criterion = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=LINE)]


class RatingOut(Out):
    """One rating: who rated which account on which criterion, when, and the value."""

    id: int
    customer_id: str
    criterion: str
    value: int
    rated_by: str | None
    rated_at: datetime
    note: str


class RatingsIn(Schema):
    """New ratings of one account: criterion key → 1–5 (the policy's rated criteria)."""

    values: dict[Criterion, int] = Field(
        ..., min_length=1, max_length=20, description='e.g. {"harmony_fit": 4}'
    )
    note: Annotated[str, StringConstraints(max_length=300, pattern=LINE)] = ""
    expected_latest: int | None = Field(
        None,
        ge=0,
        le=MAX_ID,
        description="The id of the account's latest rating when read (0: none); "
        "omit to file without the check.",
    )


def rating_out(rating: Rating) -> RatingOut:
    return RatingOut(
        id=rating.pk,
        customer_id=rating.account_id,
        criterion=rating.criterion_key,
        value=rating.value,
        rated_by=rating.rated_by.username if rating.rated_by else None,
        rated_at=rating.rated_at,
        note=rating.note,
    )


@router.get("/ratings", response=responses(Page[RatingOut]), summary="List ratings")
def list_ratings(
    request: HttpRequest,
    account: str = Query("", max_length=64, pattern=TEXT, description="Only this account."),
    criterion: str = Query("", max_length=40, pattern=TEXT),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> Page[RatingOut]:
    """Ratings, newest first; earlier ones are kept as history, the latest counts."""
    ratings = Rating.objects.select_related("rated_by")
    if account:
        rated = access.allow(request, Permission.VIEW_ACCOUNTS, on=access.account(account))
        ratings = ratings.filter(account=rated)
    else:
        access.allow_all(request, Permission.VIEW_ACCOUNTS)
    if criterion:
        ratings = ratings.filter(criterion_key=criterion)
    ratings = ratings.order_by("-rated_at", "-id")
    return Page[RatingOut](
        count=ratings.count(),
        limit=limit,
        offset=offset,
        items=[rating_out(r) for r in ratings[offset : offset + limit]],
    )


@router.post(
    "/accounts/{customer_id:customer_id}/ratings",
    response=responses(list[RatingOut], status=201, conflict=True),
    summary="Rate an account",
)
def rate_account(request: HttpRequest, customer_id: str, payload: RatingsIn) -> Status[Any]:
    """File the acting user's ratings of the account; each adds to its history."""
    account = access.allow(
        request,
        Permission.VIEW_ACCOUNTS,
        Permission.RATE_ACCOUNTS,
        on=access.account(customer_id),
    )
    created = services.do_rate_account(
        access.acting(request),
        account.customer_id,
        dict(payload.values),
        note=payload.note,
        expected_latest=payload.expected_latest,
    )
    return Status(201, [rating_out(r) for r in created])
