"""The plan as a shared document: HTML and a PDF whose pages carry the account and sections."""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from kam.plans import export, queries
from kam.plans.models import ReviewKind
from kam.plans.services import (
    do_add_action,
    do_add_objective,
    do_add_risk,
    do_cut_version,
    do_record_review,
    do_set_target,
    do_update_section,
)
from kam.relationships.models import Attitude, Contact, Level, Relationship

SECTION_HEADINGS = (
    "Customer business objectives",
    "Revenue and growth targets",
    "Value proposition",
    "SWOT analysis",
    "PEST analysis",
    "Stakeholder map",
    "Implementation and value realisation",
    "Risk register",
    "Action plan",
)


@pytest.fixture
def full_plan(plan, kam_user, account, today):
    """A plan with every section written, contacts mapped, an overdue action and a review."""
    cpo = Contact.objects.create(
        account=account,
        name="Petra Roth",
        title="Chief Procurement Officer",
        level=Level.EXECUTIVE,
        buying_roles=["decision_maker", "budget_holder"],
        influence=5,
        attitude=Attitude.POSITIVE,
    )
    buyer = Contact.objects.create(
        account=account,
        name="Jonas Weber",
        title="Category Buyer",
        level=Level.MIDDLE_MANAGEMENT,
        buying_roles=["gatekeeper"],
        influence=3,
        reports_to=cpo,
    )
    Relationship.objects.create(contact=buyer, supplier_person=kam_user, strength=4)
    objective = do_add_objective(
        kam_user, plan, "Cut logistics cost per pallet by 8%", "Cost per pallet, quarterly"
    )
    do_add_objective(kam_user, plan, "Open the Poznań hub on time")
    for year, revenue in ((2026, "1200000"), (2027, "1380000"), (2028, "1600000")):
        do_set_target(kam_user, plan, year=year, revenue=Decimal(revenue))
    do_update_section(
        kam_user,
        plan,
        "value_proposition",
        {"text": "The only EU-wide cold chain with a single control tower."},
        expected_revision=0,
    )
    do_update_section(
        kam_user,
        plan,
        "swot",
        {
            "strengths": ["Cold chain"],
            "weaknesses": ["Slow quotes"],
            "opportunities": ["Poznań hub"],
            "threats": ["Price pressure"],
        },
        expected_revision=0,
    )
    do_update_section(
        kam_user,
        plan,
        "pest",
        {
            "political": ["EU packaging rules"],
            "economic": ["Energy prices"],
            "social": ["Driver shortage"],
            "technological": ["Telematics"],
        },
        expected_revision=0,
    )
    do_update_section(
        kam_user,
        plan,
        "implementation",
        {"text": "Pilot in Q3, roll-out in Q1."},
        expected_revision=0,
    )
    do_add_risk(
        kam_user,
        plan,
        risk="Incumbent undercuts on price",
        likelihood=4,
        impact=4,
        mitigation="Total-cost study with the CFO",
        owner=kam_user,
    )
    do_add_action(
        kam_user,
        plan,
        action="Book the cost workshop",
        owner=kam_user,
        due_on=today - timedelta(days=12),
        objective=objective,
    )
    do_add_action(kam_user, plan, action="Site visit", owner=kam_user, due_on=today + timedelta(30))
    do_record_review(
        kam_user,
        plan,
        held_on=today - timedelta(days=20),
        kind=ReviewKind.CO_CREATED,
        reviewers=[kam_user],
        outcome="Targets agreed with the CPO",
        today=today,
        customer_participants="Petra Roth",
    )
    return plan


def _pages_text(pdf: pdfium.PdfDocument) -> list[str]:
    texts = []
    for page in pdf:
        textpage = page.get_textpage()
        texts.append(textpage.get_text_range())
    return texts


def test_html_document_has_every_section_the_charts_and_the_overdue_action(
    full_plan, kam_user, today
):
    html = export.render_plan_html(queries.plan_document(kam_user, full_plan, today))
    for heading in SECTION_HEADINGS:
        assert heading in html
    assert "Nordwind Logistics GmbH" in html
    assert html.count("<svg") >= 2  # the targets chart and the org chart, inline
    assert "<script" not in html.split("</nav>")[-1]
    assert 'class="is-overdue"' in html
    assert "Book the cost workshop" in html


def test_pdf_pages_carry_the_account_and_the_sections(full_plan, kam_user, today, tmp_path):
    document = queries.plan_document(kam_user, full_plan, today)
    pdf_bytes = export.render_plan_pdf(document)
    assert pdf_bytes.startswith(b"%PDF")
    pdf = pdfium.PdfDocument(pdf_bytes)
    assert len(pdf) >= 2
    texts = _pages_text(pdf)
    whole = "\n".join(texts)
    assert "Nordwind Logistics GmbH" in texts[0]
    for heading in SECTION_HEADINGS:
        assert heading in whole, heading
    assert "Petra Roth" in whole  # the live stakeholder map is in it
    # Every page after the cover names the account in its running header.
    assert all("Nordwind Logistics GmbH" in text for text in texts)
    # Render each page to PNG, as a reader would see it; keep them when asked to.
    keep = os.environ.get("KAM_TEST_ARTIFACTS")
    out = Path(keep) if keep else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(pdf, start=1):
        image = page.render(scale=1.4).to_pil()
        assert image.width > 500
        assert image.height > 700
        # A rendered page is not blank: some pixels are far from white.
        assert image.convert("L").getextrema()[0] < 100
        image.save(out / f"plan-page-{number}.png")
    assert (out / "plan-page-1.png").exists()


def test_pdf_of_a_version_shows_the_plan_as_it_was(full_plan, kam_user, today):
    version = do_cut_version(kam_user, full_plan, today=today, note="Before the QBR")
    do_add_objective(kam_user, full_plan, "Added after the version")
    document = queries.version_document(kam_user, version, today)
    whole = "\n".join(_pages_text(pdfium.PdfDocument(export.render_plan_pdf(document))))
    assert "version 1 of 15 june 2026" in whole.lower()
    assert "Added after the version" not in whole
    assert export.file_name(document, "pdf") == (
        f"nordwind-logistics-gmbh-account-plan-v1-{today.isoformat()}.pdf"
    )
