"""Login throttling: after repeated failures the user name, and the address, are locked for
a while — the right password is refused too, and the page says why and until when."""

from datetime import timedelta

import pytest
from django.urls import reverse

from kam.people.roles import Role

RIGHT = "pw-for-tests"
LIMIT = 5


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def fail_times(client, username, times, address="10.0.0.1"):
    """``times`` wrong passwords; the last one that reaches the limit is itself refused (429)."""
    for number in range(times):
        expected = 429 if number + 1 >= LIMIT else 200
        assert sign_in(client, username, "wrong guess", address).status_code == expected


def test_the_right_password_is_refused_once_the_name_is_locked(client, make_user):
    make_user(Role.KEY_ACCOUNT_MANAGER, "kim")
    fail_times(client, "kim", LIMIT)
    right = sign_in(client, "kim", RIGHT)
    page = right.content.decode()
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "locked for 15 minutes" in page
    assert "even with the right password" in page
    assert 'name="username"' in page  # still the sign-in page, inside the layout


def test_the_name_stays_locked_from_another_address(client, make_user):
    make_user(Role.VIEWER, "vera")
    fail_times(client, "vera", LIMIT)
    assert sign_in(client, "vera", RIGHT, address="10.9.9.9").status_code == 429


def test_the_address_is_locked_for_every_name(client, make_user):
    make_user(Role.VIEWER, "vera")
    for number in range(LIMIT):
        sign_in(client, f"guess{number}", "wrong guess", address="10.0.0.7")
    assert sign_in(client, "vera", RIGHT, address="10.0.0.7").status_code == 429
    assert sign_in(client, "vera", RIGHT, address="10.0.0.8").status_code == 302


def test_the_lock_expires_after_the_cool_off(client, make_user):
    from axes.models import AccessAttempt

    make_user(Role.VIEWER, "vera")
    fail_times(client, "vera", LIMIT)
    assert sign_in(client, "vera", RIGHT).status_code == 429
    # As if the 15 minutes had passed: the failures were recorded 16 minutes ago.
    attempt = AccessAttempt.objects.get()
    AccessAttempt.objects.update(attempt_time=attempt.attempt_time - timedelta(minutes=16))
    assert sign_in(client, "vera", RIGHT).status_code == 302
    assert client.session["_auth_user_id"]


def test_a_success_before_the_limit_starts_the_count_again(client, make_user):
    make_user(Role.VIEWER, "vera")
    fail_times(client, "vera", LIMIT - 1)
    assert sign_in(client, "vera", RIGHT).status_code == 302
    client.logout()
    fail_times(client, "vera", LIMIT - 1)
    assert sign_in(client, "vera", RIGHT).status_code == 302


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(client, make_user, settings):
    """Only the last X-Forwarded-For hop is the proxy's word; a client may forge the rest."""
    settings.BEHIND_PROXY = True
    make_user(Role.VIEWER, "vera")
    for number in range(LIMIT):
        client.post(
            reverse("login"),
            {"username": f"guess{number}", "password": "x"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"1.2.3.{number}, 203.0.113.5",
        )
    from_there = client.post(
        reverse("login"),
        {"username": "vera", "password": RIGHT},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.5",
    )
    assert from_there.status_code == 429
    elsewhere = client.post(
        reverse("login"),
        {"username": "vera", "password": RIGHT},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.6",
    )
    assert elsewhere.status_code == 302
