"""What every page's navigation bar needs, whichever app renders the page, and what the
user may do: one name per permission, ``can_<permission>`` (``can_edit_plans``,
``can_import_data``, …), so a template never asks a role or a view for it."""

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from kam.people.roles import Permission
from kam.people.services import has_permission


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation: shown to users holding ``permission``."""

    label: str
    url_name: str
    permission: Permission
    namespaces: tuple[str, ...]


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("My accounts", "engagement:my_accounts", Permission.LOG_ENGAGEMENTS, ()),
    NavItem("Accounts", "accounts:list", Permission.VIEW_ACCOUNTS, ("accounts", "relationships")),
    NavItem("Selection", "selection:portfolio", Permission.VIEW_ACCOUNTS, ("selection",)),
    NavItem("My sponsored accounts", "selection:sponsored", Permission.SPONSOR_ACCOUNTS, ()),
    NavItem("Touchpoints", "engagement:overdue", Permission.VIEW_ACCOUNTS, ()),
    NavItem("Programme", "performance:programme", Permission.VIEW_ACCOUNTS, ("performance",)),
    NavItem("Plan templates", "plans:templates", Permission.MANAGE_PLAN_TEMPLATES, ()),
    NavItem("Import data", "accounts:import", Permission.IMPORT_DATA, ()),
    NavItem("People", "people:users", Permission.MANAGE_USERS, ("people",)),
    NavItem("Audit trail", "audit_trail", Permission.VIEW_AUDIT_TRAIL, ()),
)


def permissions(user: object, on: object = None) -> dict[str, bool]:
    """``can_<permission>`` for every permission: whether ``user`` holds it (on the record
    ``on``: a page under /accounts/<customer_id>/ asks about that account)."""
    return {
        f"can_{permission.value}": has_permission(user, permission, on=on)
        for permission in Permission
    }


def _account_of_page(request: HttpRequest) -> object:
    match = getattr(request, "resolver_match", None)
    customer_id = match.kwargs.get("customer_id") if match else None
    if not customer_id:
        return None
    from kam.accounts.models import Account

    return Account.objects.filter(customer_id=customer_id).first()


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The nav entries this user may see, which one is current, the user's roles, and
    ``can_<permission>`` for every permission."""
    user = getattr(request, "user", None)
    context: dict[str, Any] = permissions(user, _account_of_page(request))
    if user is None or not user.is_authenticated:
        return context
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    namespace = match.namespace if match else ""
    items = []
    for item in NAVIGATION:
        if not context[f"can_{item.permission.value}"]:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # an app whose pages are not mounted in this configuration
        is_current = current == item.url_name or (
            namespace in item.namespaces and current != "accounts:import"
        )
        items.append({"label": item.label, "url": url, "current": is_current})
    context["nav_items"] = items
    context["user_roles"] = sorted(role.value for role in user.roles())
    return context
