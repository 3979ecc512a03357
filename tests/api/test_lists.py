"""Lists page by limit and offset (up to a maximum) and filter as the web pages do."""

import pytest

from kam.people.roles import Role
from kam.selection.models import KeyAccount


@pytest.fixture
def head_api(api_as, seeded):
    return api_as(Role.HEAD_OF_KAM, "head")


def test_accounts_page_through_every_account_once(head_api):
    seen = []
    for offset in range(0, 20, 7):
        page = head_api.get("/api/accounts", limit=7, offset=offset).json()
        assert page["count"] == 20
        assert page["limit"] == 7
        assert page["offset"] == offset
        seen += [a["customer_id"] for a in page["items"]]
    assert sorted(seen) == [f"C{i:03}" for i in range(20)]
    assert head_api.get("/api/accounts", offset=40).json()["items"] == []


def test_a_limit_past_the_maximum_is_refused(head_api):
    response = head_api.get("/api/accounts", limit=201)
    assert response.status_code == 422
    assert response.json()["field"] == "limit"
    assert head_api.get("/api/accounts", limit=200).status_code == 200


def test_accounts_filter_by_search_key_tier_type_and_manager(head_api, make_user):
    kim = make_user(Role.KEY_ACCOUNT_MANAGER, "kim")
    key = KeyAccount.objects.order_by("account_id").first()
    key.manager = kim
    key.save()

    def ids(**params):
        return sorted(
            a["customer_id"] for a in head_api.get("/api/accounts", **params).json()["items"]
        )

    keys = sorted(KeyAccount.objects.values_list("account_id", flat=True))
    assert ids(key="true") == keys == ["C000", "C003", "C006"]
    assert len(ids(key="false", limit=50)) == 17
    assert not set(ids(key="false")) & set(keys)
    assert ids(manager="kim") == [key.account_id]
    assert ids(q="customer 01", limit=50) == [f"C{i:03}" for i in range(10, 20)]
    assert ids(q="C003") == ["C003"]
    tier = KeyAccount.objects.get(account_id="C000").tier
    assert "C000" in ids(tier=tier)
    quadrant = KeyAccount.objects.get(account_id="C000").quadrant
    assert "C000" in ids(type=quadrant)
    one = head_api.get("/api/accounts/C000").json()
    assert one["designation"]["tier"] == tier
    assert one["summary"]["orders_lifetime"] > 0


def test_scores_page_at_any_offset(head_api):
    everyone = head_api.get("/api/scores", sort="name", limit=20).json()
    assert everyone["count"] == 20
    names = [row["customer_id"] for row in everyone["items"]]
    window = head_api.get("/api/scores", sort="name", limit=6, offset=5).json()
    assert [row["customer_id"] for row in window["items"]] == names[5:11]
    assert head_api.get("/api/scores", offset=25).json()["items"] == []
    keys = head_api.get("/api/scores", key="true").json()
    assert [row["customer_id"] for row in keys["items"]] == ["C000", "C003", "C006"]
    assert all(row["is_key"] for row in keys["items"])


def test_ratings_filter_by_account(head_api):
    head_api.send("POST", "/api/accounts/C001/ratings", {"values": {"harmony_fit": 2}})
    c000 = head_api.get("/api/ratings", account="C000").json()
    assert [(r["customer_id"], r["value"]) for r in c000["items"]] == [("C000", 4)]
    assert head_api.get("/api/ratings").json()["count"] == 2
    assert head_api.get("/api/ratings", account="NOPE").status_code == 404


def test_a_cycles_decisions_page_key_accounts_first(head_api, seeded):
    cycle = seeded["cycle"].pk
    assert head_api.get("/api/cycles").json()["items"][0]["status"] == "published"
    decisions = head_api.get(f"/api/cycles/{cycle}/decisions", key="true").json()
    assert [d["customer_id"] for d in decisions["items"]] == ["C000", "C003", "C006"]
    assert [d["key_rank"] for d in decisions["items"]] == [1, 2, 3]
