"""The History pages of accounts, plans and contacts: one way to show an object's trail."""

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render

from kam.accounts.access import FINANCIAL_FIELDS, sees_financials
from kam.audit.models import AuditEntry
from kam.audit.queries import HISTORY_LENGTH, shown
from kam.people.access import KamRequest


def history_page(
    request: KamRequest,
    entries: QuerySet[AuditEntry],
    *,
    subject: str,
    back_url: str,
    back_label: str,
    scope: str = "",
) -> HttpResponse:
    """The newest ``HISTORY_LENGTH`` entries, financial values left out for a reader
    without the financials permission (the entry still says that something changed)."""
    newest = list(entries[: HISTORY_LENGTH + 1])
    hidden = () if sees_financials(request.user) else FINANCIAL_FIELDS
    context = {
        "entries": shown(newest[:HISTORY_LENGTH], hidden_fields=hidden),
        "truncated": len(newest) > HISTORY_LENGTH,
        "subject": subject,
        "scope": scope,
        "back_url": back_url,
        "back_label": back_label,
    }
    return render(request, "audit/history.html", context)
