"""The Head of KAM's programme journey, in a real browser: open the programme page, raise a
KPI's target and see its status turn, download the portfolio review PDF; and every
programme page at a phone's width without sideways scrolling."""

import pypdfium2 as pdfium
import pytest
from programme_data import seed_programme

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ("", "kpis/", "pnl/", "review/", "checklist/", "settings/", "cost-to-serve/import/")


def test_head_of_kam_sets_a_target_and_downloads_the_review(
    page, live_server, store, make_user, sign_in, ready, goto, new_context, browser, tmp_path
):
    from playwright.sync_api import expect

    seed_programme(store, make_user)
    sign_in(page, live_server, "head")
    page.get_by_role("link", name="Programme").click()
    ready(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("The key account programme")
    row = page.locator("#kpi-program--retention")
    status = row.locator(".prog-status")
    expect(status).to_have_text("On target")  # every key account still buys: 100% ≥ 95%
    page.screenshot(path=tmp_path / "programme-1440.png", full_page=True)

    row.get_by_label("Target of Retention").fill("100.5")
    row.get_by_role("button", name="Set").click()
    ready(page)
    expect(page.locator("#kpi-program--retention .prog-status")).to_have_text("Off target")
    expect(page.get_by_label("Target of Retention")).to_have_value("100.5")

    page.get_by_role("link", name="Portfolio review").click()
    ready(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF").click()
    path = tmp_path / "review.pdf"
    download.value.save_as(path)
    document = pdfium.PdfDocument(str(path))
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert "Portfolio review" in text
    assert "Retention" in text
    assert "100.5" in text  # the target just set

    narrow = new_context(browser, width=390).new_page()
    sign_in(narrow, live_server, "head")
    for suffix in PAGES:
        goto(narrow, f"{live_server.url}/program/{suffix}")
        overflow = narrow.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        name = suffix.strip("/").replace("/", "-") or "home"
        narrow.screenshot(path=tmp_path / f"program-{name}-390.png")
        assert overflow <= 0, f"/program/{suffix} scrolls sideways by {overflow}px at 390px"
