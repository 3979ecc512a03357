"""An account's team through the API: read by who reads the account in full, set by the
Head of KAM and the Administrator only, unknown usernames named."""

from urllib.parse import quote

import pytest

from kam.people.roles import Role

TEAM = f"/api/accounts/{quote('ACME%2F1')}/team"  # the id "ACME/1", as the converter writes it


def test_the_head_of_kam_sets_the_team_and_a_reader_sees_it(api_as, acme, make_user):
    make_user(Role.KEY_ACCOUNT_MANAGER, "lena", first_name="Lena")
    head = api_as(Role.HEAD_OF_KAM, "hedda")
    path = TEAM
    response = head.send("PUT", path, {"members": ["lena"]})
    assert response.status_code == 200, response.content
    assert [m["username"] for m in response.json()["members"]] == ["lena"]
    viewer = api_as(Role.VIEWER, "vic")
    assert [m["username"] for m in viewer.get(path).json()["members"]] == ["lena"]


@pytest.mark.parametrize("role", [Role.KEY_ACCOUNT_MANAGER, Role.VIEWER, Role.EXECUTIVE_SPONSOR])
def test_no_one_else_may_set_a_team_not_even_its_own_manager(api_as, acme, role):
    api = api_as(role, f"not-head-{role.name.lower()}")
    before = sorted(acme["account"].team.values_list("username", flat=True))
    response = api.send("PUT", TEAM, {"members": []})
    assert response.status_code == 403
    assert response.json()["detail"]
    assert sorted(acme["account"].team.values_list("username", flat=True)) == before


def test_an_unknown_username_is_named_and_nothing_changes(api_as, acme):
    head = api_as(Role.HEAD_OF_KAM, "hedda")
    response = head.send("PUT", TEAM, {"members": ["nobody-here"]})
    assert response.status_code == 422
    assert response.json()["field"] == "members"
    assert "nobody-here" in response.json()["detail"]
    assert not acme["account"].team.exists()
