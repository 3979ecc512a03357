"""Where a signed-in person lands, and the programme's engagement pages: *My accounts* (a
manager's worklist, the Head of KAM's per manager), the overdue touchpoints per manager,
the cadence policy, and a manager's calendar."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from kam.accounts import worklist
from kam.engagement import cadence, queries, services
from kam.engagement.forms import CadenceNoteForm, CadenceRuleFormSet
from kam.engagement.services import EngagementError
from kam.engagement.views import calendar_response
from kam.people.access import KamRequest, requires
from kam.people.models import User
from kam.people.roles import Permission
from kam.revisions import EditConflict

MANAGERS_A_PAGE = 20
SHOWN_A_MANAGER = 8
"""The overdue page lists this many managers a page and, of each, the most overdue
accounts; the rest are on the manager's My accounts, a click away."""


def _today() -> date:
    return timezone.localdate()


@require_GET
@requires(Permission.VIEW_ACCOUNTS)
def home(request: KamRequest) -> HttpResponse:
    """Where signing in lands: *My accounts* for a key account manager who works accounts
    and for the Head of KAM once there are key accounts; a sponsor's sponsored accounts;
    the account list for everyone else (and before the first selection, where the list
    says how to bring data in)."""
    return redirect(queries.landing(request.user))


def _whose(request: KamRequest) -> User | None:
    """Whose accounts the page shows: ``?manager=`` for those who read the programme, else
    the user's own; None for the programme overview."""
    wanted = request.GET.get("manager", "")
    if wanted and queries.reads_programme(request.user):
        return get_object_or_404(User, username=wanted)
    if queries.reads_programme(request.user) and not queries.accounts_of(request.user):
        return None
    return request.user


@require_GET
@requires(Permission.VIEW_ACCOUNTS)
def my_accounts(request: KamRequest) -> HttpResponse:
    """A manager's accounts with what needs attention first; for the Head of KAM, every
    manager's overdue touchpoints, and any manager's accounts on asking."""
    today = _today()
    whose = _whose(request)
    context: dict[str, object] = {"today": today, "whose": whose}
    if whose is None:
        context["managers"] = queries.managers_overview(request.user, today)
    else:
        board = queries.my_accounts(request.user, whose, today)
        context["board"] = board
        ids = [row.account.customer_id for row in board.rows]
        context["panels"] = [mark_safe(html) for html in worklist.panels(request, ids)]
    if queries.reads_programme(request.user):
        context["manager_choices"] = queries.key_account_managers()
    return render(request, "engagement/my_accounts.html", context)


@require_GET
@requires(Permission.VIEW_ACCOUNTS)
def overdue(request: KamRequest) -> HttpResponse:
    """Every key account with an overdue touchpoint, listed per manager."""
    today = _today()
    loads = queries.managers_overview(request.user, today, overdue_only=True)
    page = Paginator(loads, MANAGERS_A_PAGE).get_page(request.GET.get("page"))
    context = {
        "today": today,
        "page": page,
        "shown": SHOWN_A_MANAGER,
        "total": sum(len(load.overdue) for load in loads),
        "policy": queries.current_policy(),
    }
    return render(request, "engagement/overdue.html", context)


@require_http_methods(["GET", "POST"])
@requires(Permission.VIEW_ACCOUNTS, write=Permission.EDIT_CADENCE)
def cadence_policy(request: KamRequest) -> HttpResponse:
    """The cadence policy per tier and its versions; the Head of KAM saves a new version."""
    policy = queries.current_policy()
    initial = [rule.as_json() for rule in policy.rules]
    rules = CadenceRuleFormSet(request.POST or None, initial=initial, prefix="rule")
    note = CadenceNoteForm(request.POST or None, initial={"version": policy.number})
    status, conflict = 200, None
    if request.method == "POST":
        if rules.is_valid() and note.is_valid():
            chosen = [
                cadence.CadenceRule(
                    tier=row["tier"],
                    kind=row["kind"],
                    every_days=row["every_days"],
                    with_sponsor=bool(row.get("with_sponsor")),
                )
                for row in rules.cleaned_data
                if row and row.get("every_days")
            ]
            try:
                saved = services.do_save_cadence_policy(
                    request.user,
                    chosen,
                    note=note.cleaned_data["note"],
                    expected_version=note.cleaned_data["version"],
                )
            except EditConflict as error:
                conflict, status = error, 409
            except EngagementError as error:
                note.add_error(None, str(error))
                status = 400
            else:
                messages.success(
                    request,
                    f"Cadence policy version {saved.version} saved: every key account's next "
                    "touchpoint follows it now.",
                )
                return redirect("engagement:cadence")
        else:
            status = 400
    context = {
        "policy": policy,
        "rules": rules,
        "note": note,
        "conflict": conflict,
        "versions": queries.policy_versions(request.user),
        "covers": "A QBR is met by a QBR or an executive business review.",
    }
    return render(request, "engagement/cadence.html", context, status=status)


@require_GET
@requires(Permission.VIEW_ACCOUNTS)
def manager_calendar(request: KamRequest) -> HttpResponse:
    """A manager's planned engagements as an iCalendar file (their own, or ``?manager=``
    for those who read the programme)."""
    wanted = request.GET.get("manager", "")
    manager = get_object_or_404(User, username=wanted) if wanted else request.user
    planned = queries.planned_for_manager(request.user, manager, _today())
    name = f"kam · {manager.display_name}'s engagements"
    safe = "".join(c if c.isalnum() else "-" for c in manager.username)[:60]
    return calendar_response(request, planned, name, f"engagements-{safe}.ics")
