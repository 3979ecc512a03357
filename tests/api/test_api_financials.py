"""Financial fields are absent from the API's answers for a role that may not see them —
not null, not zero: absent — and present for one that may."""

import pytest

from kam.people.roles import Role


@pytest.mark.parametrize(("role", "sees"), [(Role.VIEWER, False), (Role.HEAD_OF_KAM, True)])
def test_margins_leave_the_api_only_for_roles_that_see_financials(api_as, seeded, role, sees):
    api = api_as(role, f"reader-{role.name.lower()}")
    account = api.get("/api/accounts/C000").json()
    assert ("margin_pct" in account["summary"]) is sees
    assert "revenue_12m" in account["summary"]
    scores = api.get("/api/scores", limit=50).json()["items"]
    assert scores
    assert all(("margin_pct" in row) is sees for row in scores)
    assert all("total" in row for row in scores)
    one = api.get("/api/scores/C000").json()
    assert ("margin_pct" in one["score"]) is sees
