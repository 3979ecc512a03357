"""The programme pages as people see them: what each role reads, the financial figures
absent for a Viewer, a KPI target set through htmx changing the status."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from kam.performance.models import KpiTarget


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_programme_page_shows_concentration_kpis_and_pnl(programme):
    page = _client(programme.head).get(reverse("performance:programme")).content.decode()
    assert "Concentration risk" in page  # C00 holds far more than 10% of revenue
    assert "The largest customer holds" in page
    assert 'id="pnl"' in page
    assert "Share of margin" in page
    assert "Revenue growth" in page
    assert "Did share of wallet grow?" in page
    assert "0 key accounts with a wallet estimate" in page


def test_a_viewer_sees_no_financial_figure(programme):
    client = _client(programme.viewer)
    page = client.get(reverse("performance:programme")).content.decode()
    assert 'id="pnl"' not in page
    assert "Share of margin" not in page
    assert "Profitability (gross margin)" not in page
    assert "Did key-account margins rise?" not in page
    assert client.get(reverse("performance:pnl")).status_code == 403


def test_setting_a_target_through_htmx_changes_the_status(programme):
    client = _client(programme.head)
    page = client.get(reverse("performance:programme")).content.decode()
    row = re.search(r'<tr id="kpi-program--retention".*?</tr>', page, re.S).group(0)
    assert 'data-status="on_target"' in row  # every account still buys: 100% ≥ 95%
    response = client.post(
        reverse("performance:kpi_target"),
        {"kpi": "retention", "scope": "program", "scope_key": "", "target": "100.5",
         "revision": ""},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert response.status_code == 200
    assert 'data-status="below_target"' in response.content.decode()
    assert KpiTarget.objects.get(kpi="retention").target == 100.5


@pytest.mark.parametrize("scope", ["tier", "manager", "account"])
def test_the_kpi_board_per_scope(programme, scope):
    page = _client(programme.kim).get(reverse("performance:kpis"), {"scope": scope})
    assert page.status_code == 200
    text = page.content.decode()
    expected = {"tier": "Tier 1", "manager": "Kim Keller", "account": "Customer 00"}[scope]
    assert expected in text


def test_every_share_reads_as_a_percentage(programme):
    from kam.performance.queries import concentration
    from kam.performance.templatetags.programme_tags import share_text

    found = concentration(programme.head)
    page = _client(programme.head).get(reverse("performance:programme")).content.decode()
    largest = re.search(r'id="top1-share">([^<]*)<', page).group(1)
    assert largest == share_text(found.now.revenue_share[1])
    assert re.fullmatch(r"\d+\.\d%", largest)  # 0.2 of revenue reads "20.x%", never 0.2
    shares = page[page.index('id="key-shares"') : page.index('id="pnl"')]
    cells = re.findall(r'<td class="num">([^<]*)</td>', shares)
    assert cells
    assert all(cell == "—" or cell.endswith("%") for cell in cells)
    assert not re.search(r">0\.\d+<", page)  # no share left as a fraction


@pytest.mark.parametrize(
    ("share", "shown"),
    [(0.024, "2.4%"), (0.0023, "0.23%"), (0.5, "50.0%"), (None, "—"), (float("nan"), "—")],
)
def test_a_share_is_shown_in_per_cent(share, shown):
    from kam.performance.templatetags.programme_tags import share_text

    assert share_text(share) == shown
