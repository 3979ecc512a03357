"""The People pages: only an Administrator manages users, roles, capacity, deactivation and
temporary passwords; every other role is refused with the reason."""

import pytest
from django.urls import reverse

from kam.people.models import User
from kam.people.roles import Role

GOOD = "correct horse battery"


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMINISTRATOR, "root", first_name="Ada", last_name="Admin")


@pytest.fixture
def kim(make_user):
    return make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim", last_name="Keller")


def pages(kim):
    return [
        reverse("people:users"),
        reverse("people:user_add"),
        reverse("people:user_edit", args=[kim.pk]),
        reverse("people:user_password", args=[kim.pk]),
    ]


def edit_form(**changes):
    form = {
        "first_name": "Kim",
        "last_name": "Keller",
        "title": "",
        "email": "",
        "roles": [Role.KEY_ACCOUNT_MANAGER.value],
        "min_key_accounts": "5",
        "max_key_accounts": "10",
        "is_active": "on",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


@pytest.mark.parametrize("role", list(Role))
def test_each_people_page_is_the_administrators_alone(client, make_user, kim, role):
    client.force_login(make_user(role, f"acting-{role.name.lower()}"))
    allowed = role is Role.ADMINISTRATOR
    for url in pages(kim):
        response = client.get(url)
        assert response.status_code == (200 if allowed else 403), (role, url)
        if not allowed:
            assert "Managing users needs the Administrator role." in response.content.decode()
    posted = client.post(reverse("people:user_edit", args=[kim.pk]), edit_form(title="Boss"))
    assert posted.status_code == (302 if allowed else 403)
    kim.refresh_from_db()
    assert (kim.title == "Boss") is allowed


def test_the_list_shows_every_user_with_their_roles(client, admin, kim, make_user):
    make_user(Role.ANALYST, "ana")
    client.force_login(admin)
    page = client.get(reverse("people:users")).content.decode()
    for username, role in (
        ("root", "Administrator"),
        ("kim", "Key Account Manager"),
        ("ana", "Analyst"),
    ):
        row = page[page.index(f'data-username="{username}"') :]
        assert role in row[: row.index("</tr>")]


def test_the_people_page_is_in_the_administrators_navigation_only(client, admin, kim, store):
    client.force_login(admin)
    assert reverse("people:users") in client.get(reverse("accounts:list")).content.decode()
    client.force_login(kim)
    assert reverse("people:users") not in client.get(reverse("accounts:list")).content.decode()


def test_an_administrator_adds_a_user_who_changes_the_password_first(client, admin):
    client.force_login(admin)
    weak = client.post(
        reverse("people:user_add"),
        {**edit_form(roles=[Role.ANALYST.value]), "username": "ana", "password": "12345678"},
    )
    assert weak.status_code == 400
    assert "entirely numeric" in weak.content.decode()
    assert not User.objects.filter(username="ana").exists()
    added = client.post(
        reverse("people:user_add"),
        {
            **edit_form(roles=[Role.ANALYST.value], first_name="Ana", min_key_accounts="0"),
            "username": "ana",
            "password": GOOD,
        },
    )
    assert added.status_code == 302
    ana = User.objects.get(username="ana")
    assert ana.roles() == {Role.ANALYST}
    assert ana.min_key_accounts == 0
    assert ana.must_change_password
    assert ana.check_password(GOOD)


def test_an_administrator_changes_roles_and_capacity(client, admin, kim):
    client.force_login(admin)
    response = client.post(
        reverse("people:user_edit", args=[kim.pk]),
        edit_form(
            roles=[Role.KEY_ACCOUNT_MANAGER.value, Role.HEAD_OF_KAM.value],
            min_key_accounts="3",
            max_key_accounts="7",
        ),
    )
    assert response.status_code == 302
    kim.refresh_from_db()
    assert kim.roles() == {Role.KEY_ACCOUNT_MANAGER, Role.HEAD_OF_KAM}
    assert (kim.min_key_accounts, kim.max_key_accounts) == (3, 7)


def test_a_capacity_whose_fewest_is_above_its_most_is_refused(client, admin, kim):
    client.force_login(admin)
    response = client.post(
        reverse("people:user_edit", args=[kim.pk]),
        edit_form(min_key_accounts="9", max_key_accounts="4"),
    )
    assert response.status_code == 400
    assert "Below the fewest (9)" in response.content.decode()
    kim.refresh_from_db()
    assert (kim.min_key_accounts, kim.max_key_accounts) == (5, 10)


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(client, admin, kim, store):
    from django.test import Client

    theirs = Client()
    theirs.force_login(kim)
    assert theirs.get(reverse("accounts:list")).status_code == 200
    client.force_login(admin)
    client.post(reverse("people:user_edit", args=[kim.pk]), edit_form(is_active=None))
    kim.refresh_from_db()
    assert not kim.is_active
    assert theirs.get(reverse("accounts:list")).status_code == 302  # back to the sign-in page
    refused = Client().post(reverse("login"), {"username": "kim", "password": "pw-for-tests"})
    assert refused.status_code == 200
    assert "did not match" in refused.content.decode()


def test_the_last_administrator_cannot_lose_the_role(client, admin):
    client.force_login(admin)
    response = client.post(
        reverse("people:user_edit", args=[admin.pk]),
        edit_form(first_name="Ada", last_name="Admin", roles=[Role.VIEWER.value]),
    )
    assert response.status_code == 400
    assert "last active Administrator" in response.content.decode()
    admin.refresh_from_db()
    assert Role.ADMINISTRATOR in admin.roles()


def test_a_temporary_password_must_be_changed_and_ends_their_sessions(client, admin, kim, store):
    from django.test import Client

    theirs = Client()
    theirs.force_login(kim)
    client.force_login(admin)
    weak = client.post(reverse("people:user_password", args=[kim.pk]), {"password": "kim"})
    assert weak.status_code == 400
    assert "too short" in weak.content.decode()
    done = client.post(reverse("people:user_password", args=[kim.pk]), {"password": GOOD})
    assert done.status_code == 302
    kim.refresh_from_db()
    assert kim.check_password(GOOD)
    assert kim.must_change_password
    assert theirs.get(reverse("accounts:list")).status_code == 302
    fresh = Client()
    fresh.post(reverse("login"), {"username": "kim", "password": GOOD})
    assert fresh.get(reverse("accounts:list"))["Location"].startswith(reverse("password_change"))


def test_a_page_for_a_user_who_does_not_exist_is_404(client, admin):
    client.force_login(admin)
    assert client.get(reverse("people:user_edit", args=[9999])).status_code == 404
