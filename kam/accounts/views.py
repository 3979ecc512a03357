"""Pages of the accounts app: the portfolio list, one account, and the data import."""

import pyarrow as pa
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from kam.accounts import queries
from kam.accounts.access import across_programme
from kam.accounts.forms import AccountFilterForm, ImportForm, TeamForm
from kam.accounts.history import history_page
from kam.accounts.models import Account
from kam.accounts.services import (
    do_import_customers,
    do_import_transactions,
    do_set_account_team,
)
from kam.analytics.account_figures import AccountSort, AccountStatus
from kam.analytics.ingest import ColumnMapping, ImportRefused, ImportReport
from kam.analytics.schema import CUSTOMER_COLUMNS, TRANSACTION_COLUMNS
from kam.audit import queries as audit_queries
from kam.charts import ACCENT, HIGHLIGHT, REFERENCE, Figure, figure_json, style
from kam.people.access import KamRequest, requires
from kam.people.roles import Permission
from kam.uploads import save_upload

SORTABLE = {
    "name": AccountSort.NAME,
    "revenue": AccountSort.REVENUE,
    "lifetime": AccountSort.LIFETIME,
    "last_order": AccountSort.LAST_ORDER,
}


def account_in_url(request: KamRequest, customer_id: str, **_: object) -> Account:
    """The account a URL names (404 when there is none): the record account pages act on."""
    return get_object_or_404(Account, customer_id=customer_id)


@require_GET
@requires(Permission.VIEW_ACCOUNTS)
def account_list(request: KamRequest) -> HttpResponse:
    """The portfolio: search, filter, sort and page through every account."""
    form = AccountFilterForm(request.GET)
    query = form.to_query()
    page, options = queries.account_list(request.user, query)
    params = request.GET.copy()
    params.pop("page", None)
    sort_links = {}
    for key, sort in SORTABLE.items():
        # Clicking the current column flips it; a new column starts at its natural direction.
        descending = not query.descending if sort is query.sort else sort is not AccountSort.NAME
        link = params.copy()
        link["sort"], link["dir"] = sort.value, "desc" if descending else "asc"
        sort_links[key] = link.urlencode()
    context = {
        "form": form,
        "query": query,
        "page": page,
        "options": options,
        "statuses": list(AccountStatus),
        "sort_links": sort_links,
        "page_params": params.urlencode(),
        "filtered": bool(query.search or query.region or query.segment or query.status),
    }
    template = "accounts/list.html"
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        template = "accounts/_results.html"
    response = render(request, template, context)
    # The same URL answers with a fragment or a whole page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _revenue_figure(monthly: pa.Table) -> str:
    months = monthly.column("month").to_pylist()
    revenue = monthly.column("revenue").to_pylist()
    trailing = [sum(revenue[max(0, i - 2) : i + 1]) / min(3, i + 1) for i in range(len(revenue))]
    figure = Figure()
    figure.add_bar(
        x=months,
        y=revenue,
        name="Revenue",
        marker={"color": ACCENT},
        hovertemplate="%{x|%b %Y}<br>%{y:,.0f}<extra></extra>",
    )
    figure.add_scatter(
        x=months,
        y=trailing,
        name="3-month average",
        mode="lines",
        line={"color": HIGHLIGHT, "width": 2},
        hovertemplate="3-month average %{y:,.0f}<extra></extra>",
    )
    _style(figure, height=320)
    figure.update_xaxes(dtick="M3", tickformat="%b %Y")
    return figure_json(figure)


def _category_figure(categories: pa.Table) -> str | None:
    if not categories.num_rows:
        return None
    top = categories.slice(0, 10)
    names = top.column("category").to_pylist()[::-1]
    values = top.column("revenue").to_pylist()[::-1]
    figure = Figure()
    figure.add_bar(
        x=values,
        y=names,
        orientation="h",
        marker={"color": REFERENCE},
        hovertemplate="%{y}<br>%{x:,.0f}<extra></extra>",
    )
    _style(figure, height=max(160, 34 * len(names) + 40))
    figure.update_layout(showlegend=False)
    return figure_json(figure)


def _style(figure: Figure, *, height: int) -> None:
    style(figure, height=height, bargap=0.25)
    figure.update_xaxes(showgrid=False)
    figure.update_yaxes(tickformat="~s")


@require_GET
@requires(Permission.VIEW_ACCOUNTS, on=account_in_url)
def account_detail(request: KamRequest, customer_id: str) -> HttpResponse:
    """One account: who it is, where it sits in its group, its KPIs and revenue by month."""
    detail = queries.account_detail(request.user, customer_id)
    if detail is None:
        raise Http404(f"No account with id {customer_id!r}.")
    has_sales = detail.summary is not None and detail.summary.orders_lifetime > 0
    context = {
        "detail": detail,
        "profile": detail.profile,
        "summary": detail.summary,
        "revenue_figure": _revenue_figure(detail.monthly) if has_sales else None,
        "category_figure": _category_figure(detail.categories) if has_sales else None,
        "months": detail.monthly.num_rows,
    }
    return render(request, "accounts/detail.html", context)


@require_GET
@requires(Permission.READ_IN_FULL, on=account_in_url)
def account_history(request: KamRequest, customer_id: str) -> HttpResponse:
    """Every change to the account and to what belongs to it: plans, contacts, ratings."""
    account = account_in_url(request, customer_id)
    return history_page(
        request,
        audit_queries.history(account_id=account.customer_id),
        subject=account.name,
        scope="its plans, stakeholders, ratings and selection decisions",
        back_url=reverse("accounts:detail", args=[account.customer_id]),
        back_label="the account",
    )


@require_http_methods(["GET", "POST"])
@requires(Permission.READ_IN_FULL, write=Permission.EDIT_PLANS, on=account_in_url)
def account_team(request: KamRequest, customer_id: str) -> HttpResponse:
    """Who works the account with its key account manager; the Head of KAM sets it."""
    account = account_in_url(request, customer_id)
    team = list(account.team.order_by("first_name", "username"))
    may_set = across_programme(request.user, Permission.EDIT_PLANS)
    # An empty POST is a team with nobody on it, not an unsent form.
    form = TeamForm(request.POST if request.method == "POST" else None, initial={"members": team})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            do_set_account_team(request.user, account, list(form.cleaned_data["members"]))
            messages.success(request, f"The team of {account.name} is saved.")
            return redirect("accounts:team", account.customer_id)
        status = 400
    context = {"account": account, "team": team, "form": form, "may_set": may_set}
    return render(request, "accounts/team.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires(Permission.IMPORT_DATA)
def import_data(request: KamRequest) -> HttpResponse:
    """Upload a customer or transaction file; show what changed, or every reason it was refused."""
    report: ImportReport | None = None
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            mapping = ColumnMapping.parse(form.cleaned_data["mapping"])
        except ValueError as error:
            form.add_error("mapping", str(error))
        else:
            upload = form.cleaned_data["file"]
            importer = (
                do_import_customers
                if form.cleaned_data["kind"] == "customers"
                else do_import_transactions
            )
            path = save_upload(upload)
            try:
                report = importer(request.user, path, mapping=mapping, file_label=upload.name)
            except ImportRefused as refused:
                report = refused.report
            finally:
                path.unlink(missing_ok=True)
    status = 422 if report is not None and report.refused else 200
    context = {
        "form": form,
        "report": report,
        "customer_columns": CUSTOMER_COLUMNS,
        "transaction_columns": TRANSACTION_COLUMNS,
    }
    return render(request, "accounts/import.html", context, status=status)
