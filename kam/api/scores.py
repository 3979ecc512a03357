"""Scores and designations: the latest (or a named) score run's snapshot, one account's
score explained criterion by criterion, and the key accounts a published cycle designated.

Snapshot reads go through ``kam.selection.queries`` (browse_scores, account_score), the
score pages' queries, which page in the analytical store.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router

from kam.accounts.access import FINANCIAL_FIELDS, without_financials
from kam.api import access
from kam.api.accounts import AccountType, DesignationOut, KeyTier, designation_of
from kam.api.schemas import (
    MAX_LIMIT,
    MAX_OFFSET,
    TEXT,
    Out,
    Page,
    finite,
    leaving_out_hidden,
    responses,
)
from kam.people.roles import Permission
from kam.selection import queries
from kam.selection.models import KeyAccount, ScoreRun

router = Router(tags=["scores and designations"])

Sort = Literal["rank", "name", "revenue", "growth", "attractiveness", "relationship", "total"]
ScoreTier = Literal["tier_1", "tier_2", "tier_3", "high_potential", "not_key"]


class ScoreRunOut(Out):
    """One scoring of every account under a policy version at an as-of date."""

    id: int
    status: str
    policy_version: int
    as_of: date | None
    customers: int
    key_accounts: int
    started_at: datetime
    finished_at: datetime | None


class ScoreOut(Out):
    """One account's row of a snapshot: its points, rank, tier and type."""

    customer_id: str
    name: str | None
    region: str | None
    segment: str | None
    revenue_12m: float | None
    growth_slope: float | None
    margin_pct: float | None = Field(
        None, description="Absent for a role without the financials permission."
    )
    abc_class: str | None
    attractiveness: float | None
    relationship: float | None
    total: float | None
    coverage: float | None
    key_rank: int | None
    is_key: bool | None
    tier: str | None
    tier_label: str
    type: str | None


class ScoresOut(Page[ScoreOut]):
    run: ScoreRunOut


class AccountScoreOut(Out):
    """One account's score in a run and why: a row per criterion of the policy."""

    run: ScoreRunOut
    score: ScoreOut
    criteria: list[dict[str, Any]]


class KeyAccountOut(Out):
    customer_id: str
    name: str
    designation: DesignationOut


def run_out(run: ScoreRun) -> ScoreRunOut:
    return ScoreRunOut(
        id=run.pk,
        status=run.status,
        policy_version=run.policy_version.version,
        as_of=run.as_of,
        customers=run.customers,
        key_accounts=run.key_accounts,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


def score_out(row: dict[str, Any], user: object) -> dict[str, Any]:
    """A snapshot row as the API gives it (``ScoreOut``'s fields); financial fields left
    out (absent, not null) for a user who may not see them. A dict, not a ScoreOut: the
    answer's validation keeps what a dict leaves out unset."""
    row = finite(without_financials(user, row))
    names = [
        n for n in ScoreOut.model_fields if n != "type" and (n in row or n not in FINANCIAL_FIELDS)
    ]
    return {name: row.get(name) for name in names} | {
        "tier_label": row.get("tier_label") or "",
        "type": row.get("quadrant") or None,
    }


def _run(run: int | None) -> Callable[[], ScoreRun]:
    def resolve() -> ScoreRun:
        finished = ScoreRun.objects.select_related("policy_version").filter(
            status=ScoreRun.Status.DONE
        )
        found = finished.filter(pk=run).first() if run is not None else queries.latest_run()
        if found is None:
            raise Http404(
                "No finished score run yet." if run is None else f"No finished score run {run}."
            )
        return found

    return resolve


def window(
    fetch: Callable[[int, int], tuple[list[Any], int, int]], offset: int, limit: int
) -> tuple[list[Any], int]:
    """(the items from ``offset`` on, at most ``limit``; how many match in all) from a read
    that pages by number: ``fetch(page, page_size)`` → (rows, total, page served)."""
    first = offset // limit + 1
    rows, total, served = fetch(first, limit)
    if served != first:  # past the last page: the read serves the last one instead
        return [], total
    skip = offset - (first - 1) * limit
    if skip:
        more, _, served = fetch(first + 1, limit)
        rows = list(rows) + (list(more) if served == first + 1 else [])
    return list(rows)[skip : skip + limit], total


@router.get("/score-runs/latest", response=responses(ScoreRunOut), summary="The latest score run")
def latest_score_run(request: HttpRequest) -> ScoreRunOut:
    """The newest finished score run: the snapshot the selection pages show."""
    return run_out(access.allow(request, Permission.VIEW_ACCOUNTS, on=_run(None)))


@router.get(
    "/scores", response=responses(ScoresOut), summary="Browse a score run", exclude_unset=True
)
def list_scores(
    request: HttpRequest,
    run: int | None = Query(None, ge=1, le=2**31, description="Score run id; default latest."),
    q: str = Query("", max_length=100, pattern=TEXT, description="Name or id contains."),
    region: str = Query("", max_length=64, pattern=TEXT),
    segment: str = Query("", max_length=128, pattern=TEXT),
    tier: ScoreTier | None = Query(None),
    type: AccountType | None = Query(None),
    key: bool = Query(False, description="Only the accounts the run makes key."),
    sort: Sort = Query("rank"),
    descending: bool = Query(False),
    limit: int = Query(25, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> HttpResponse:
    """Every account's score in the run, filtered, sorted and paged in the analytical store."""
    scored = access.allow(request, Permission.VIEW_ACCOUNTS, on=_run(run))
    user = access.acting(request)

    def fetch(page: int, size: int) -> tuple[list[Any], int, int]:
        found = queries.browse_scores(
            user,
            scored,
            queries.ScoreQuery(
                search=q.strip(),
                region=region,
                segment=segment,
                tier=tier or "",
                quadrant=type or "",
                key_only=key,
                sort=sort,
                descending=descending,
                page=page,
                page_size=size,
            ),
        )
        return found.rows, found.total, found.page

    rows, total = window(fetch, offset, limit)
    answer = ScoresOut.model_validate(
        {
            "run": run_out(scored),
            "count": total,
            "limit": limit,
            "offset": offset,
            "items": [score_out(row, user) for row in rows],
        }
    )
    return leaving_out_hidden(answer)


@router.get(
    "/scores/{customer_id:customer_id}",
    response=responses(AccountScoreOut),
    summary="One account's score",
)
def get_score(
    request: HttpRequest,
    customer_id: str,
    run: int | None = Query(None, ge=1, le=2**31, description="Score run id; default latest."),
) -> HttpResponse:
    """One account's score in the run, criterion by criterion."""
    access.allow(request, Permission.VIEW_ACCOUNTS, on=access.account(customer_id))
    scored = _run(run)()
    found = queries.account_score(access.acting(request), scored, customer_id)
    if found is None:
        raise Http404(f"Score run {scored.pk} did not score account {customer_id!r}.")
    answer = AccountScoreOut.model_validate(
        {
            "run": run_out(scored),
            "score": score_out(found.row, access.acting(request)),
            "criteria": [finite(criterion) for criterion in found.criteria],
        }
    )
    return leaving_out_hidden(answer)


@router.get("/designations", response=responses(Page[KeyAccountOut]), summary="List key accounts")
def list_designations(
    request: HttpRequest,
    tier: KeyTier | None = Query(None),
    type: AccountType | None = Query(None),
    manager: str = Query("", max_length=150, pattern=TEXT, description="Manager's username."),
    limit: int = Query(25, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> Page[KeyAccountOut]:
    """The key accounts as the last published cycle designated them, by account name."""
    access.allow_all(request, Permission.VIEW_ACCOUNTS)
    keys = KeyAccount.objects.select_related("account", "manager", "executive_sponsor")
    if tier:
        keys = keys.filter(tier=tier)
    if type:
        keys = keys.filter(quadrant=type)
    if manager:
        keys = keys.filter(manager__username=manager)
    keys = keys.order_by("account__name", "account_id")
    return Page[
        KeyAccountOut
    ](
        count=keys.count(),
        limit=limit,
        offset=offset,
        items=[
            KeyAccountOut(
                customer_id=key.account_id,
                name=key.account.name,
                designation=designation_of(key),  # type: ignore[arg-type]
            )
            for key in keys[offset : offset + limit]
        ],
    )
