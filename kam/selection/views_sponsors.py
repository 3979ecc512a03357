"""Pages of the executive sponsor: the key accounts they sponsor; and the sponsor capacity
the Head of KAM sets on the assignment page."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from kam.people.access import KamRequest, requires
from kam.people.models import User
from kam.people.roles import Permission
from kam.selection import queries, services
from kam.selection.forms import SponsorCapacityForm
from kam.selection.models import SelectionCycle
from kam.selection.services import SelectionError
from kam.selection.views import context


@require_GET
@requires(Permission.SPONSOR_ACCOUNTS)
def sponsored(request: KamRequest) -> HttpResponse:
    """My sponsored accounts: tier, type, manager, revenue and plan health of each."""
    today = timezone.localdate()
    rows = queries.sponsored_accounts(request.user)
    ids = [row.key_account.account_id for row in rows]
    return render(
        request,
        "selection/sponsored.html",
        context(request, rows=rows, account_ids=ids, today=today),
    )


@require_POST
@requires(Permission.VIEW_ACCOUNTS, write=Permission.APPROVE_CYCLE)
def sponsor_capacity(request: KamRequest, pk: int) -> HttpResponse:
    """Set how many Tier 1 accounts one sponsor may sponsor, back to the cycle's assignment."""
    cycle = get_object_or_404(SelectionCycle, pk=pk)
    form = SponsorCapacityForm(request.POST)
    if form.is_valid():
        sponsor = get_object_or_404(User, username=form.cleaned_data["sponsor"])
        try:
            most = services.do_set_sponsor_capacity(
                request.user, sponsor, form.cleaned_data["max_accounts"]
            )
        except SelectionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{sponsor.display_name} may sponsor up to {most} accounts.")
    else:
        messages.error(request, "A sponsor's capacity is a whole number from 0 to 50.")
    return redirect("selection:assignment", pk=cycle.pk)
