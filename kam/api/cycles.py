"""Selection cycles: each round of choosing key accounts, and what it decided for each
account (proposal, override, tier, type, manager)."""

from datetime import date, datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Path, Query, Router

from kam.api import access
from kam.api.schemas import MAX_ID, MAX_LIMIT, MAX_OFFSET, Out, Page, finite, responses
from kam.people.roles import Permission
from kam.selection.models import CycleDecision, SelectionCycle

router = Router(tags=["cycles"])

Proposal = Literal["add", "keep", "remove", "out"]


class CycleOut(Out):
    """A selection round: proposals at an as-of date, decided and published."""

    id: int
    name: str
    as_of: date
    status: str
    score_run: int
    previous: int | None
    note: str
    created_by: str | None
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    published_at: datetime | None


class DecisionOut(Out):
    """What a cycle proposes for one account, why, and what was decided."""

    customer_id: str
    name: str
    proposal: str
    is_key: bool
    override_key: bool | None
    override_reason: str
    tier: str | None
    type: str | None
    previous_tier: str | None
    previous_type: str | None
    total: float | None
    previous_total: float | None
    key_rank: int | None
    revenue_12m: float | None
    manager: str | None
    reasons: list[dict[str, Any]]


def _name(user: Any) -> str | None:
    return user.username if user is not None else None


def cycle_out(cycle: SelectionCycle) -> CycleOut:
    return CycleOut(
        id=cycle.pk,
        name=cycle.name,
        as_of=cycle.as_of,
        status=cycle.status,
        score_run=cycle.score_run_id,
        previous=cycle.previous_id,
        note=cycle.note,
        created_by=_name(cycle.created_by),
        created_at=cycle.created_at,
        approved_by=_name(cycle.approved_by),
        approved_at=cycle.approved_at,
        published_at=cycle.published_at,
    )


def decision_out(decision: CycleDecision) -> DecisionOut:
    return DecisionOut(
        customer_id=decision.account_id,
        name=decision.account.name,
        proposal=decision.proposal,
        is_key=decision.is_key,
        override_key=decision.override_key,
        override_reason=decision.override_reason,
        tier=decision.tier or None,
        type=decision.quadrant or None,
        previous_tier=decision.previous_tier or None,
        previous_type=decision.previous_quadrant or None,
        total=decision.total,
        previous_total=decision.previous_total,
        key_rank=decision.key_rank,
        revenue_12m=decision.revenue_12m,
        manager=_name(decision.manager),
        reasons=finite(list(decision.reasons or [])),
    )


def _cycles() -> Any:
    return SelectionCycle.objects.select_related("created_by", "approved_by")


def _cycle(cycle_id: int) -> SelectionCycle:
    cycle = _cycles().filter(pk=cycle_id).first()
    if cycle is None:
        raise Http404(f"No selection cycle {cycle_id}.")
    return cycle


@router.get("/cycles", response=responses(Page[CycleOut]), summary="List selection cycles")
def list_cycles(
    request: HttpRequest,
    limit: int = Query(25, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> Page[CycleOut]:
    """Every selection cycle, newest as-of first."""
    access.allow_all(request, Permission.VIEW_ACCOUNTS)
    cycles = _cycles().order_by("-as_of", "-id")
    return Page[CycleOut](
        count=cycles.count(),
        limit=limit,
        offset=offset,
        items=[cycle_out(c) for c in cycles[offset : offset + limit]],
    )


@router.get("/cycles/{cycle_id}", response=responses(CycleOut), summary="One selection cycle")
def get_cycle(request: HttpRequest, cycle_id: int = Path(..., ge=1, le=MAX_ID)) -> CycleOut:
    access.allow_all(request, Permission.VIEW_ACCOUNTS)
    return cycle_out(_cycle(cycle_id))


@router.get(
    "/cycles/{cycle_id}/decisions",
    response=responses(Page[DecisionOut]),
    summary="A cycle's decisions",
)
def list_decisions(
    request: HttpRequest,
    cycle_id: int = Path(..., ge=1, le=MAX_ID),
    proposal: Proposal | None = Query(None),
    key: bool | None = Query(None, description="Only accounts key (true) or not after it."),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> Page[DecisionOut]:
    """The cycle's decisions, key accounts first by rank, then the others by account."""
    access.allow_all(request, Permission.VIEW_ACCOUNTS)
    cycle = _cycle(cycle_id)
    decisions = cycle.decisions.select_related("account", "manager")
    if proposal:
        decisions = decisions.filter(proposal=proposal)
    rows = sorted(decisions, key=lambda d: (not d.is_key, d.key_rank or 10**9, d.account_id))
    if key is not None:
        rows = [d for d in rows if d.is_key is key]
    return Page[DecisionOut](
        count=len(rows),
        limit=limit,
        offset=offset,
        items=[decision_out(d) for d in rows[offset : offset + limit]],
    )
