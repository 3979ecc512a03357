"""Engagements: an account's meetings and calls, its cadence and timeline, the cadence
policy. Reading needs what the page needs (reading the account in full); logging and
correcting go through ``kam.engagement.services`` with the same rules as the web app (a
manager on the accounts they keep, the Head of KAM on all; a sponsor only comments)."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import AfterValidator, StringConstraints

from kam.accounts.timeline import account_timeline
from kam.api import access
from kam.api.errors import Refused
from kam.api.schemas import LINE, MAX_ID, MAX_LIMIT, MAX_OFFSET, PROSE, Out, Page, responses
from kam.engagement import queries, services
from kam.engagement.models import Engagement
from kam.engagement.services import EngagementError, FollowUp
from kam.people.models import User
from kam.people.roles import Permission
from kam.relationships.models import Contact

router = Router(tags=["engagement"])

Kind = Literal[
    "qbr", "executive_review", "steering_committee", "workshop", "joint_planning", "training",
    "advisory_board", "call", "visit",
]  # fmt: skip
Status_ = Literal["planned", "held", "cancelled"]
Line = Annotated[str, StringConstraints(max_length=200, pattern=LINE)]
Prose = Annotated[str, StringConstraints(max_length=20_000, pattern=PROSE)]
Username = Annotated[str, StringConstraints(min_length=1, max_length=150, pattern=LINE)]


def _local_time(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise ValueError(
            "a start time is the meeting's local time, without a time zone (e.g. 14:30)"
        )
    return value


LocalTime = Annotated[dt.time, AfterValidator(_local_time)]
"""A time of day as the meeting's own clock reads it: a time with a zone is refused (422)."""


class FollowUpIn(Schema):
    """A follow-up action: it becomes an action of the account plan."""

    action: Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=LINE)]
    owner: Username | None = Field(None, description="A user name; the caller when empty.")
    due_on: dt.date


class EngagementOut(Out):
    """One engagement: when, what, who on both sides, how it went, its follow-up actions."""

    id: int
    customer_id: str
    kind: str
    status: str
    date: dt.date
    start_time: dt.time | None
    duration_minutes: int
    title: str
    location: str
    our_people: list[str]
    contacts: list[int]
    notes: str
    outcome: str
    rating: int | None
    follow_up_actions: list[int]
    reference: str
    revision: int
    updated_at: dt.datetime


class EngagementIn(Schema):
    """A new engagement; ``status`` defaults to held up to today, planned after."""

    kind: Kind
    date: dt.date
    status: Status_ | None = None
    start_time: LocalTime | None = None
    duration_minutes: int = Field(60, ge=1, le=1440)
    title: Line = ""
    location: Line = ""
    our_people: list[Username] = Field(
        default_factory=list, max_length=50, description="User names; the caller when empty."
    )
    contacts: list[int] = Field(
        default_factory=list, max_length=100, description="Contact ids of the account."
    )
    notes: Prose = ""
    outcome: Prose = ""
    rating: int | None = Field(None, ge=1, le=5)
    follow_ups: list[FollowUpIn] = Field(default_factory=list, max_length=20)


class EngagementPatch(Schema):
    """The fields to change and the revision the engagement was read at; the rest stay."""

    revision: int = Field(..., ge=0, le=MAX_ID)
    kind: Kind | None = None
    status: Status_ | None = None
    date: dt.date | None = None
    start_time: LocalTime | None = None
    duration_minutes: int | None = Field(None, ge=1, le=1440)
    title: Line | None = None
    location: Line | None = None
    our_people: list[Username] | None = Field(None, max_length=50)
    contacts: list[int] | None = Field(None, max_length=100)
    notes: Prose | None = None
    outcome: Prose | None = None
    rating: int | None = Field(None, ge=1, le=5)
    follow_ups: list[FollowUpIn] = Field(default_factory=list, max_length=20)


class CommentIn(Schema):
    text: Annotated[str, StringConstraints(min_length=1, max_length=5000, pattern=PROSE)]


class CommentOut(Out):
    id: int
    engagement: int
    author: str | None
    text: str
    created_at: dt.datetime


class TouchpointOut(Out):
    """The next touchpoint one cadence rule asks of the account."""

    kind: str
    every_days: int
    with_sponsor: bool
    due_on: dt.date
    last_held: dt.date | None
    planned_on: dt.date | None
    state: str
    overdue_days: int


class CadenceOut(Out):
    customer_id: str
    tier: str
    policy_version: int
    touchpoints: list[TouchpointOut]


class TimelineOut(Out):
    date: dt.date
    kind: str
    title: str
    url: str
    detail: str
    source: str


class RuleOut(Out):
    tier: str
    kind: str
    every_days: int
    with_sponsor: bool


class PolicyOut(Out):
    version: int
    rules: list[RuleOut]


def engagement_out(engagement: Engagement) -> EngagementOut:
    return EngagementOut(
        id=engagement.pk,
        customer_id=engagement.account_id,
        kind=engagement.kind,
        status=engagement.status,
        date=engagement.date,
        start_time=engagement.start_time,
        duration_minutes=engagement.duration_minutes,
        title=engagement.title,
        location=engagement.location,
        our_people=sorted(p.username for p in engagement.our_people.all()),
        contacts=sorted(c.pk for c in engagement.contacts.all()),
        notes=engagement.notes,
        outcome=engagement.outcome,
        rating=engagement.rating,
        follow_up_actions=sorted(a.pk for a in engagement.follow_ups.all()),
        reference=engagement.reference,
        revision=engagement.revision,
        updated_at=engagement.updated_at,
    )


def _engagement(engagement_id: int) -> Engagement:
    found = (
        Engagement.objects.select_related("account")
        .prefetch_related("our_people", "contacts", "follow_ups")
        .filter(pk=engagement_id)
        .first()
    )
    if found is None:
        raise Http404(f"No engagement {engagement_id}.")
    return found


def _people(names: list[str], field: str) -> list[User]:
    found = {u.username: u for u in User.objects.filter(username__in=names)}
    missing = [name for name in names if name not in found]
    if missing:
        raise Refused(422, f"No user {missing[0]!r}.", field=field)
    return [found[name] for name in dict.fromkeys(names)]


def _contacts(ids: list[int], customer_id: str) -> list[Contact]:
    found = {c.pk: c for c in Contact.objects.filter(pk__in=ids, account_id=customer_id)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise Refused(422, f"No contact {missing[0]} at this account.", field="contacts")
    return [found[pk] for pk in dict.fromkeys(ids)]


def _follow_ups(items: list[FollowUpIn], caller: User) -> list[FollowUp]:
    owners = _people([i.owner for i in items if i.owner], "follow_ups")
    by_name = {u.username: u for u in owners}
    return [FollowUp(i.action, by_name[i.owner] if i.owner else caller, i.due_on) for i in items]


def _refused(error: EngagementError) -> Refused:
    field, reason = error.first()
    return Refused(400, reason, field=field)


@router.get(
    "/accounts/{customer_id:customer_id}/engagements",
    response=responses(Page[EngagementOut]),
    summary="An account's engagements",
)
def list_engagements(
    request: HttpRequest,
    customer_id: str,
    status: Status_ | None = Query(None),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> Page[EngagementOut]:
    """The account's engagements, newest first."""
    account = access.allow(request, Permission.READ_IN_FULL, on=access.account(customer_id))
    found = Engagement.objects.filter(account=account)
    if status:
        found = found.filter(status=status)
    found = found.prefetch_related("our_people", "contacts", "follow_ups").order_by("-date", "-id")
    return Page[EngagementOut](
        count=found.count(),
        limit=limit,
        offset=offset,
        items=[engagement_out(e) for e in found[offset : offset + limit]],
    )


@router.get(
    "/engagements/{engagement_id}", response=responses(EngagementOut), summary="One engagement"
)
def get_engagement(
    request: HttpRequest, engagement_id: int = Path(..., ge=1, le=MAX_ID)
) -> EngagementOut:
    """One engagement, with the revision an edit must send back."""
    access.allow_all(request, Permission.READ_IN_FULL)
    engagement = _engagement(engagement_id)
    access.allow(request, Permission.READ_IN_FULL, on=lambda: engagement.account)
    return engagement_out(engagement)


@router.post(
    "/accounts/{customer_id:customer_id}/engagements",
    response=responses(EngagementOut, status=201),
    summary="Log an engagement",
)
def log_engagement(request: HttpRequest, customer_id: str, payload: EngagementIn) -> Status[Any]:
    """Log an engagement with the account, with its follow-up actions."""
    account = access.allow(
        request, Permission.READ_IN_FULL, Permission.LOG_ENGAGEMENTS, on=access.account(customer_id)
    )
    caller = access.acting(request)
    try:
        engagement = services.do_log_engagement(
            caller,
            account,
            kind=payload.kind,
            date=payload.date,
            status=payload.status,
            start_time=payload.start_time,
            duration_minutes=payload.duration_minutes,
            title=payload.title,
            location=payload.location,
            our_people=_people(payload.our_people, "our_people")
            if payload.our_people
            else [caller],
            contacts=_contacts(payload.contacts, account.customer_id),
            notes=payload.notes,
            outcome=payload.outcome,
            rating=payload.rating,
            follow_ups=_follow_ups(payload.follow_ups, caller),
            today=timezone.localdate(),
        )
    except EngagementError as error:
        raise _refused(error) from None
    return Status(201, engagement_out(_engagement(engagement.pk)))


@router.patch(
    "/engagements/{engagement_id}",
    response=responses(EngagementOut, conflict=True),
    summary="Change an engagement",
)
def update_engagement(
    request: HttpRequest, payload: EngagementPatch, engagement_id: int = Path(..., ge=1, le=MAX_ID)
) -> EngagementOut:
    """Change the fields sent (record how a planned one went), unless someone saved the
    engagement after ``revision`` (409)."""
    access.allow_all(request, Permission.READ_IN_FULL, Permission.LOG_ENGAGEMENTS)
    engagement = _engagement(engagement_id)
    access.allow(
        request, Permission.READ_IN_FULL, Permission.LOG_ENGAGEMENTS, on=lambda: engagement.account
    )
    caller = access.acting(request)
    sent = payload.model_dump(exclude_unset=True)
    revision = sent.pop("revision")
    sent.pop("follow_ups", None)
    people = sent.pop("our_people", None)
    contacts = sent.pop("contacts", None)
    for name in ("kind", "status", "date", "duration_minutes"):
        if name in sent and sent[name] is None:
            raise Refused(422, f"{name} cannot be null.", field=name)
    for name in ("title", "location", "notes", "outcome"):
        if name in sent and sent[name] is None:
            sent[name] = ""
    try:
        services.do_update_engagement(
            caller,
            engagement,
            today=timezone.localdate(),
            expected_revision=revision,
            our_people=_people(people, "our_people") if people is not None else None,
            contacts=_contacts(contacts, engagement.account_id) if contacts is not None else None,
            follow_ups=_follow_ups(payload.follow_ups, caller),
            **sent,
        )
    except EngagementError as error:
        raise _refused(error) from None
    return engagement_out(_engagement(engagement.pk))


@router.post(
    "/engagements/{engagement_id}/comments",
    response=responses(CommentOut, status=201),
    summary="Comment on an engagement",
)
def comment(
    request: HttpRequest, payload: CommentIn, engagement_id: int = Path(..., ge=1, le=MAX_ID)
) -> Status[Any]:
    """Add a comment (the account's manager, the Head of KAM, its executive sponsor)."""
    access.allow_all(request, Permission.READ_IN_FULL, Permission.COMMENT_ON_ENGAGEMENTS)
    engagement = _engagement(engagement_id)
    access.allow(
        request,
        Permission.READ_IN_FULL,
        Permission.COMMENT_ON_ENGAGEMENTS,
        on=lambda: engagement.account,
    )
    try:
        made = services.do_comment_on_engagement(access.acting(request), engagement, payload.text)
    except EngagementError as error:
        raise _refused(error) from None
    return Status(
        201,
        CommentOut(
            id=made.pk,
            engagement=engagement.pk,
            author=made.author.username if made.author else None,
            text=made.text,
            created_at=made.created_at,
        ),
    )


@router.get(
    "/accounts/{customer_id:customer_id}/cadence",
    response=responses(CadenceOut),
    summary="An account's next touchpoints",
)
def account_cadence(request: HttpRequest, customer_id: str) -> CadenceOut:
    """Each touchpoint the cadence policy asks of the key account, as of today (404 when
    the account is not a key account)."""
    account = access.allow(request, Permission.VIEW_ACCOUNTS, on=access.account(customer_id))
    status = queries.account_cadence(access.acting(request), account, timezone.localdate())
    if status is None:
        raise Http404(f"{account.name} is not a key account: no cadence applies.")
    return CadenceOut(
        customer_id=account.customer_id,
        tier=status.key_account.tier,
        policy_version=queries.current_policy().number,
        touchpoints=[
            TouchpointOut(
                kind=t.rule.kind,
                every_days=t.rule.every_days,
                with_sponsor=t.rule.with_sponsor,
                due_on=t.due_on,
                last_held=t.last_held,
                planned_on=t.planned_on,
                state=t.state.value,
                overdue_days=t.overdue_days,
            )
            for t in status.touchpoints
        ],
    )


@router.get(
    "/accounts/{customer_id:customer_id}/timeline",
    response=responses(list[TimelineOut]),
    summary="An account's timeline",
)
def timeline(request: HttpRequest, customer_id: str) -> list[TimelineOut]:
    """Engagements, plan versions and reviews, selection decisions (and what other apps
    register), newest first."""
    account = access.allow(request, Permission.READ_IN_FULL, on=access.account(customer_id))
    return [
        TimelineOut(
            date=e.date, kind=e.kind, title=e.title, url=e.url, detail=e.detail, source=e.source
        )
        for e in account_timeline(account.customer_id)
    ]


@router.get("/cadence-policy", response=responses(PolicyOut), summary="The cadence policy")
def cadence_policy(request: HttpRequest) -> PolicyOut:
    """The touchpoints each tier owes, in force now (version 0: the defaults)."""
    access.allow_all(request, Permission.VIEW_ACCOUNTS)
    policy = queries.current_policy()
    return PolicyOut(
        version=policy.number,
        rules=[RuleOut(**rule.as_json()) for rule in policy.rules],
    )
