"""The account team page and `kam account team`: the Head of KAM sets who works an
account; a manager on it sees it and may not change it; every change is in the trail."""

from django.test import Client
from django.urls import reverse
from typer.testing import CliRunner

from kam.accounts.models import Account
from kam.audit.models import AuditEntry
from kam.people.roles import Role


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_head_of_kam_sets_the_team_on_its_page(db, make_user):
    account = Account.objects.create(customer_id="C-1", name="Nordwind")
    head = make_user(Role.HEAD_OF_KAM, "hedda")
    kim = make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim")
    url = reverse("accounts:team", args=[account.customer_id])
    page = _client(head).get(url).content.decode()
    assert 'id="team-form"' in page
    assert "Kim (kim)" in page
    response = _client(head).post(url, {"members": [kim.pk]})
    assert response.status_code == 302
    assert list(account.team.values_list("username", flat=True)) == ["kim"]
    entry = AuditEntry.objects.filter(account_id="C-1").latest("id")
    assert entry.changes == {"team": [[], ["kim"]]}
    assert entry.actor == "hedda"
    shown = _client(kim).get(url).content.decode()
    assert 'id="team-form"' not in shown
    assert "Kim" in shown


def test_a_manager_on_the_team_may_not_change_it(db, make_user):
    account = Account.objects.create(customer_id="C-1", name="Nordwind")
    kim = make_user(Role.KEY_ACCOUNT_MANAGER, "kim")
    lena = make_user(Role.KEY_ACCOUNT_MANAGER, "lena")
    account.team.add(kim)
    url = reverse("accounts:team", args=[account.customer_id])
    response = _client(kim).post(url, {"members": [kim.pk, lena.pk]})
    assert response.status_code == 403
    assert list(account.team.values_list("username", flat=True)) == ["kim"]


def test_the_command_line_sets_and_shows_the_team(db, make_user):
    from kam.cli import app

    Account.objects.create(customer_id="C-1", name="Nordwind")
    make_user(Role.HEAD_OF_KAM, "hedda")
    make_user(Role.KEY_ACCOUNT_MANAGER, "kim")
    runner = CliRunner()
    result = runner.invoke(app, ["account", "team", "C-1", "--set", "kim", "--as", "hedda"])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(app, ["account", "team", "C-1", "--json"])
    assert '"username": "kim"' in shown.stdout
    refused = runner.invoke(app, ["account", "team", "C-1", "--clear", "--as", "kim"])
    assert refused.exit_code == 3
    assert AuditEntry.objects.filter(account_id="C-1", interface="cli").count() == 1
    unknown = runner.invoke(app, ["account", "team", "C-1", "--set", "ghost", "--as", "hedda"])
    assert unknown.exit_code == 2
    assert "ghost" in unknown.output
