"""Account plans and their sections: read any plan of an account; write a text or list
section with ``kam.plans.services.do_update_section`` at the revision it was read at
(409 when someone saved it since)."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Path, Router, Schema
from pydantic import StringConstraints

from kam.api import access
from kam.api.errors import Refused
from kam.api.schemas import MAX_ID, PROSE, Out, responses
from kam.people.roles import Permission
from kam.plans import queries, services
from kam.plans.models import AccountPlan, PlanSection
from kam.plans.sections import SECTION_BY_KEY, SECTIONS, SectionKind, empty_content

router = Router(tags=["plans"])

SectionName = Literal[
    "objectives", "targets", "value_proposition", "swot", "pest", "stakeholders",
    "implementation", "risks", "actions",
]  # fmt: skip
WrittenSection = Literal["value_proposition", "swot", "pest", "implementation"]
Prose = Annotated[str, StringConstraints(max_length=20_000, pattern=PROSE)]
Point = Annotated[str, StringConstraints(max_length=2_000, pattern=PROSE)]


class PlanOut(Out):
    """An account plan: its title, status, horizon and owner."""

    id: int
    customer_id: str
    title: str
    status: str
    horizon_months: int
    starts_on: date
    alignment_level: str
    owner: str | None
    created_at: datetime
    updated_at: datetime


class SectionOut(Out):
    """One section of a plan. ``content`` is ``{"text": …}`` for a text section and one list
    of points per part for SWOT and PEST; sections kept as rows of their own (objectives,
    targets, risks, actions) or read live (stakeholders) have no content here. Send
    ``revision`` back with an edit."""

    key: str
    title: str
    kind: str
    parts: list[str]
    content: dict[str, str | list[str]] | None
    prompt: str
    revision: int
    updated_at: datetime | None
    updated_by: str | None


class PlanDetailOut(PlanOut):
    completeness_percent: int
    missing_sections: list[str]
    sections: list[SectionOut]


class SectionIn(Schema):
    """A section's new content, and the revision it was read at."""

    revision: int = Field(..., ge=0, le=MAX_ID)
    content: dict[str, Prose | list[Point]] = Field(
        ...,
        description='{"text": "…"} for a text section; {"strengths": ["…"], …} for SWOT/PEST.',
    )


def plan_out(plan: AccountPlan) -> PlanOut:
    return PlanOut(
        id=plan.pk,
        customer_id=plan.account_id,
        title=plan.title,
        status=plan.status,
        horizon_months=plan.horizon_months,
        starts_on=plan.starts_on,
        alignment_level=plan.alignment_level,
        owner=plan.owner.username if plan.owner else None,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
    )


def section_out(key: str, section: PlanSection | None) -> SectionOut:
    spec = SECTION_BY_KEY[key]
    written = spec.kind in (SectionKind.TEXT, SectionKind.LISTS)
    content: Any = (section.content if section else empty_content(spec)) if written else None
    return SectionOut(
        key=key,
        title=spec.title,
        kind=spec.kind.value,
        parts=[name for name, _ in spec.parts],
        content=content,
        prompt=section.prompt if section else spec.default_prompt,
        revision=section.revision if section else 0,
        updated_at=section.updated_at if section else None,
        updated_by=section.updated_by.username if section and section.updated_by else None,
    )


def _plan(plan_id: int) -> AccountPlan:
    plan = AccountPlan.objects.select_related("account", "owner").filter(pk=plan_id).first()
    if plan is None:
        raise Http404(f"No plan {plan_id}.")
    return plan


@router.get(
    "/accounts/{customer_id:customer_id}/plans",
    response=responses(list[PlanOut]),
    summary="An account's plans",
)
def list_plans(request: HttpRequest, customer_id: str) -> list[PlanOut]:
    """Every plan of the account, newest first, archived ones included."""
    account = access.allow(request, Permission.VIEW_ACCOUNTS, on=access.account(customer_id))
    return [plan_out(p) for p in queries.account_plans(access.acting(request), account)]


@router.get("/plans/{plan_id}", response=responses(PlanDetailOut), summary="One plan")
def get_plan(request: HttpRequest, plan_id: int = Path(..., ge=1, le=MAX_ID)) -> PlanDetailOut:
    """A plan with every section in document order and how complete it is."""
    plan = _plan(plan_id)
    access.allow(request, Permission.VIEW_ACCOUNTS, on=lambda: plan.account)
    stored = {s.key: s for s in plan.sections.select_related("updated_by")}
    complete = queries.completeness(plan)
    return PlanDetailOut(
        **plan_out(plan).model_dump(),
        completeness_percent=complete.percent,
        missing_sections=list(complete.missing),
        sections=[section_out(spec.key.value, stored.get(spec.key.value)) for spec in SECTIONS],
    )


@router.get(
    "/plans/{plan_id}/sections/{key}", response=responses(SectionOut), summary="One section"
)
def get_section(
    request: HttpRequest, key: SectionName, plan_id: int = Path(..., ge=1, le=MAX_ID)
) -> SectionOut:
    """One section of a plan, with the revision an edit must send back."""
    plan = _plan(plan_id)
    access.allow(request, Permission.VIEW_ACCOUNTS, on=lambda: plan.account)
    section = plan.sections.select_related("updated_by").filter(key=key).first()
    return section_out(key, section)


@router.put(
    "/plans/{plan_id}/sections/{key}",
    response=responses(SectionOut, conflict=True),
    summary="Edit a section",
)
def put_section(
    request: HttpRequest,
    key: WrittenSection,
    payload: SectionIn,
    plan_id: int = Path(..., ge=1, le=MAX_ID),
) -> SectionOut:
    """Write a text or list section, unless someone saved it after ``revision`` (409, with
    what they saved)."""
    # A plan page reads with view_accounts and writes with edit_plans, on the plan's account.
    access.allow_all(request, Permission.VIEW_ACCOUNTS, Permission.EDIT_PLANS)
    plan = _plan(plan_id)
    access.allow(request, Permission.VIEW_ACCOUNTS, Permission.EDIT_PLANS, on=lambda: plan.account)
    spec = SECTION_BY_KEY[key]
    parts = [name for name, _ in spec.parts] if spec.kind is SectionKind.LISTS else ["text"]
    for name, value in payload.content.items():
        if name not in parts:
            raise Refused(
                422,
                f"{spec.title} has the parts {', '.join(parts)}, not {name!r}.",
                field=f"content.{name}",
            )
        if (spec.kind is SectionKind.LISTS) != isinstance(value, list):
            shape = "a list of points" if spec.kind is SectionKind.LISTS else "one text"
            raise Refused(422, f"{name} of {spec.title} is {shape}.", field=f"content.{name}")
    section = services.do_update_section(
        access.acting(request), plan, key, payload.content, expected_revision=payload.revision
    )
    return section_out(key, section)
