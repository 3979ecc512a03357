"""Every write is recorded — web, admin, command line, import, demo — with who, when,
through which interface and the values before and after; History pages show it."""

from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from typer.testing import CliRunner

from kam.accounts.models import Account
from kam.audit.choices import Action
from kam.audit.models import AuditEntry
from kam.audit.trail import record, sha256_of
from kam.people.roles import Role
from kam.plans.services import do_create_plan
from kam.relationships.models import Contact
from kam.relationships.services import do_add_contact


@pytest.fixture
def account(db) -> Account:
    return Account.objects.create(customer_id="C-7", name="Nordwind Logistik")


@pytest.fixture
def kim(make_user, account):
    user = make_user(Role.KEY_ACCOUNT_MANAGER, "kim")
    account.team.add(user)
    return user


@pytest.fixture
def ceo(kim, account) -> Contact:
    return do_add_contact(kim, account, name="Anna Berg", title="CFO", level="executive")


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_contact_edited_in_the_browser_is_recorded_with_before_and_after(kim, account, ceo):
    client = _signed_in(kim)
    url = reverse("relationships:contact_edit", args=[account.customer_id, ceo.pk])
    form = {"name": "Anna Berg", "title": "CEO", "level": "executive", "influence": 5,
            "attitude": 1, "revision": ceo.revision}  # fmt: skip
    assert client.post(url, form).status_code == 302
    entry = AuditEntry.objects.get(
        action=Action.CHANGED, object_type="relationships.contact", object_id=str(ceo.pk)
    )
    assert (entry.actor, entry.actor_id, entry.interface) == ("kim", kim.pk, "web")
    assert entry.object_type == "relationships.contact"
    assert entry.changes["title"] == ["CFO", "CEO"]
    assert entry.account_id == account.customer_id
    assert entry.contact_id == ceo.pk
    for page in (
        reverse("relationships:contact_history", args=[account.customer_id, ceo.pk]),
        reverse("accounts:history", args=[account.customer_id]),
    ):
        html = client.get(page).content.decode()
        assert "CFO" in html, page
        assert "CEO" in html, page
        assert "kim" in html, page


def test_a_plan_section_saved_in_the_browser_shows_on_the_plan_history(kim, account):
    plan = do_create_plan(kim, account, today=date(2026, 1, 5))
    client = _signed_in(kim)
    url = reverse("plans:section", args=[account.customer_id, plan.pk, "value_proposition"])
    response = client.post(url, {"revision": 0, "text": "Cut their freight cost by a fifth"})
    assert response.status_code in (200, 302)
    entry = AuditEntry.objects.get(object_type="plans.plansection", action=Action.CHANGED)
    assert entry.plan_id == plan.pk
    assert entry.interface == "web"
    assert entry.changes["content"][1] == {"text": "Cut their freight cost by a fifth"}
    history = client.get(reverse("plans:history", args=[account.customer_id, plan.pk]))
    assert "Cut their freight cost by a fifth" in history.content.decode()
    created = AuditEntry.objects.get(object_type="plans.accountplan", action=Action.CREATED)
    assert created.plan_id == plan.pk


def test_a_deleted_contact_keeps_its_values_in_the_trail(kim, account, ceo):
    client = _signed_in(kim)
    url = reverse("relationships:contact_remove", args=[account.customer_id, ceo.pk])
    assert client.post(url).status_code == 302
    assert not Contact.objects.filter(pk=ceo.pk).exists()
    entry = AuditEntry.objects.get(action=Action.DELETED, object_type="relationships.contact")
    assert entry.changes["name"] == ["Anna Berg", None]
    assert entry.actor == "kim"
    assert entry.account_id == account.customer_id


def test_an_admin_delete_is_recorded_as_the_admin(make_user, account, ceo):
    root = make_user(Role.ADMINISTRATOR, "root")
    root.is_superuser = True  # the admin's own model permissions
    root.save()
    client = _signed_in(root)
    url = reverse("admin:relationships_contact_delete", args=[ceo.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    entry = AuditEntry.objects.get(action=Action.DELETED)
    assert (entry.actor, entry.interface) == ("root", "admin")


def test_a_role_given_is_recorded_on_the_user(make_user):
    root = make_user(Role.ADMINISTRATOR, "root")
    kim = make_user(Role.VIEWER, "kim2")
    client = _signed_in(root)
    since = AuditEntry.objects.order_by("-id").first().id
    form = {"first_name": "Kim", "last_name": "", "title": "", "email": "",
            "roles": ["Key Account Manager"], "min_key_accounts": 0, "max_key_accounts": 8,
            "is_active": "on"}  # fmt: skip
    assert client.post(reverse("people:user_edit", args=[kim.pk]), form).status_code == 302
    roles = [
        entry.changes["groups"]
        for entry in AuditEntry.objects.filter(id__gt=since, object_id=str(kim.pk), actor="root")
        if "groups" in entry.changes
    ]
    assert any("Viewer" in before for before, _ in roles), roles
    assert any(after == ["Key Account Manager"] for _, after in roles), roles


def test_a_contact_file_is_one_entry_with_its_hash_and_counts(kim, account, tmp_path: Path):
    rows = ["name,title,level,influence,attitude"]
    rows += [f"Person {i},Buyer,operational,2,0" for i in range(3000)]
    path = tmp_path / "contacts.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    client = _signed_in(kim)
    since = AuditEntry.objects.order_by("-id").first().id
    with path.open("rb") as upload:
        response = client.post(
            reverse("relationships:import", args=[account.customer_id]), {"file": upload}
        )
    assert response.status_code in (200, 302)
    assert Contact.objects.filter(account=account).count() == 3000
    entries = AuditEntry.objects.filter(id__gt=since)
    assert entries.count() == 1, "one entry for the file, not one per line"
    entry = entries.get()
    assert entry.action == Action.IMPORTED
    assert entry.interface == "web"
    assert entry.actor == "kim"
    assert entry.detail["created"] == 3000
    assert entry.detail["file"] == "contacts.csv"
    assert entry.detail["sha256"] == sha256_of(path)
    assert entry.account_id == account.customer_id


def test_a_command_line_import_is_recorded_as_the_user_it_acts_as(make_user, store, tmp_path):
    from kam.cli import app

    make_user(Role.HEAD_OF_KAM, "head")
    since = AuditEntry.objects.order_by("-id").first().id
    path = tmp_path / "customers.csv"
    path.write_text(
        "customer_id,name\n" + "".join(f"K{i},Kunde {i}\n" for i in range(500)), encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["import", "customers", str(path), "--as", "head"])
    assert result.exit_code == 0, result.output
    assert Account.objects.count() == 500
    entry = AuditEntry.objects.filter(id__gt=since).get()
    assert (entry.actor, entry.interface, entry.action) == ("head", "cli", Action.IMPORTED)
    assert entry.detail["inserted"] == 500
    assert entry.detail["sha256"] == sha256_of(path)


def test_a_refused_file_leaves_no_entry(kim, account, tmp_path: Path):
    path = tmp_path / "contacts.csv"
    path.write_text("name,influence\nAnna,9\n", encoding="utf-8")
    since = AuditEntry.objects.order_by("-id").first().id
    with path.open("rb") as upload:
        _signed_in(kim).post(
            reverse("relationships:import", args=[account.customer_id]), {"file": upload}
        )
    assert not AuditEntry.objects.filter(id__gt=since).exists()


def test_financial_changes_are_absent_for_a_role_without_financials(make_user, account):
    record(Action.CHANGED, account, changes={"margin": [1200, 900], "segment": ["A", "B"]})
    viewer = make_user(Role.VIEWER, "vic")
    head = make_user(Role.HEAD_OF_KAM, "hedda")
    url = reverse("accounts:history", args=[account.customer_id])
    hidden = _signed_in(viewer).get(url).content.decode()
    assert "1200" not in hidden
    assert "1 financial field changed" in hidden
    assert "Segment" in hidden
    shown = _signed_in(head).get(url).content.decode()
    assert "1200" in shown
    assert "900" in shown


def test_the_administrators_trail_filters_by_user_and_interface(make_user, kim, account, ceo):
    root = make_user(Role.ADMINISTRATOR, "root")
    client = _signed_in(root)
    everything = client.get(reverse("audit_trail")).content.decode()
    assert "Anna Berg" in everything
    by_kim = client.get(reverse("audit_trail"), {"actor": "kim", "interface": "system"})
    assert "Nothing recorded yet." in by_kim.content.decode()
    by_system = client.get(reverse("audit_trail"), {"interface": "system"}).content.decode()
    assert "Anna Berg" in by_system
    assert client.post(reverse("audit_trail")).status_code == 405


def test_the_demo_is_one_entry_and_its_files_not_a_row_per_record(db, small_demo):
    from kam.plans.models import AccountPlan

    loaded = small_demo
    assert Contact.objects.exists()
    assert AccountPlan.objects.exists()
    entries = list(AuditEntry.objects.order_by("id"))
    assert {entry.interface for entry in entries} == {"demo"}
    assert [entry.action for entry in entries] == [Action.IMPORTED] * 7 + [Action.LOADED]
    kinds = [entry.detail.get("kind") for entry in entries[:7]]
    assert kinds == [
        "customers",
        "transactions",
        "transactions",  # the key accounts' repeat orders once the first cycle is published
        "engagements",
        "opportunities",
        "wallet estimates",
        "cost to serve",
    ]
    assert entries[7].detail["customers"] == loaded.customers.rows == 120
    assert set(entries[7].detail["users"]) == set(loaded.users)
    assert entries[7].detail["programme_effect"] == 0.5


def test_the_team_of_an_account_is_recorded_as_members_added(make_user, account):
    from kam.accounts.services import do_set_account_team

    head = make_user(Role.HEAD_OF_KAM, "hedda")
    kim = make_user(Role.KEY_ACCOUNT_MANAGER, "kim")
    since = AuditEntry.objects.order_by("-id").first().id
    do_set_account_team(head, account, [kim])
    entry = AuditEntry.objects.get(id__gt=since)
    assert entry.changes == {"team": [[], ["kim"]]}
    assert entry.account_id == account.customer_id
