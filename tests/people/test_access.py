"""One way to let a request in: ``@requires`` on every view, one 403 page with the reason."""

import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kam.people.access import permission_denied, requires
from kam.people.roles import ROLE_PERMISSIONS, Permission, Role, requirement
from kam.people.services import PermissionRefused, check_permission

KAM = Path(__file__).resolve().parents[2] / "kam"
OPEN_ROUTES = {
    *("login", "logout", "home", "password_change", "password_change_done"),
    *("password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete"),
    *("api:openapi-json", "api:openapi-view", "api:api-root", "api_no_route"),
}
"""Routes every visitor may use: signing in and out, their own password (change, and reset
by email), the redirect to the account list, and the JSON API's description (its
operations check their token's user in kam.api.access)."""


def routes(patterns=None, prefix=""):
    """(name, view) of every route kam serves, apps' namespaces included, admin left out."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from routes(entry.url_patterns, namespace)
        elif isinstance(entry, URLPattern):
            yield f"{prefix}{entry.name}", entry.callback


def test_every_page_says_which_permission_it_needs():
    missing = [
        name
        for name, view in routes()
        if name not in OPEN_ROUTES and not hasattr(view, "required_permission")
    ]
    assert missing == []
    assert len(list(routes())) > 40


def test_no_view_checks_a_role_by_hand():
    """Views state what they need with @requires; role checks inside a view body drift."""
    by_hand = re.compile(r"check_permission\(|has_permission\(|\.can\(|PermissionDenied\(")
    offenders = [
        f"{path.relative_to(KAM)}:{number}"
        for path in sorted(KAM.glob("*/views*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if by_hand.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize("permission", list(Permission))
def test_a_refusal_names_every_role_that_may(permission):
    reason = requirement(permission)
    holders = [role for role in Role if permission in ROLE_PERMISSIONS[role]]
    for role in holders:
        assert role.value in reason
    assert reason.endswith("Administrator role.")
    for role in set(Role) - set(holders):
        assert f" {role.value} " not in f" {reason} ".replace(",", " ")


def test_importing_data_says_who_may():
    assert requirement(Permission.IMPORT_DATA) == (
        "Importing data needs the Head of KAM, Analyst or Administrator role."
    )


def test_the_403_page_sits_in_the_layout_with_the_reason(client, viewer, store):
    client.force_login(viewer)
    response = client.get(reverse("accounts:import"))
    page = response.content.decode()
    assert response.status_code == 403
    assert 'aria-label="Main"' in page  # the navigation is there
    assert reverse("accounts:list") in page
    assert "Importing data needs the Head of KAM, Analyst or Administrator role." in page
    assert "signed in as" in page
    assert "Viewer" in page


def test_an_htmx_refusal_is_a_notice_for_the_page(client, viewer, db):
    from kam.accounts.models import Account

    Account.objects.create(customer_id="C1", name="Acme")
    client.force_login(viewer)
    response = client.post(
        reverse("relationships:contact_add", args=["C1"]),
        {"name": "Jonas"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 403
    assert "<html" not in page
    assert 'role="alert"' in page
    assert "Editing stakeholders and relationships needs the" in page


def test_a_refusal_raised_by_a_service_gets_the_same_page(viewer, rf: RequestFactory):
    from django.contrib.messages.storage.cookie import CookieStorage

    request = rf.get("/anything/")
    request.user = viewer
    request._messages = CookieStorage(request)
    with pytest.raises(PermissionRefused) as refused:
        check_permission(viewer, Permission.LOAD_DEMO)
    response = permission_denied(request, refused.value)
    page = response.content.decode()
    assert response.status_code == 403
    assert "Loading the demo company needs the Head of KAM or Administrator role." in page
    assert 'aria-label="Main"' in page
    plain = permission_denied(request, PermissionDenied("This cycle is published."))
    assert "This cycle is published." in plain.content.decode()


def test_the_refusal_keeps_the_username_for_commands(viewer):
    with pytest.raises(PermissionDenied, match="viewer may not import data: Importing data"):
        check_permission(viewer, Permission.IMPORT_DATA)


def test_every_page_has_one_name_per_permission(client, viewer, store):
    client.force_login(viewer)
    response = client.get(reverse("accounts:list"))
    for permission in Permission:
        name = f"can_{permission.value}"
        assert name in response.context, name
    assert response.context["can_view_accounts"] is True
    assert response.context["can_import_data"] is False


def test_requires_checks_a_write_only_on_writes(rf: RequestFactory, viewer, make_user):
    from django.http import HttpResponse

    @requires(Permission.VIEW_ACCOUNTS, write=Permission.RATE_ACCOUNTS)
    def view(request):
        return HttpResponse("ok")

    reading = rf.get("/")
    reading.user = viewer
    assert view(reading).status_code == 200
    writing = rf.post("/")
    writing.user = viewer
    with pytest.raises(PermissionRefused, match="Rating accounts needs"):
        view(writing)
    writing.user = make_user(Role.KEY_ACCOUNT_MANAGER, "kim")
    assert view(writing).status_code == 200


def test_requires_hands_the_resolved_record_to_the_check(rf: RequestFactory, viewer, monkeypatch):
    """Record-level rules go in one place: check_permission sees the record a view acts on."""
    from django.http import HttpResponse

    from kam.people import access

    seen = []
    real = access.check_permission

    def spy(user, permission, *, on=None):
        seen.append((permission, on))
        real(user, permission, on=on)

    monkeypatch.setattr(access, "check_permission", spy)

    @requires(Permission.VIEW_ACCOUNTS, on=lambda request, customer_id: f"account {customer_id}")
    def view(request, customer_id):
        return HttpResponse(customer_id)

    request = rf.get("/")
    request.user = viewer
    assert view(request, customer_id="C1").content == b"C1"
    assert seen == [(Permission.VIEW_ACCOUNTS, None), (Permission.VIEW_ACCOUNTS, "account C1")]
