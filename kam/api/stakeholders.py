"""Stakeholders: the customer's people an account maps (contacts). Read them; add one with
``kam.relationships.services.do_add_contact``; change one with ``do_update_contact`` at the
revision it was read at (409 when someone saved it since)."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StringConstraints

from kam.api import access
from kam.api.errors import Refused
from kam.api.schemas import LINE, MAX_ID, MAX_LIMIT, MAX_OFFSET, TEXT, Out, Page, responses
from kam.people.roles import Permission
from kam.relationships import services
from kam.relationships.models import Contact

router = Router(tags=["stakeholders"])

Level = Literal["operational", "middle_management", "senior", "executive"]
BuyingRole = Literal[
    "decision_maker", "budget_holder", "influencer", "gatekeeper", "user", "champion",
    "detractor",
]  # fmt: skip


Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=LINE)]
Title = Annotated[str, StringConstraints(max_length=200, pattern=LINE)]
Function = Annotated[str, StringConstraints(max_length=120, pattern=LINE)]
Email = Annotated[str, StringConstraints(max_length=254, pattern=LINE)]
Phone = Annotated[str, StringConstraints(max_length=64, pattern=LINE)]


class ContactOut(Out):
    """A person at the customer: where they sit, the parts they play in buying, how much
    they weigh (influence 1–5) and how they feel about us (attitude −2…2)."""

    id: int
    customer_id: str
    name: str
    title: str
    function: str
    level: str
    buying_roles: list[str]
    influence: int
    attitude: int
    reports_to: int | None
    last_contact_date: date | None
    email: str
    phone: str
    revision: int
    updated_at: datetime
    updated_by: str | None


class ContactIn(Schema):
    """A new contact of the account."""

    name: Name
    title: Title = ""
    function: Function = ""
    level: Level = "operational"
    buying_roles: list[BuyingRole] = Field(default_factory=list, max_length=7)
    influence: int = Field(3, ge=1, le=5)
    attitude: int = Field(0, ge=-2, le=2)
    reports_to: int | None = Field(None, ge=1, le=MAX_ID, description="A contact's id.")
    last_contact_date: date | None = None
    email: Email = ""
    phone: Phone = ""


class ContactPatch(Schema):
    """The fields to change, and the revision the contact was read at; the rest stay."""

    revision: int = Field(..., ge=0, le=MAX_ID)
    name: Name | None = None
    title: Title | None = None
    function: Function | None = None
    level: Level | None = None
    buying_roles: list[BuyingRole] | None = Field(None, max_length=7)
    influence: int | None = Field(None, ge=1, le=5)
    attitude: int | None = Field(None, ge=-2, le=2)
    reports_to: int | None = Field(None, ge=1, le=MAX_ID)
    last_contact_date: date | None = None
    email: Email | None = None
    phone: Phone | None = None


def contact_out(contact: Contact) -> ContactOut:
    return ContactOut(
        id=contact.pk,
        customer_id=contact.account_id,
        name=contact.name,
        title=contact.title,
        function=contact.function,
        level=contact.level,
        buying_roles=list(contact.buying_roles),
        influence=contact.influence,
        attitude=contact.attitude,
        reports_to=contact.reports_to_id,
        last_contact_date=contact.last_contact_date,
        email=contact.email,
        phone=contact.phone,
        revision=contact.revision,
        updated_at=contact.updated_at,
        updated_by=contact.updated_by.username if contact.updated_by else None,
    )


def _contact(contact_id: int) -> Contact:
    contact = Contact.objects.select_related("account", "updated_by").filter(pk=contact_id).first()
    if contact is None:
        raise Http404(f"No contact {contact_id}.")
    return contact


def _fields(values: dict[str, Any], account_id: str) -> dict[str, Any]:
    """The service's keyword arguments: the manager as a contact, the email checked."""
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError as error:
            raise Refused(
                422, f"{values['email']!r} is not an email address.", field="email"
            ) from error
    if values.get("reports_to") is not None:
        manager = Contact.objects.filter(pk=values["reports_to"], account_id=account_id).first()
        if manager is None:
            raise Refused(
                422, f"No contact {values['reports_to']} at this account.", field="reports_to"
            )
        values["reports_to"] = manager
    return values


@router.get(
    "/accounts/{customer_id:customer_id}/contacts",
    response=responses(Page[ContactOut]),
    summary="An account's contacts",
)
def list_contacts(
    request: HttpRequest,
    customer_id: str,
    q: str = Query("", max_length=100, pattern=TEXT, description="Name or title contains."),
    level: Level | None = Query(None),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> Page[ContactOut]:
    """The account's stakeholders, by name."""
    account = access.allow(request, Permission.VIEW_ACCOUNTS, on=access.account(customer_id))
    contacts = Contact.objects.filter(account=account).select_related("updated_by")
    if q.strip():
        contacts = contacts.filter(name__icontains=q.strip()) | contacts.filter(
            title__icontains=q.strip()
        )
    if level:
        contacts = contacts.filter(level=level)
    contacts = contacts.order_by("name", "pk")
    return Page[ContactOut](
        count=contacts.count(),
        limit=limit,
        offset=offset,
        items=[contact_out(c) for c in contacts[offset : offset + limit]],
    )


@router.get("/contacts/{contact_id}", response=responses(ContactOut), summary="One contact")
def get_contact(request: HttpRequest, contact_id: int = Path(..., ge=1, le=MAX_ID)) -> ContactOut:
    """One stakeholder, with the revision an edit must send back."""
    contact = _contact(contact_id)
    access.allow(request, Permission.VIEW_ACCOUNTS, on=lambda: contact.account)
    return contact_out(contact)


@router.post(
    "/accounts/{customer_id:customer_id}/contacts",
    response=responses(ContactOut, status=201),
    summary="Add a contact",
)
def add_contact(request: HttpRequest, customer_id: str, payload: ContactIn) -> Status[Any]:
    """Map a new person at the account."""
    account = access.allow(
        request,
        Permission.VIEW_ACCOUNTS,
        Permission.EDIT_RELATIONSHIPS,
        on=access.account(customer_id),
    )
    values = _fields(payload.model_dump(), account.customer_id)
    contact = services.do_add_contact(access.acting(request), account, **values)
    return Status(201, contact_out(_contact(contact.pk)))


@router.patch(
    "/contacts/{contact_id}",
    response=responses(ContactOut, conflict=True),
    summary="Change a contact",
)
def update_contact(
    request: HttpRequest, payload: ContactPatch, contact_id: int = Path(..., ge=1, le=MAX_ID)
) -> ContactOut:
    """Change the fields sent, unless someone saved the contact after ``revision`` (409)."""
    access.allow_all(request, Permission.VIEW_ACCOUNTS, Permission.EDIT_RELATIONSHIPS)
    contact = _contact(contact_id)
    access.allow(
        request,
        Permission.VIEW_ACCOUNTS,
        Permission.EDIT_RELATIONSHIPS,
        on=lambda: contact.account,
    )
    sent = payload.model_dump(exclude_unset=True)
    revision = sent.pop("revision")
    for name in ("name", "level", "influence", "attitude", "buying_roles"):
        if name in sent and sent[name] is None:
            raise Refused(422, f"{name} cannot be null.", field=name)
    for name in ("title", "function", "email", "phone"):
        if name in sent and sent[name] is None:
            sent[name] = ""
    changes = _fields(sent, contact.account_id)
    services.do_update_contact(
        access.acting(request), contact, expected_revision=revision, **changes
    )
    return contact_out(_contact(contact.pk))
