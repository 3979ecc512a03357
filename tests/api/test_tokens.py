"""Personal API tokens: created on the API tokens page and shown that once, kept only as a
hash, refused once expired or revoked — each refusal a 401 saying why."""

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.api.models import ApiToken
from kam.api.services import TokenError, check_token, do_create_token, do_revoke_token
from kam.people.roles import Role


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_is_shown_once_and_kept_only_as_its_hash(client, make_user, db):
    kim = make_user(Role.KEY_ACCOUNT_MANAGER, "kim")
    client.force_login(kim)
    page = client.post(reverse("api_tokens"), {"name": "CRM sync", "days": "30"})
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    token = page.context["secret"]
    assert token.startswith("kam_")
    assert token in page.content.decode()
    stored = ApiToken.objects.get(user=kim)
    assert stored.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {stored.prefix, stored.digest, stored.name}
    assert (stored.expires_at - stored.created_at).days == 30
    again = client.get(reverse("api_tokens")).content.decode()
    assert token not in again  # never shown again
    assert f"kam_{stored.prefix}_…" in again
    assert "CRM sync" in again
    assert Client().get("/api/accounts", headers=bearer(token)).status_code == 200


def test_the_default_lifetime_is_90_days(make_user):
    record, _ = do_create_token(make_user(Role.VIEWER), name="script")
    assert record.expires_at - record.created_at == timedelta(days=90)


@pytest.mark.parametrize(("name", "days"), [("", 30), ("x" * 101, 30), ("ok", 0), ("ok", 366)])
def test_a_token_needs_a_name_and_a_lifetime_of_a_year_at_most(make_user, name, days):
    with pytest.raises(TokenError):
        do_create_token(make_user(Role.VIEWER), name=name, days=days)
    assert not ApiToken.objects.exists()


def test_using_a_token_records_when(make_user):
    record, token = do_create_token(make_user(Role.VIEWER), name="script")
    assert record.last_used_at is None
    Client().get("/api/accounts", headers=bearer(token))
    record.refresh_from_db()
    assert record.last_used_at is not None


def test_an_expired_token_is_refused_with_a_401_saying_so(make_user):
    record, token = do_create_token(make_user(Role.VIEWER), name="script", days=1)
    made = timezone.now() - timedelta(days=2)
    ApiToken.objects.filter(pk=record.pk).update(
        created_at=made, expires_at=made + timedelta(days=1)
    )
    response = Client().get("/api/accounts", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["detail"].startswith("This API token expired on ")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused_and_only_its_owner_may_revoke_it(client, make_user):
    kim = make_user(Role.KEY_ACCOUNT_MANAGER, "kim")
    other = make_user(Role.VIEWER, "vera")
    record, token = do_create_token(kim, name="script")
    client.force_login(other)
    assert client.post(reverse("api_token_revoke", args=[record.pk])).status_code == 404
    assert Client().get("/api/accounts", headers=bearer(token)).status_code == 200
    client.force_login(kim)
    response = client.post(reverse("api_token_revoke", args=[record.pk]), follow=True)
    assert "revoked" in response.content.decode()
    refused = Client().get("/api/accounts", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json()["detail"].startswith("This API token was revoked on ")
    first = ApiToken.objects.get(pk=record.pk).revoked_at
    do_revoke_token(kim, record.pk)
    assert ApiToken.objects.get(pk=record.pk).revoked_at == first


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer nonsense", "Basic a2ltOnB3", "Bearer kam_00000000_wrong"],
)
def test_a_missing_or_unknown_token_is_a_401(db, header):
    headers = {"Authorization": header} if header else {}
    response = Client().get("/api/accounts", headers=headers)
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "field"}


def test_a_token_with_the_right_prefix_but_another_secret_is_refused(make_user):
    record, token = do_create_token(make_user(Role.VIEWER), name="script")
    forged = f"kam_{record.prefix}_{'A' * 43}"
    assert forged != token
    response = Client().get("/api/accounts", headers=bearer(forged))
    assert response.status_code == 401


def test_a_deactivated_users_token_is_refused(make_user):
    user = make_user(Role.VIEWER)
    _, token = do_create_token(user, name="script")
    user.is_active = False
    user.save()
    with pytest.raises(Exception, match="deactivated"):
        check_token(token)


def test_the_user_menu_links_to_the_tokens_page(client, make_user):
    client.force_login(make_user(Role.VIEWER))
    page = client.get(reverse("api_tokens")).content.decode()
    assert f'href="{reverse("api_tokens")}"' in page
    assert "No tokens yet." in page
