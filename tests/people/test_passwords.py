"""Passwords: changing one's own, resetting by an emailed link, the validators on both, and
users whose password someone else chose being sent to change it first."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from kam.people.models import User
from kam.people.roles import Role

GOOD = "correct horse battery"


def test_a_user_changes_their_password_held_to_the_validators(client, make_user, store):
    kim = make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim")
    client.force_login(kim)
    weak = client.post(
        reverse("password_change"),
        {"old_password": "pw-for-tests", "new_password1": "iloveyou", "new_password2": "iloveyou"},
    )
    assert weak.status_code == 200
    assert "This password is too common." in weak.content.decode()
    kim.refresh_from_db()
    assert kim.check_password("pw-for-tests")
    done = client.post(
        reverse("password_change"),
        {"old_password": "pw-for-tests", "new_password1": GOOD, "new_password2": GOOD},
    )
    assert done.status_code == 302
    kim.refresh_from_db()
    assert kim.check_password(GOOD)
    assert client.get(reverse("accounts:list")).status_code == 200  # still signed in here


def test_a_user_who_must_change_is_sent_to_the_change_page_first(client, make_user, store):
    kim = make_user(Role.KEY_ACCOUNT_MANAGER, "kim", must_change_password=True)
    client.force_login(kim)
    response = client.get(reverse("accounts:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("password_change"))
    htmx = client.get(reverse("accounts:list"), HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"].startswith(reverse("password_change"))
    page = client.get(response["Location"]).content.decode()
    assert "Choose your own before you go on" in page
    client.post(
        reverse("password_change"),
        {"old_password": "pw-for-tests", "new_password1": GOOD, "new_password2": GOOD},
    )
    kim.refresh_from_db()
    assert not kim.must_change_password
    assert client.get(reverse("accounts:list")).status_code == 200


def test_signing_out_stays_open_to_a_user_who_must_change(client, make_user):
    kim = make_user(Role.VIEWER, "kim", must_change_password=True)
    client.force_login(kim)
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_reset_link_by_email_sets_a_new_password(client, make_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_user(Role.VIEWER, "vera", email="vera@example.com", must_change_password=True)
    sent = client.post(reverse("password_reset"), {"email": "vera@example.com"})
    assert sent.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["vera@example.com"]
    assert "vera" in message.body
    link = re.search(r"https?://[^/]+(/password/reset/\S+)", message.body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    assert "Choose a new password" in form.content.decode()
    weak = client.post(
        form.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"}
    )
    assert "entirely numeric" in weak.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": GOOD, "new_password2": GOOD})
    assert done.status_code == 302
    vera = User.objects.get(username="vera")
    assert vera.check_password(GOOD)
    assert not vera.must_change_password
    again = client.get(link, follow=True).content.decode()
    assert "This link no longer works" in again


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, settings, db):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert "If a user of kam has that address" in response.content.decode()
    assert mail.outbox == []


def test_the_sign_in_page_links_to_the_reset(client, db):
    page = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in page


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_change_their_own_password(client, make_user, role):
    client.force_login(make_user(role, f"someone-{role.name.lower()}"))
    assert client.get(reverse("password_change")).status_code == 200


def test_the_change_page_needs_a_sign_in_and_the_reset_page_does_not(client, db):
    assert client.get(reverse("password_change"))["Location"].startswith(reverse("login"))
    assert client.get(reverse("password_reset")).status_code == 200
