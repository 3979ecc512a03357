"""Pages of the relationships app: the stakeholder map of one account, and its edits.

Writes are htmx-first: a form posts to its view, which answers with the refreshed workspace
(chart, model, flags, contacts, forms) so a KAM stays on the page; without htmx the same
views redirect back to the map. Input is validated here (all 400s happen here); the
services do the writing and check permissions again.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.accounts.history import history_page
from kam.accounts.models import Account
from kam.accounts.views import account_in_url
from kam.audit import queries as audit_queries
from kam.people.access import KamRequest, requires
from kam.people.roles import Permission
from kam.relationships import queries, services
from kam.relationships.contact_import import COLUMNS, ContactImportRefused, ContactImportReport
from kam.relationships.forms import AlignmentForm, ContactForm, ContactImportForm, RelationshipForm
from kam.relationships.mapping import ContactView, RiskKind
from kam.relationships.models import AlignmentLevel, Contact, Relationship
from kam.relationships.playbook import ALIGNMENT_INTRO, ALIGNMENT_PROFILES, SOURCE
from kam.relationships.queries import relationship_revisions
from kam.relationships.svg import render_org_chart_svg
from kam.revisions import EditConflict, rebase
from kam.uploads import save_upload


@dataclass(frozen=True)
class LinkChip:
    """One of our people on a contact's row, in their chart colour."""

    id: int
    person_name: str
    strength: int
    colour: str


@dataclass(frozen=True)
class ContactRow:
    """One line of the contacts table."""

    contact: ContactView
    manager: str
    links: tuple[LinkChip, ...]
    last_contacted: date | None
    flags: tuple[str, ...]


VIEW = requires(Permission.READ_IN_FULL, on=account_in_url)
EDIT = requires(Permission.EDIT_RELATIONSHIPS, on=account_in_url)


def _account(customer_id: str) -> Account:
    return get_object_or_404(Account, customer_id=customer_id)


def _today() -> date:
    # Contacts and meetings are entered by people as they happen, so "today" is the calendar
    # day here, unlike the sales analytics, which run to the latest transaction.
    return timezone.localdate()


def _context(
    request: KamRequest, account: Account, *, forms: dict[str, Form] | None = None, **extra: Any
) -> dict[str, Any]:
    smap = queries.stakeholder_map(account, _today())
    names = {c.id: c.name for c in smap.contacts}
    colours = {p.id: p.colour for p in smap.people}
    flagged: dict[int, list[str]] = {}
    for flag in smap.flags:
        if flag.kind is RiskKind.NO_DECISION_MAKER_ACCESS:
            continue
        for contact_id in flag.contact_ids:
            flagged.setdefault(contact_id, []).append(flag.label)
    rows = [
        ContactRow(
            contact=c,
            manager=names.get(c.reports_to_id, "") if c.reports_to_id else "",
            links=tuple(
                LinkChip(link.id, link.person_name, link.strength, colours[link.person_id])
                for link in smap.links_of(c.id)
            ),
            last_contacted=smap.last_contacted(c.id),
            flags=tuple(flagged.get(c.id, ())),
        )
        for c in smap.contacts
    ]
    current = queries.alignment(account)
    given = forms or {}
    context = {
        "account": account,
        "map": smap,
        "rows": rows,
        "chart_svg": render_org_chart_svg(
            smap.contacts, smap.relationships, title=f"Org chart of {account.name}"
        ),
        "alignment": current,
        "alignment_profiles": list(ALIGNMENT_PROFILES.values()),
        "alignment_intro": ALIGNMENT_INTRO,
        "playbook": current.profile if current else None,
        "source": SOURCE,
        "contact_form": given.get("contact") or ContactForm(account=account),
        "link_form": given.get("link") or RelationshipForm(account=account),
        "alignment_form": given.get("alignment")
        or AlignmentForm(
            initial={
                "level": current.level if current else AlignmentLevel.VENDOR,
                "revision": current.revision if current else None,
            }
        ),
    }
    context.update(extra)
    return context


def _workspace(
    request: KamRequest,
    account: Account,
    *,
    status: int = 200,
    conflict: EditConflict | None = None,
    **forms: Form,
) -> HttpResponse:
    """The refreshed workspace for htmx, or back to the page (or the page with errors).

    A conflict is shown above the form it refused (``conflict_form`` names which).
    """
    context = _context(request, account, forms=forms)
    if conflict is not None:
        context.update(conflict=conflict, conflict_form=next(iter(forms), ""))
    if request.htmx:
        # htmx does not swap 4xx answers by default, so a form with errors comes back as 200.
        return render(request, "relationships/_workspace.html", context)
    if status == 200:
        return redirect("relationships:map", customer_id=account.customer_id)
    return render(request, "relationships/map.html", context, status=status)


@require_GET
@VIEW
def stakeholder_map(request: KamRequest, customer_id: str) -> HttpResponse:
    """The account's stakeholder map: org chart, model, risks, contacts and alignment."""
    account = _account(customer_id)
    return render(request, "relationships/map.html", _context(request, account))


@require_POST
@EDIT
def contact_add(request: KamRequest, customer_id: str) -> HttpResponse:
    """Add a stakeholder (possibly reporting to an existing one)."""
    account = _account(customer_id)
    form = ContactForm(request.POST, account=account)
    if form.is_valid():
        try:
            services.do_add_contact(request.user, account, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _workspace(request, account)
    return _workspace(request, account, status=400, contact=form)


@require_GET
@requires(Permission.READ_IN_FULL, on=account_in_url)
def contact_history(request: KamRequest, customer_id: str, contact_id: int) -> HttpResponse:
    """Every change to the contact and to their relationships with our people."""
    account = _account(customer_id)
    contact = get_object_or_404(Contact, pk=contact_id, account=account)
    return history_page(
        request,
        audit_queries.history(contact_id=contact.pk),
        subject=contact.name,
        scope="their relationships with our people",
        back_url=reverse("relationships:contact_edit", args=[account.customer_id, contact.pk]),
        back_label=contact.name,
    )


@require_http_methods(["GET", "POST"])
@requires(Permission.READ_IN_FULL, write=Permission.EDIT_RELATIONSHIPS, on=account_in_url)
def contact_edit(request: KamRequest, customer_id: str, contact_id: int) -> HttpResponse:
    """Change a contact's details or reporting line, on a page of its own."""
    account = _account(customer_id)
    contact = get_object_or_404(Contact, pk=contact_id, account=account)
    status = 200
    conflict: EditConflict | None = None
    if request.method == "POST":
        form = ContactForm(request.POST, account=account, contact=contact)
        if form.is_valid():
            changes = form.cleaned_data.copy()
            expected = changes.pop("revision")
            try:
                services.do_update_contact(
                    request.user, contact, expected_revision=expected or 0, **changes
                )
            except EditConflict as refused:
                conflict = refused
                rebase(form, revision=refused.current)
                contact.refresh_from_db()
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("relationships:map", customer_id=account.customer_id)
        status = 409 if conflict else 400
    else:
        form = ContactForm(account=account, contact=contact)
    context = _context(request, account, edit_form=form, contact=contact, conflict=conflict)
    return render(request, "relationships/contact_edit.html", context, status=status)


@require_POST
@EDIT
def contact_remove(request: KamRequest, customer_id: str, contact_id: int) -> HttpResponse:
    """Remove a contact; their reports move up to the contact's own manager."""
    account = _account(customer_id)
    contact = get_object_or_404(Contact, pk=contact_id, account=account)
    services.do_remove_contact(request.user, contact)
    return _workspace(request, account)


@require_POST
@EDIT
def relationship_link(request: KamRequest, customer_id: str) -> HttpResponse:
    """Record (or update) that one of our people knows a contact."""
    account = _account(customer_id)
    form = RelationshipForm(request.POST, account=account)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.do_link_relationship(
                request.user,
                data["contact"],
                data["supplier_person"],
                strength=data["strength"],
                notes=data["notes"],
                last_interaction_date=data["last_interaction_date"],
                seen=data["seen"],
            )
        except EditConflict as conflict:
            rebase(form, seen=relationship_revisions(account))
            return _workspace(request, account, status=409, conflict=conflict, link=form)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _workspace(request, account)
    return _workspace(request, account, status=400, link=form)


@require_POST
@EDIT
def relationship_unlink(
    request: KamRequest, customer_id: str, relationship_id: int
) -> HttpResponse:
    """Forget one relationship."""
    account = _account(customer_id)
    link = get_object_or_404(Relationship, pk=relationship_id, contact__account=account)
    services.do_unlink_relationship(request.user, link)
    return _workspace(request, account)


@require_POST
@EDIT
def alignment_set(request: KamRequest, customer_id: str) -> HttpResponse:
    """Set the alignment level of the account."""
    account = _account(customer_id)
    form = AlignmentForm(request.POST)
    if form.is_valid():
        try:
            services.do_set_alignment(
                request.user,
                account,
                form.cleaned_data["level"],
                rationale=form.cleaned_data["rationale"],
                expected_revision=form.cleaned_data["revision"],
            )
        except EditConflict as conflict:
            rebase(form, revision=conflict.current)
            return _workspace(request, account, status=409, conflict=conflict, alignment=form)
        return _workspace(request, account)
    return _workspace(request, account, status=400, alignment=form)


@require_http_methods(["GET", "POST"])
@EDIT
def contacts_import(request: KamRequest, customer_id: str) -> HttpResponse:
    """Upload a CSV of contacts; show what changed, or every reason the file was refused."""
    account = _account(customer_id)
    report: ContactImportReport | None = None
    form = ContactImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        path = save_upload(upload)
        try:
            report = services.do_import_contacts(
                request.user,
                account,
                path,
                file_label=upload.name,
            )
        except ContactImportRefused as refused:
            report = refused.report
        finally:
            path.unlink(missing_ok=True)
    status = 422 if report is not None and report.refused else 200
    if request.method == "POST" and not form.is_valid():
        status = 400
    context = _context(request, account, import_form=form, report=report, columns=COLUMNS)
    return render(request, "relationships/import.html", context, status=status)


@require_GET
@VIEW
def org_chart_svg(request: KamRequest, customer_id: str) -> HttpResponse:
    """The org chart as an SVG file, e.g. to paste into slides."""
    account = _account(customer_id)
    response = HttpResponse(queries.org_chart_svg(account), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="org-chart-{account.customer_id}.svg"'
    return response


def map_url(account: Account) -> str:
    """Where an account's stakeholder map lives (for links from other apps)."""
    return reverse("relationships:map", kwargs={"customer_id": account.customer_id})
