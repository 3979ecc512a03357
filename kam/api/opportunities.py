"""Opportunities, their qualification, pipelines, whitespace and wallet estimates. Reading
an account's needs what its page needs (reading the account in full); writes go through
``kam.opportunities.services`` with the same rules as the web app (a manager on the
accounts they keep, the Head of KAM on all). The expected margin is a financial figure:
absent, not null, for a user who may not see them."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StringConstraints

from kam.accounts.access import sees_financials
from kam.api import access
from kam.api.errors import Refused
from kam.api.schemas import LINE, MAX_ID, PROSE, Out, responses
from kam.opportunities import queries, services
from kam.opportunities.models import Opportunity, Qualification
from kam.opportunities.services import OpportunityError
from kam.opportunities.verdict import Question
from kam.people.models import User
from kam.people.roles import Permission

router = Router(tags=["opportunities"])

OpenStage = Literal["prospecting", "qualifying", "proposal", "negotiation"]
Line = Annotated[str, StringConstraints(max_length=200, pattern=LINE)]
Short = Annotated[str, StringConstraints(max_length=128, pattern=LINE)]
Prose = Annotated[str, StringConstraints(max_length=5000, pattern=PROSE)]
Username = Annotated[str, StringConstraints(min_length=1, max_length=150, pattern=LINE)]
Score = Annotated[int, Field(ge=1, le=5)]


class QualificationOut(Out):
    """The four questions answered: 1–5 and the evidence each, the verdict and why."""

    scores: dict[str, int | None]
    evidence: dict[str, str]
    verdict: str
    verdict_reason: str
    weakest: str
    revision: int
    expected_margin_pct: float | None = None


class OpportunityOut(Out):
    id: int
    customer_id: str
    name: str
    value: float
    weighted_value: float
    expected_close_date: dt.date
    stage: str
    probability: int
    product_category: str
    business_unit: str
    competitors: list[str]
    owner: str | None
    closed_on: dt.date | None
    close_reason: str
    reference: str
    revision: int
    qualification: QualificationOut | None


class OpportunityIn(Schema):
    """A new open opportunity; the probability defaults to the stage's, the owner to you."""

    name: Line
    value: float = Field(..., ge=0, le=1e14)
    expected_close_date: dt.date
    product_category: Short
    stage: OpenStage = "prospecting"
    probability: int | None = Field(None, ge=0, le=100)
    business_unit: Short = ""
    competitors: list[Short] = Field(default_factory=list, max_length=20)
    owner: Username | None = None


class OpportunityPatch(Schema):
    """The fields to change and the revision the opportunity was read at."""

    revision: int = Field(..., ge=0, le=MAX_ID)
    name: Line | None = None
    value: float | None = Field(None, ge=0, le=1e14)
    expected_close_date: dt.date | None = None
    stage: OpenStage | None = None
    probability: int | None = Field(None, ge=0, le=100)
    product_category: Short | None = None
    business_unit: Short | None = None
    competitors: list[Short] | None = Field(None, max_length=20)
    owner: Username | None = None


class QualificationIn(Schema):
    """Scores 1–5 (a question left out is not answered yet) and the evidence each;
    ``revision`` is the qualification's as read (none for the first)."""

    scores: dict[Question, Score] = Field(default_factory=dict)
    evidence: dict[Question, Prose] = Field(default_factory=dict)
    expected_margin_pct: float | None = Field(None, ge=-100, le=100)
    revision: int | None = Field(None, ge=0, le=MAX_ID)


class CloseIn(Schema):
    outcome: Literal["won", "lost"]
    closed_on: dt.date
    reason: Prose = ""
    revision: int | None = Field(None, ge=0, le=MAX_ID)


class BucketOut(Out):
    key: str
    label: str
    count: int
    value: float
    weighted: float


class PipelineOut(Out):
    count: int
    value: float
    weighted: float
    won_12m: float
    lost_12m: float
    by_stage: list[BucketOut]
    by_month: list[BucketOut]


class ManagerPipelineOut(Out):
    manager: str | None
    accounts: int
    pipeline: PipelineOut


class ProgrammePipelineOut(Out):
    total: PipelineOut
    managers: list[ManagerPipelineOut]


class WalletIn(Schema):
    """What the account spends in ``category`` in a year; null removes the estimate."""

    category: Short
    amount: float | None = Field(..., ge=0, le=1e14)
    source: Line = ""


class WalletOut(Out):
    customer_id: str
    category: str
    amount: float
    source: str
    revision: int


class CellOut(Out):
    category: str
    business_unit: str
    state: str
    revenue_12m: float
    pipeline: float


class CategoryOut(Out):
    """A category's wallet: ``wallet_source`` "entered", "peers" (an estimate, with its
    range and number of peers) or null (unknown)."""

    category: str
    bought: float
    pipeline: float
    wallet: float | None
    wallet_source: str | None
    wallet_entered: float | None
    peer_median: float | None
    peer_low: float | None
    peer_high: float | None
    peer_count: int
    peers: list[str]
    share_of_wallet: float | None
    open_wallet: float | None
    gap_kind: str


class WhitespaceOut(Out):
    customer_id: str
    as_of: dt.date | None
    business_units: list[str]
    cells: list[CellOut]
    categories: list[CategoryOut]


def qualification_out(found: Qualification, user: User) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "scores": {q.value: getattr(found, f"{q.value}_score") for q in Question},
        "evidence": {q.value: getattr(found, f"{q.value}_evidence") for q in Question},
        "verdict": found.verdict,
        "verdict_reason": found.verdict_reason,
        "weakest": found.weakest,
        "revision": found.revision,
    }
    if sees_financials(user):
        margin = found.expected_margin_pct
        answer["expected_margin_pct"] = float(margin) if margin is not None else None
    return answer  # a dict, so that a figure left out stays unset in the answer


def opportunity_out(o: Opportunity, user: User) -> OpportunityOut:
    found = Qualification.objects.filter(opportunity=o).first()
    return OpportunityOut.model_validate(
        {
            "id": o.pk,
            "customer_id": o.account_id,
            "name": o.name,
            "value": float(o.value),
            "weighted_value": o.weighted_value,
            "expected_close_date": o.expected_close_date,
            "stage": o.stage,
            "probability": o.probability,
            "product_category": o.product_category,
            "business_unit": o.business_unit,
            "competitors": list(o.competitors),
            "owner": o.owner.username if o.owner else None,
            "closed_on": o.closed_on,
            "close_reason": o.close_reason,
            "reference": o.reference,
            "revision": o.revision,
            "qualification": qualification_out(found, user) if found else None,
        }
    )


def _opportunity(request: HttpRequest, opportunity_id: int, *write: Permission) -> Opportunity:
    access.allow_all(request, Permission.READ_IN_FULL, *write)
    found = queries.with_people(Opportunity.objects.filter(pk=opportunity_id)).first()
    if found is None:
        raise Http404(f"No opportunity {opportunity_id}.")
    return access.allow(request, Permission.READ_IN_FULL, *write, on=lambda: found)


def _owner(name: str | None) -> User | None:
    if not name:
        return None
    found = User.objects.filter(username=name).first()
    if found is None:
        raise Refused(422, f"No user {name!r}.", field="owner")
    return found


def _refused(error: OpportunityError) -> Refused:
    field, reason = error.first()
    return Refused(400, reason, field=field)


def pipeline_out(p: queries.Pipeline) -> PipelineOut:
    return PipelineOut(
        count=p.count, value=p.value, weighted=p.weighted, won_12m=p.won_12m,
        lost_12m=p.lost_12m, by_stage=[BucketOut(**vars(b)) for b in p.by_stage],
        by_month=[BucketOut(**vars(b)) for b in p.by_month],
    )  # fmt: skip


@router.get(
    "/accounts/{customer_id:customer_id}/opportunities",
    response=responses(list[OpportunityOut]),
    summary="An account's opportunities",
    exclude_unset=True,
)
def list_opportunities(request: HttpRequest, customer_id: str) -> list[OpportunityOut]:
    """Open ones by expected close, then won and lost, newest first."""
    account = access.allow(request, Permission.READ_IN_FULL, on=access.account(customer_id))
    user = access.acting(request)
    return [opportunity_out(o, user) for o in queries.account_opportunities(user, account)]


@router.post(
    "/accounts/{customer_id:customer_id}/opportunities",
    response=responses(OpportunityOut, status=201),
    summary="Open an opportunity",
    exclude_unset=True,
)
def create_opportunity(
    request: HttpRequest, customer_id: str, payload: OpportunityIn
) -> Status[Any]:
    """Open an opportunity with the account."""
    account = access.allow(
        request, Permission.READ_IN_FULL, Permission.EDIT_OPPORTUNITIES,
        on=access.account(customer_id),
    )  # fmt: skip
    user = access.acting(request)
    values = payload.model_dump()
    values["owner"] = _owner(payload.owner)
    try:
        made = services.do_create_opportunity(user, account, **values)
    except OpportunityError as error:
        raise _refused(error) from None
    return Status(201, opportunity_out(made, user))


@router.get(
    "/opportunities/{opportunity_id}",
    response=responses(OpportunityOut),
    summary="One opportunity",
    exclude_unset=True,
)
def get_opportunity(
    request: HttpRequest, opportunity_id: int = Path(..., ge=1, le=MAX_ID)
) -> OpportunityOut:
    """One opportunity with its qualification and the revision an edit must send back."""
    return opportunity_out(_opportunity(request, opportunity_id), access.acting(request))


@router.patch(
    "/opportunities/{opportunity_id}",
    response=responses(OpportunityOut, conflict=True),
    summary="Change an opportunity",
    exclude_unset=True,
)
def update_opportunity(
    request: HttpRequest,
    payload: OpportunityPatch,
    opportunity_id: int = Path(..., ge=1, le=MAX_ID),
) -> OpportunityOut:
    """Change the fields sent, unless someone saved it after ``revision`` (409)."""
    found = _opportunity(request, opportunity_id, Permission.EDIT_OPPORTUNITIES)
    sent = payload.model_dump(exclude_unset=True)
    revision = sent.pop("revision")
    if "owner" in sent:
        sent["owner"] = _owner(sent["owner"])
    for name in ("name", "value", "expected_close_date", "stage", "product_category"):
        if name in sent and sent[name] is None:
            raise Refused(422, f"{name} cannot be null.", field=name)
    user = access.acting(request)
    try:
        services.do_update_opportunity(user, found, expected_revision=revision, **sent)
    except OpportunityError as error:
        raise _refused(error) from None
    return opportunity_out(found, user)


@router.put(
    "/opportunities/{opportunity_id}/qualification",
    response=responses(QualificationOut, conflict=True),
    summary="Qualify an opportunity",
    exclude_unset=True,
)
def qualify(
    request: HttpRequest, payload: QualificationIn, opportunity_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    """Answer the four questions; the verdict and the weakest question come back."""
    found = _opportunity(request, opportunity_id, Permission.EDIT_OPPORTUNITIES)
    user = access.acting(request)
    try:
        saved = services.do_qualify_opportunity(
            user, found, scores=payload.scores, evidence=payload.evidence,
            expected_margin_pct=payload.expected_margin_pct,
            expected_revision=payload.revision,
        )  # fmt: skip
    except OpportunityError as error:
        raise _refused(error) from None
    return qualification_out(saved, user)


@router.post(
    "/opportunities/{opportunity_id}/close",
    response=responses(OpportunityOut, conflict=True),
    summary="Mark an opportunity won or lost",
    exclude_unset=True,
)
def close(
    request: HttpRequest, payload: CloseIn, opportunity_id: int = Path(..., ge=1, le=MAX_ID)
) -> OpportunityOut:
    """Won or lost on ``closed_on``, with the reason (a lost one must give it)."""
    found = _opportunity(request, opportunity_id, Permission.EDIT_OPPORTUNITIES)
    user = access.acting(request)
    try:
        services.do_close_opportunity(
            user, found, won=payload.outcome == "won", reason=payload.reason,
            closed_on=payload.closed_on, expected_revision=payload.revision,
        )  # fmt: skip
    except OpportunityError as error:
        raise _refused(error) from None
    return opportunity_out(found, user)


@router.get("/pipeline", response=responses(ProgrammePipelineOut), summary="The pipeline")
def pipeline(request: HttpRequest, manager: Username | None = Query(None)) -> ProgrammePipelineOut:
    """The open pipeline of the accounts the caller reads (``manager``'s only, when given),
    in total and per key account manager, unweighted and weighted."""
    user = access.allow_all(request, Permission.VIEW_ACCOUNTS)
    whose = None
    if manager:
        whose = User.objects.filter(username=manager).first()
        if whose is None:
            raise Http404(f"No user {manager!r}.")
    found = queries.programme_pipeline(user, timezone.localdate(), whose)
    return ProgrammePipelineOut(
        total=pipeline_out(found.total),
        managers=[
            ManagerPipelineOut(
                manager=m.manager.username if m.manager else None,
                accounts=m.accounts,
                pipeline=pipeline_out(m.pipeline),
            )
            for m in found.managers
        ],
    )


@router.get(
    "/accounts/{customer_id:customer_id}/whitespace",
    response=responses(WhitespaceOut),
    summary="An account's whitespace",
)
def whitespace(request: HttpRequest, customer_id: str) -> WhitespaceOut:
    """Categories × business units (bought, in pipeline, open) and per category the wallet,
    entered or estimated from peers, share of wallet and open wallet."""
    account = access.allow(request, Permission.READ_IN_FULL, on=access.account(customer_id))
    found = queries.account_whitespace(access.acting(request), account)
    return WhitespaceOut(
        customer_id=account.customer_id,
        as_of=found.as_of,
        business_units=list(found.units),
        cells=[
            CellOut(**{k: c[k] for k in CellOut.model_fields})
            for units in found.cells.values()
            for c in units.values()
        ],
        categories=[
            CategoryOut(
                **{k: row[k] for k in CategoryOut.model_fields if k != "peers"},
                peers=[p["peer_id"] for p in found.peers.get(row["category"], ())],
            )
            for row in found.categories
        ],
    )


@router.get(
    "/accounts/{customer_id:customer_id}/wallets",
    response=responses(list[WalletOut]),
    summary="An account's wallet estimates",
)
def list_wallets(request: HttpRequest, customer_id: str) -> list[WalletOut]:
    """The wallet estimates entered for the account, by category."""
    account = access.allow(request, Permission.READ_IN_FULL, on=access.account(customer_id))
    return [
        WalletOut(
            customer_id=w.account_id,
            category=w.category,
            amount=float(w.amount),
            source=w.source,
            revision=w.revision,
        )
        for w in account.wallets.order_by("category")
    ]


@router.post(
    "/accounts/{customer_id:customer_id}/wallets",
    response=responses(list[WalletOut]),
    summary="Enter a wallet estimate",
)
def set_wallet(request: HttpRequest, customer_id: str, payload: WalletIn) -> list[WalletOut]:
    """Enter (or, with a null amount, remove) the account's wallet in a category; the
    account's estimates come back."""
    account = access.allow(
        request, Permission.READ_IN_FULL, Permission.EDIT_OPPORTUNITIES,
        on=access.account(customer_id),
    )  # fmt: skip
    try:
        services.do_set_wallet_estimate(
            access.acting(request), account, category=payload.category,
            amount=payload.amount, source=payload.source,
        )  # fmt: skip
    except OpportunityError as error:
        raise _refused(error) from None
    return list_wallets(request, customer_id)
