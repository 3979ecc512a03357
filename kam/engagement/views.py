"""Pages of an account's engagement: its log and cadence, logging and correcting an
engagement with its follow-ups, one engagement with its comments, the account's timeline
and its calendar. Views validate input and turn domain errors into messages; services write.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.accounts.timeline import SOURCES, account_timeline
from kam.accounts.views import account_in_url
from kam.engagement import calendar, queries, services
from kam.engagement.forms import CommentForm, EngagementForm
from kam.engagement.models import Engagement
from kam.engagement.services import EngagementError, FollowUp
from kam.people.access import KamRequest, requires
from kam.people.roles import Permission
from kam.revisions import EditConflict, rebase

READ = requires(Permission.READ_IN_FULL, on=account_in_url)
LOG = requires(Permission.LOG_ENGAGEMENTS, on=account_in_url)
COMMENT = requires(
    Permission.READ_IN_FULL, write=Permission.COMMENT_ON_ENGAGEMENTS, on=account_in_url
)


def _today() -> date:
    return timezone.localdate()


def _engagement(customer_id: str, engagement_id: int) -> Engagement:
    return get_object_or_404(
        Engagement.objects.select_related("account", "created_by", "updated_by"),
        pk=engagement_id,
        account__customer_id=customer_id,
    )


def _detail_url(engagement: Engagement) -> str:
    return reverse("engagement:detail", args=[engagement.account_id, engagement.pk])


@require_GET
@READ
def account_log(request: KamRequest, customer_id: str) -> HttpResponse:
    """The account's engagements — planned ahead, held before — and its cadence."""
    account = account_in_url(request, customer_id)
    today = _today()
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    log = queries.account_log(request.user, account, today, page=page)
    context = {
        "account": account,
        "log": log,
        "status": queries.account_cadence(request.user, account, today),
        "policy": queries.current_policy(),
        "today": today,
        "may_log": queries.may_log(request.user, account),
    }
    return render(request, "engagement/account.html", context)


def _follow_ups(form: EngagementForm, user: Any) -> list[FollowUp]:
    return [FollowUp(action, owner, due) for action, owner, due in form.follow_ups()]


@require_http_methods(["GET", "POST"])
@LOG
def engagement_new(request: KamRequest, customer_id: str) -> HttpResponse:
    """Log an engagement: planned ahead or held, who took part on both sides, how it went,
    and the follow-up actions that go to the account plan."""
    account = account_in_url(request, customer_id)
    today = _today()
    initial = {
        "date": request.GET.get("date") or today,
        "kind": request.GET.get("kind") or "qbr",
        "status": "planned" if request.GET.get("status") == "planned" else "held",
        "our_people": [request.user],
        "duration_minutes": 60,
    }
    form = EngagementForm(account, request.POST or None, initial=initial, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                engagement = services.do_log_engagement(
                    request.user,
                    account,
                    kind=data["kind"],
                    status=data["status"],
                    date=data["date"],
                    start_time=data["start_time"],
                    duration_minutes=data["duration_minutes"],
                    title=data["title"],
                    location=data["location"],
                    our_people=list(data["our_people"]),
                    contacts=list(data["contacts"]),
                    notes=data["notes"],
                    outcome=data["outcome"],
                    rating=data["rating"],
                    follow_ups=_follow_ups(form, request.user),
                    today=today,
                )
            except EngagementError as error:
                error.onto(form)
            else:
                added = engagement.follow_ups.count()
                extra = (
                    f" with {added} follow-up action{'s' if added != 1 else ''}" if added else ""
                )
                messages.success(request, f"{engagement.heading} logged{extra}.")
                return redirect(_detail_url(engagement))
        status = 400
    context = {"account": account, "form": form, "engagement": None, "today": today}
    return render(request, "engagement/form.html", context, status=status)


@require_GET
@READ
def engagement_detail(request: KamRequest, customer_id: str, engagement_id: int) -> HttpResponse:
    """One engagement: when, who, notes, outcome, rating, follow-up actions, comments."""
    engagement = _engagement(customer_id, engagement_id)
    found, comments = queries.engagement_detail(request.user, engagement)
    context = {
        "account": engagement.account,
        "engagement": found,
        "comments": comments,
        "comment_form": CommentForm(),
        "may_log": queries.may_log(request.user, engagement.account),
        "today": _today(),
    }
    return render(request, "engagement/detail.html", context)


@require_http_methods(["GET", "POST"])
@LOG
def engagement_edit(request: KamRequest, customer_id: str, engagement_id: int) -> HttpResponse:
    """Correct an engagement, or record how a planned one went."""
    engagement = _engagement(customer_id, engagement_id)
    account = engagement.account
    today = _today()
    initial = EngagementForm.initial_for(engagement)
    if request.GET.get("held") and engagement.status == "planned":
        initial["status"] = "held"
    form = EngagementForm(account, request.POST or None, initial=initial, engagement=engagement)
    status, conflict = 200, None
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            changes = {name: data[name] for name in services.FIELDS}
            try:
                services.do_update_engagement(
                    request.user,
                    engagement,
                    today=today,
                    expected_revision=data["revision"],
                    our_people=list(data["our_people"]),
                    contacts=list(data["contacts"]),
                    follow_ups=_follow_ups(form, request.user),
                    **changes,
                )
            except EditConflict as error:
                conflict = error
                rebase(form, revision=error.current)
                status = 409
            except EngagementError as error:
                error.onto(form)
                status = 400
            else:
                messages.success(request, f"{engagement.heading} saved.")
                return redirect(_detail_url(engagement))
        else:
            status = 400
    context = {
        "account": account,
        "form": form,
        "engagement": engagement,
        "conflict": conflict,
        "today": today,
    }
    return render(request, "engagement/form.html", context, status=status)


@require_POST
@COMMENT
def comment_add(request: KamRequest, customer_id: str, engagement_id: int) -> HttpResponse:
    """Add a comment to an engagement."""
    engagement = _engagement(customer_id, engagement_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.do_comment_on_engagement(request.user, engagement, form.cleaned_data["text"])
        except EngagementError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Comment added.")
    else:
        messages.error(request, "Write the comment first (at most 5,000 characters).")
    return redirect(_detail_url(engagement) + "#comments")


@require_GET
@READ
def timeline(request: KamRequest, customer_id: str) -> HttpResponse:
    """What happened with the account, from every app: engagements, plan versions and
    reviews, selection decisions, opportunities won and lost."""
    account = account_in_url(request, customer_id)
    chosen = [key for key in request.GET.getlist("source") if key in SOURCES]
    entries = account_timeline(account.customer_id, chosen or None)
    years: dict[int, list[Any]] = {}
    for entry in entries:
        years.setdefault(entry.date.year, []).append(entry)
    context = {
        "account": account,
        "years": sorted(years.items(), reverse=True),
        "count": len(entries),
        "sources": list(SOURCES.values()),
        "chosen": set(chosen),
        "today": _today(),
    }
    return render(request, "engagement/timeline.html", context)


def calendar_response(
    request: KamRequest, engagements: list[Engagement], name: str, filename: str
) -> HttpResponse:
    """``engagements`` as an .ics download named ``filename``."""
    host = request.get_host().split(":")[0] or "kam"
    text = calendar.ics(
        engagements,
        name=name,
        host=host,
        time_zone=settings.TIME_ZONE,
        now=timezone.now(),
        link=lambda engagement: request.build_absolute_uri(_detail_url(engagement)),
    )
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@READ
def account_calendar(request: KamRequest, customer_id: str) -> HttpResponse:
    """The account's planned engagements as an iCalendar file."""
    account = account_in_url(request, customer_id)
    planned = queries.planned_for_account(request.user, account, _today())
    safe = "".join(c if c.isalnum() else "-" for c in account.customer_id)[:60]
    return calendar_response(request, planned, f"kam · {account.name}", f"engagements-{safe}.ics")
