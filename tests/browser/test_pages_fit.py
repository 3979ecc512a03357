"""The pages a Head of KAM found cut, covered or empty, each checked for what was wrong.

tests/browser/test_every_page.py checks every page for the general faults; these name the
cases: the Compare button and cycle drop-downs, the rating inputs, the policy form, the
portfolio's score table and headline labels, a plan version's frame and a plan with 60
contacts.
"""

from datetime import date

import pytest

from kam.accounts.models import Account
from kam.people.roles import Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("managers_work_every_account"),
]

WIDTHS = (1440, 390)

CUT = """element => element.scrollWidth > element.clientWidth + 1"""
"""Whether an element's content is wider than the element shows (cut or ellipsised)."""

OPTION_FITS = """select => {
  const probe = document.createElement("span");
  probe.style.font = getComputedStyle(select).font;
  probe.style.position = "absolute";
  probe.style.whiteSpace = "nowrap";
  probe.textContent = select.options[select.selectedIndex].text;
  document.body.appendChild(probe);
  const text = probe.getBoundingClientRect().width;
  probe.remove();
  const style = getComputedStyle(select);
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  return text + padding <= select.clientWidth;
}"""
"""Whether the chosen option's words fit in the drop-down as it shows them."""


def size(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None, "the element is shown"
    return box["width"], box["height"]


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width}px wide"


@pytest.fixture
def cycles(store, head_of_kam):
    """Twenty scored accounts and two cycles with names as long as the demo's."""
    from selection_seed import seed_portfolio

    from kam.selection import services

    seed_portfolio(store)
    run = services.do_run_scoring(head_of_kam)
    first = services.do_create_cycle(head_of_kam, score_run=run, name="Key accounts 2025")
    services.do_approve_cycle(head_of_kam, first)
    services.do_publish_cycle(head_of_kam, first)
    second = services.do_create_cycle(head_of_kam, score_run=run, name="Key accounts 2026")
    return first, second


@pytest.mark.parametrize("width", WIDTHS)
def test_the_compare_button_and_the_cycle_names_show_whole(
    page, live_server, cycles, sign_in, goto, width
):
    _, second = cycles
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "head", path="/selection/cycles/compare/")
    for select in page.locator("form.filters select").all():
        assert page.evaluate(OPTION_FITS, select.element_handle()), select.input_value()
    compare = page.get_by_role("button", name="Compare")
    width_, height = size(compare)
    assert min(width_, height) >= 24, f"Compare is {width_}×{height}px"
    compare.click(trial=True)  # nothing covers it

    goto(page, f"{live_server.url}/selection/cycles/{second.pk}/")
    compare = page.get_by_role("button", name="Compare")
    width_, height = size(compare)
    assert min(width_, height) >= 24, f"Compare is {width_}×{height}px"
    choice = page.get_by_label("Compare with")
    assert page.evaluate(OPTION_FITS, choice.element_handle()), choice.input_value()
    compare.click()
    page.wait_for_url("**/cycles/compare/**")
    assert page.get_by_role("heading", name="Compare two cycles").is_visible()
    no_sideways_scroll(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_rating_input_can_be_clicked(page, live_server, cycles, sign_in, ready, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "head", path="/selection/accounts/C000/")
    ratings = page.locator(".sel-rating-form select")
    assert ratings.count() == 6
    for rating in ratings.all():
        rating.click(trial=True)  # Playwright refuses when another element takes the click
    ratings.first.select_option("4")
    page.get_by_role("button", name="Save ratings").click()
    ready(page)
    assert "4" in page.locator(".sel-rating-form tbody tr").first.inner_text()
    no_sideways_scroll(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_policy_form_fits_and_shows_its_values_whole(page, live_server, cycles, sign_in, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "head", path="/selection/policy/")
    no_sideways_scroll(page)
    fields = page.locator("#policy-form input[type=text], #policy-form input[type=number]")
    assert fields.count() > 10
    for field in fields.all():
        assert not page.evaluate(CUT, field.element_handle()), f"{field.input_value()!r} is cut"
        assert size(field)[1] >= 24


def test_the_score_table_shows_total_tier_and_type_without_scrolling(
    page, live_server, cycles, sign_in
):
    sign_in(page, live_server, "head", path="/selection/")
    table = page.locator("#score-results .table-scroll")
    assert not page.evaluate(CUT, table.element_handle()), "the score table scrolls sideways"
    right = table.bounding_box()["x"] + table.bounding_box()["width"]
    for name in ("Total", "Tier", "Type"):
        header = page.locator("#score-results th", has_text=name).first
        box = header.bounding_box()
        assert box["x"] + box["width"] <= right + 1, f"{name} is off the card"
    for label in page.locator(".kpi-label").all():
        assert not page.evaluate(CUT, label.element_handle()), f"{label.inner_text()} is cut"


def test_the_future_value_axes_start_at_the_smallest_real_value():
    """A predicted value of a billionth of a unit must not stretch the log axis to "1p"."""
    import json

    from kam.selection.templatetags.selection_tags import future_value_figure

    points = [
        {"customer_id": f"C{i}", "name": f"C{i}", "revenue_12m": revenue, "clv": clv,
         "clv_lower": clv, "clv_upper": clv, "is_key": i == 0, "tier": "tier_1"}
        for i, (revenue, clv) in enumerate(
            [(2_000_000.0, 3_000_000.0), (40_000.0, 55_000.0), (800.0, 1e-12), (0.0, 100.0)]
        )
    ]  # fmt: skip
    figure = json.loads(future_value_figure(points))
    low_x, high_x = figure["layout"]["xaxis"]["range"]
    low_y, high_y = figure["layout"]["yaxis"]["range"]
    assert 2 <= low_x <= 3  # from the 800 revenue …
    assert 6 < high_x < 7  # … to the 2M
    assert 10**low_y > 0.5  # a value of 1e-12 is not drawn as 1p: no tick below 1
    assert low_y <= 2
    assert 6 < high_y < 7
    assert figure["layout"]["yaxis"]["tickformat"] == "~s"
    drawn = [y for trace in figure["data"] for y in trace["y"]]
    assert min(drawn) >= 1


@pytest.fixture
def crowded_plan(make_user):
    """An account with 60 contacts, a plan and two versions of it."""
    from kam.plans.services import do_create_plan, do_cut_version
    from kam.relationships.models import Level
    from kam.relationships.services import do_add_contact

    kim = make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim", last_name="Keller")
    account = Account.objects.create(customer_id="C00370", name="Fulcrum Generics Inc.")
    levels = [Level.EXECUTIVE, Level.SENIOR, Level.OPERATIONAL]
    for i in range(60):
        do_add_contact(
            kim, account, name=f"Contact {i:02}", title="Buyer", level=levels[i % 3],
            influence=1 + i % 5,
        )  # fmt: skip
    plan = do_create_plan(kim, account, today=date(2026, 6, 15), title="Fulcrum plan 2026")
    do_cut_version(kim, plan, today=date(2026, 6, 1), note="Agreed")
    do_cut_version(kim, plan, today=date(2026, 6, 15), note="After the review")
    return plan


@pytest.mark.parametrize("width", WIDTHS)
def test_a_plan_with_60_contacts_stays_short_and_links_to_them_all(
    page, live_server, crowded_plan, sign_in, width
):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "kim", path=f"/accounts/C00370/plan/{crowded_plan.pk}/")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 8000, f"the plan page is {height}px tall"
    section = page.locator("#stakeholders").bounding_box()["height"]
    assert section < 1500, f"the stakeholder card is {section}px tall"
    assert page.locator("#stakeholders tbody tr").count() == 8
    assert "60 contacts mapped" in page.locator("#stakeholder-summary").inner_text()
    link = page.locator("#all-contacts")
    assert link.get_attribute("href") == "/accounts/C00370/relationships/"
    no_sideways_scroll(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_plan_version_shows_its_document_in_the_frame(
    page, live_server, crowded_plan, sign_in, width
):
    page.set_viewport_size({"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "kim", path=f"/accounts/C00370/plan/{crowded_plan.pk}/versions/2/")
    frame = page.frame_locator("iframe.version-frame")
    assert "Fulcrum plan 2026" in frame.locator("body").inner_text()
    assert errors == []
    no_sideways_scroll(page)
