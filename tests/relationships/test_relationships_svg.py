"""The org chart SVG: one self-contained document for the page and the plan PDF."""

import xml.etree.ElementTree as ET
from datetime import date

import pypdfium2
import pytest
import weasyprint

from kam.relationships.mapping import ContactView, RelationshipView
from kam.relationships.queries import org_chart_svg
from kam.relationships.services import do_add_contact, do_link_relationship
from kam.relationships.svg import ATTITUDE_COLOURS, box_size, initials, render_org_chart_svg

SVG = "{http://www.w3.org/2000/svg}"
BOSS = ContactView(1, "Anna <Berg> & Co", title="CEO", level="executive", influence=5, attitude=2,
                   buying_roles=("decision_maker",))  # fmt: skip
BUYER = ContactView(2, "Jan Vos", title="Buyer", influence=1, attitude=-2, reports_to_id=1)
LINKS = (
    RelationshipView(1, 10, "Sara Sponsor", 5, date(2026, 6, 1)),
    RelationshipView(2, 11, "Kim Keller", 2),
)


def contact_group(root: ET.Element, contact_id: int) -> ET.Element:
    return next(g for g in root.iter(f"{SVG}g") if g.get("data-contact-id") == str(contact_id))


def test_the_svg_is_well_formed_and_has_no_script() -> None:
    text = render_org_chart_svg((BOSS, BUYER), LINKS)
    root = ET.fromstring(text)  # raises on malformed XML, e.g. an unescaped "<" in a name
    assert root.tag == f"{SVG}svg"
    assert "script" not in text
    assert "http" not in text.replace("http://www.w3.org/2000/svg", "")  # nothing fetched


def test_boxes_are_coloured_by_attitude_and_sized_by_influence() -> None:
    root = ET.fromstring(render_org_chart_svg((BOSS, BUYER), LINKS))
    boss_box = contact_group(root, 1).find(f"{SVG}rect")
    buyer_box = contact_group(root, 2).find(f"{SVG}rect")
    assert boss_box is not None
    assert buyer_box is not None
    assert boss_box.get("stroke") == ATTITUDE_COLOURS[2][1]
    assert buyer_box.get("stroke") == ATTITUDE_COLOURS[-2][1]
    assert float(boss_box.get("width", 0)) > float(buyer_box.get("width", 0))
    assert box_size(5) > box_size(1)


def test_our_people_are_drawn_on_the_contacts_they_know_with_strength() -> None:
    root = ET.fromstring(render_org_chart_svg((BOSS, BUYER), LINKS))
    boss_text = "".join(contact_group(root, 1).itertext())
    buyer_text = "".join(contact_group(root, 2).itertext())
    assert "SS 5" in boss_text
    assert "Sara Sponsor knows Anna <Berg> & Co: strength 5/5" in boss_text
    assert "KK 2" in buyer_text
    assert "SS" not in buyer_text
    legend = "".join(next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend").itertext())
    assert "Sara Sponsor" in legend
    assert "Kim Keller" in legend


@pytest.mark.parametrize(
    ("name", "expected"), [("Lukas Meier", "LM"), ("kim", "KI"), ("Anna M. de Vries", "AV")]
)
def test_initials(name, expected) -> None:
    assert initials(name) == expected


def test_an_empty_map_says_so() -> None:
    assert "No contacts mapped yet." in render_org_chart_svg((), ())


@pytest.mark.django_db
def test_the_svg_prints_in_a_weasyprint_pdf(kam_user, sponsor, account) -> None:
    ceo = do_add_contact(kam_user, account, name="Anna Berg", level="executive", influence=5)
    buyer = do_add_contact(kam_user, account, name="Jan Vos", reports_to=ceo)
    do_link_relationship(kam_user, ceo, sponsor, strength=4)
    do_link_relationship(kam_user, buyer, kam_user, strength=2)
    html = f"<h1>{account.name}</h1>{org_chart_svg(account)}"
    pdf = weasyprint.HTML(string=html).write_pdf()
    document = pypdfium2.PdfDocument(pdf)
    text = document[0].get_textpage().get_text_range()
    assert "Anna Berg" in text
    assert "Jan Vos" in text
    image = document[0].render(scale=0.5).to_pil().convert("L")
    assert image.getextrema()[0] < 128  # something dark was drawn, not a blank page
