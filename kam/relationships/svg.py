"""The org chart as a self-contained SVG: no script, no external font or stylesheet.

The same string is inlined in the web page and in the plan PDF (WeasyPrint draws SVG), so
what a KAM sees on screen is what the customer team sees on paper. Boxes are coloured by the
contact's attitude towards us and sized by influence; the chips at a box's foot are our
people who know that contact, with the relationship strength (1–5) written next to their
initials and shown by the chip's opacity.
"""

from collections import Counter
from collections.abc import Sequence
from html import escape

from kam.relationships.layout import LayoutNode, TreeLayout, tidy_layout
from kam.relationships.mapping import LEVEL_ORDER, ContactView, RelationshipView

ATTITUDE_COLOURS: dict[int, tuple[str, str, str]] = {
    # attitude: (label, stroke, fill)
    -2: ("Strongly negative", "#b42318", "#fde4e1"),
    -1: ("Negative", "#e0703a", "#fdeede"),
    0: ("Neutral", "#7b8794", "#f1f3f5"),
    1: ("Positive", "#3f9b5a", "#e4f4e8"),
    2: ("Strongly positive", "#17663a", "#cdebd6"),
}
PERSON_COLOURS = (
    "#1f5f8b",
    "#8e44ad",
    "#c27c0e",
    "#0e8a83",
    "#b03a6b",
    "#4d6b1f",
    "#5b4fc4",
    "#7a4b2a",
)
ROLE_ABBREVIATIONS: dict[str, str] = {
    "decision_maker": "DM",
    "budget_holder": "BH",
    "influencer": "INF",
    "gatekeeper": "GK",
    "user": "USR",
    "champion": "CH",
    "detractor": "DET",
}
FONT = "DejaVu Sans, Inter, Segoe UI, Helvetica, Arial, sans-serif"
LEGEND_HEIGHT = 74


def box_size(influence: int) -> tuple[float, float]:
    """A contact's box size in pixels: larger for more influence (1–5)."""
    step = min(max(influence, 1), 5) - 1
    return 150.0 + 10 * step, 54.0 + 4 * step


def chart_order(contacts: Sequence[ContactView]) -> list[ContactView]:
    """Contacts in drawing order: senior first, then more influential, then by name."""
    rank = {level: index for index, level in enumerate(LEVEL_ORDER)}
    ordered = sorted(
        contacts, key=lambda c: (-rank.get(c.level, 0), -c.influence, c.name.casefold())
    )
    # Roots heading bigger trees first, so lone contacts gather on the last shelf.
    parents = {c.id: c.reports_to_id for c in contacts}
    size: Counter[int] = Counter()
    for contact in contacts:
        seen: set[int] = set()
        current: int | None = contact.id
        while current is not None and current in parents and current not in seen:
            seen.add(current)
            root = current
            current = parents[current]
        size[root] += 1
    order = {c.id: index for index, c in enumerate(ordered)}
    return sorted(ordered, key=lambda c: (-size[c.id] if c.id in size else 0, order[c.id]))


def org_chart_layout(contacts: Sequence[ContactView]) -> TreeLayout:
    """The tidy layout of ``contacts`` along their reports-to lines, boxes sized by influence."""
    return tidy_layout(
        [LayoutNode(c.id, c.reports_to_id, *box_size(c.influence)) for c in chart_order(contacts)]
    )


def render_org_chart_svg(
    contacts: Sequence[ContactView],
    relationships: Sequence[RelationshipView],
    *,
    title: str = "Org chart",
) -> str:
    """The org chart of ``contacts`` with our ``relationships`` on it, as one SVG document."""
    if not contacts:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="420" height="60" '
            f'viewBox="0 0 420 60" role="img" aria-label="{escape(title)}">'
            f'<text x="12" y="34" font-family="{FONT}" font-size="13" fill="#52606d">'
            "No contacts mapped yet.</text></svg>"
        )
    layout = org_chart_layout(contacts)
    colours = person_colours(relationships)
    names = {link.person_id: link.person_name for link in relationships}
    legend, legend_width = _legend(colours, names)
    width = max(layout.width, legend_width)
    height = layout.height + LEGEND_HEIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}" '
        f'font-family="{FONT}">',
        f"<title>{escape(title)}</title>",
        legend,
        f'<g transform="translate(0,{LEGEND_HEIGHT})">',
    ]
    for edge in layout.edges:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in edge.points)
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="#9aa5b1" stroke-width="1.4"/>'
        )
    by_contact: dict[int, list[RelationshipView]] = {}
    for link in relationships:
        by_contact.setdefault(link.contact_id, []).append(link)
    contacts_by_id = {c.id: c for c in contacts}
    for node in layout.nodes:
        contact = contacts_by_id[node.id]
        parts.append(
            _contact_box(
                contact,
                node.x,
                node.y,
                node.width,
                node.height,
                by_contact.get(contact.id, []),
                colours,
            )
        )
    parts.append("</g></svg>")
    return "".join(parts)


def person_colours(relationships: Sequence[RelationshipView]) -> dict[int, str]:
    """A colour per supplier person, the busiest first, cycling through the palette."""
    counts = Counter(link.person_id for link in relationships)
    names = {link.person_id: link.person_name for link in relationships}
    ordered = sorted(counts, key=lambda pid: (-counts[pid], names[pid]))
    return {pid: PERSON_COLOURS[index % len(PERSON_COLOURS)] for index, pid in enumerate(ordered)}


def initials(name: str) -> str:
    """Up to two initials of a person's name, e.g. 'LM' for 'Lukas Meier'."""
    words = [word for word in name.replace(".", " ").split() if word]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


def _fit(text: str, width: float, size: float, *, bold: bool = False) -> str:
    """Cut ``text`` to fit ``width`` pixels at font ``size`` (average glyph width estimate)."""
    per_char = size * (0.62 if bold else 0.56)
    limit = max(int(width / per_char), 1)
    return text if len(text) <= limit else text[: max(limit - 1, 1)].rstrip() + "…"


def _contact_box(
    contact: ContactView,
    x: float,
    y: float,
    width: float,
    height: float,
    links: list[RelationshipView],
    colours: dict[int, str],
) -> str:
    label, stroke, fill = ATTITUDE_COLOURS.get(contact.attitude, ATTITUDE_COLOURS[0])
    roles = " · ".join(ROLE_ABBREVIATIONS.get(role, role) for role in contact.buying_roles)
    tooltip = (
        f"{contact.name}, {contact.title or 'no title'} ({contact.level_label}); "
        f"attitude {label.lower()}, influence {contact.influence}/5"
        + (
            f"; roles: {', '.join(r.replace('_', ' ') for r in contact.buying_roles)}"
            if roles
            else ""
        )
    )
    border = 1.2 + 0.5 * (contact.influence - 1)
    out = [
        f'<g class="contact" data-contact-id="{contact.id}">',
        f"<title>{escape(tooltip)}</title>",
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.0f}" height="{height:.0f}" rx="6" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{border:.1f}"/>',
        f'<rect x="{x:.1f}" y="{y:.1f}" width="6" height="{height:.0f}" rx="3" fill="{stroke}"/>',
        f'<text x="{x + 12:.1f}" y="{y + 17:.1f}" font-size="12" font-weight="bold" '
        f'fill="#1f2933">{escape(_fit(contact.name, width - 18, 12, bold=True))}</text>',
        f'<text x="{x + 12:.1f}" y="{y + 31:.1f}" font-size="10" fill="#3e4c59">'
        f"{escape(_fit(contact.title or contact.level_label, width - 18, 10))}</text>",
    ]
    chips_x = x + width - 6
    chip_y = y + height - 18
    for link in sorted(links, key=lambda item: (-item.strength, item.person_name))[:4]:
        text = f"{initials(link.person_name)} {link.strength}"
        chip_width = 8 + 5.6 * len(text)
        chips_x -= chip_width + 3
        opacity = 0.4 + 0.15 * (min(max(link.strength, 1), 5) - 1)
        out.append(
            f"<g><title>{escape(link.person_name)} knows {escape(contact.name)}: strength "
            f"{link.strength}/5</title>"
            f'<rect x="{chips_x:.1f}" y="{chip_y:.1f}" width="{chip_width:.1f}" height="13" '
            f'rx="6.5" fill="{colours.get(link.person_id, PERSON_COLOURS[0])}" '
            f'fill-opacity="{opacity:.2f}"/>'
            f'<text x="{chips_x + chip_width / 2:.1f}" y="{chip_y + 9.6:.1f}" font-size="9" '
            f'font-weight="bold" fill="#ffffff" text-anchor="middle">{escape(text)}</text></g>'
        )
    if len(links) > 4:
        chips_x -= 16
        out.append(
            f'<text x="{chips_x:.1f}" y="{chip_y + 10:.1f}" font-size="9" fill="#3e4c59">'
            f"+{len(links) - 4}</text>"
        )
    if roles:
        room = chips_x - (x + 12) - 4
        out.append(
            f'<text x="{x + 12:.1f}" y="{y + height - 8:.1f}" font-size="9" '
            f'fill="#52606d">{escape(_fit(roles, room, 9))}</text>'
        )
    out.append("</g>")
    return "".join(out)


def _legend(colours: dict[int, str], names: dict[int, str]) -> tuple[str, float]:
    """The key above the chart, and the width it needs."""
    out = ['<g class="legend" font-size="10" fill="#3e4c59">']
    out.append('<text x="12" y="14" font-weight="bold">Attitude towards us</text>')
    x = 12.0
    for attitude in sorted(ATTITUDE_COLOURS):
        label, stroke, fill = ATTITUDE_COLOURS[attitude]
        out.append(
            f'<rect x="{x:.0f}" y="20" width="14" height="11" rx="2" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="1.5"/>'
            f'<text x="{x + 18:.0f}" y="29">{escape(label)}</text>'
        )
        x += 30 + 6.4 * len(label)
    size_note = "Box size and border: influence 1–5"
    out.append(f'<text x="{x + 6:.0f}" y="29">{size_note}</text>')
    widest = x + 12 + 6.4 * len(size_note)
    out.append('<text x="12" y="48" font-weight="bold">Our people (strength 1–5)</text>')
    x = 204.0  # clear of the bold heading, which runs to about x = 195
    if not colours:
        out.append(f'<text x="{x:.0f}" y="48">No relationship mapped</text>')
    for pid, colour in colours.items():
        name = names[pid]
        out.append(
            f'<rect x="{x:.0f}" y="39" width="24" height="12" rx="6" fill="{colour}"/>'
            f'<text x="{x + 12:.0f}" y="48" font-size="8" font-weight="bold" fill="#ffffff" '
            f'text-anchor="middle">{escape(initials(name))}</text>'
            f'<text x="{x + 28:.0f}" y="48">{escape(name)}</text>'
        )
        x += 44 + 6.4 * len(name)
    widest = max(widest, x)
    roles = (
        "Roles: DM decision maker · BH budget holder · INF influencer · GK gatekeeper · "
        "USR user · CH champion · DET detractor"
    )
    out.append(f'<text x="12" y="66">{roles}</text>')
    widest = max(widest, 24 + 6.4 * len(roles))  # 6.0 cut "detractor" short in Chromium
    out.append("</g>")
    return "".join(out), widest
