"""The relationship model and the risk flags, read from maps built by hand."""

from datetime import date, timedelta

import pytest

from kam.relationships.mapping import (
    ContactView,
    RelationshipModel,
    RelationshipView,
    RiskKind,
    classify_model,
    coverage_by_level,
    risk_flags,
    would_create_cycle,
)

TODAY = date(2026, 6, 15)
CEO = ContactView(1, "Anna Berg", level="executive", buying_roles=("decision_maker",))
CFO = ContactView(
    2, "Lars Vos", level="executive", buying_roles=("budget_holder",), reports_to_id=1
)
BUYER = ContactView(3, "Mia Lund", level="middle_management", buying_roles=("gatekeeper",))
ENGINEER = ContactView(4, "Noah Sato", level="operational", buying_roles=("user",), reports_to_id=3)
PLANNER = ContactView(5, "Ida Kaya", level="operational", buying_roles=("user",), reports_to_id=3)
CONTACTS = (CEO, CFO, BUYER, ENGINEER, PLANNER)


def link(contact: ContactView, person: int, strength: int = 3, when: date | None = None):
    names = {10: "Kim Keller", 11: "Sara Sponsor", 12: "Tom Tech"}
    return RelationshipView(contact.id, person, names[person], strength, when)


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        pytest.param((), RelationshipModel.NONE, id="no relationship at all"),
        pytest.param((link(BUYER, 10),), RelationshipModel.BOW_TIE, id="one person, one buyer"),
        pytest.param(
            (link(BUYER, 10), link(BUYER, 11)),
            RelationshipModel.BOW_TIE,
            id="two of us, still one buyer",
        ),
        pytest.param(
            (link(BUYER, 10), link(CEO, 10), link(ENGINEER, 10)),
            RelationshipModel.ONE_ON_MANY,
            id="one person, many contacts at many levels",
        ),
        pytest.param(
            (link(ENGINEER, 10), link(PLANNER, 11)),
            RelationshipModel.ONE_ON_MANY,
            id="a team, but one level only",
        ),
        pytest.param(
            (link(CEO, 11), link(BUYER, 10), link(ENGINEER, 12)),
            RelationshipModel.DIAMOND,
            id="a team meeting counterparts at three levels",
        ),
        pytest.param(
            (link(CEO, 11), link(BUYER, 10)),
            RelationshipModel.DIAMOND,
            id="smallest diamond: two people, two levels",
        ),
        pytest.param(
            (RelationshipView(99, 10, "Kim Keller"),),
            RelationshipModel.NONE,
            id="a link to a contact outside the map is ignored",
        ),
    ],
)
def test_relationship_model_is_read_from_the_map(links, expected) -> None:
    assert classify_model(CONTACTS, links) is expected


def test_an_account_without_contacts_has_no_model_and_no_flags() -> None:
    assert classify_model((), ()) is RelationshipModel.NONE
    assert risk_flags((), (), today=TODAY) == ()


def kinds(flags) -> list[RiskKind]:
    return [flag.kind for flag in flags]


def test_one_person_holding_every_relationship_is_single_threaded() -> None:
    flags = risk_flags(CONTACTS, (link(CEO, 10), link(BUYER, 10)), today=TODAY)
    assert kinds(flags) == [RiskKind.SINGLE_THREADED]
    assert "when the account manager moves on, the partnership is at risk" in flags[0].message
    assert flags[0].contact_ids == (1, 3)


def test_a_second_person_removes_the_single_thread() -> None:
    flags = risk_flags(CONTACTS, (link(CEO, 10), link(BUYER, 11)), today=TODAY)
    assert RiskKind.SINGLE_THREADED not in kinds(flags)


@pytest.mark.parametrize(
    ("links", "flagged"),
    [
        pytest.param((link(BUYER, 10), link(ENGINEER, 11)), True, id="only below the deciders"),
        pytest.param((), True, id="nobody known at all"),
        pytest.param((link(CEO, 10), link(BUYER, 11)), False, id="decision maker known"),
        pytest.param((link(CFO, 10), link(BUYER, 11)), False, id="budget holder known"),
    ],
)
def test_no_access_to_a_decision_maker_or_budget_holder(links, flagged) -> None:
    flags = risk_flags(CONTACTS, links, today=TODAY)
    assert (RiskKind.NO_DECISION_MAKER_ACCESS in kinds(flags)) is flagged


def test_a_map_without_any_decision_maker_says_so() -> None:
    flags = risk_flags((BUYER, ENGINEER), (link(BUYER, 10), link(ENGINEER, 11)), today=TODAY)
    (flag,) = [f for f in flags if f.kind is RiskKind.NO_DECISION_MAKER_ACCESS]
    assert flag.message == "No decision maker or budget holder is mapped at this customer."


@pytest.mark.parametrize(
    ("days_ago", "flagged"),
    [(0, False), (89, False), (90, True), (91, True), (400, True)],
)
def test_a_champion_not_contacted_for_90_days_is_flagged(days_ago, flagged) -> None:
    champion = ContactView(
        7, "Greta Moreau", buying_roles=("champion",), last_contact_date=TODAY - timedelta(days_ago)
    )
    links = (link(CEO, 10), link(CEO, 11))
    flags = risk_flags((CEO, champion), links, today=TODAY)
    assert (RiskKind.STALE_CHAMPION in kinds(flags)) is flagged


@pytest.mark.parametrize(("policy", "flagged"), [(30, True), (31, False)])
def test_the_stale_champion_policy_is_a_setting(policy, flagged) -> None:
    champion = ContactView(
        7, "Greta", buying_roles=("champion",), last_contact_date=date(2026, 5, 16)
    )
    flags = risk_flags((champion,), (), today=TODAY, champion_stale_days=policy)
    assert (RiskKind.STALE_CHAMPION in kinds(flags)) is flagged


def test_a_recent_interaction_of_ours_counts_as_contact() -> None:
    champion = ContactView(
        7, "Greta", buying_roles=("champion",), last_contact_date=date(2025, 1, 1)
    )
    recent = RelationshipView(7, 10, "Kim Keller", 4, TODAY - timedelta(days=5))
    assert RiskKind.STALE_CHAMPION not in kinds(risk_flags((champion,), (recent,), today=TODAY))


def test_a_champion_never_contacted_is_flagged() -> None:
    champion = ContactView(7, "Greta", buying_roles=("champion",))
    (flag,) = [f for f in risk_flags((champion,), (), today=TODAY) if f.contact_ids == (7,)]
    assert flag.kind is RiskKind.STALE_CHAMPION
    assert "never" in flag.message


@pytest.mark.parametrize(("influence", "flagged"), [(3, False), (4, True), (5, True)])
def test_a_detractor_with_high_influence_is_flagged(influence, flagged) -> None:
    detractor = ContactView(8, "Viktor Novak", buying_roles=("detractor",), influence=influence)
    flags = risk_flags((CEO, detractor), (link(CEO, 10), link(CEO, 11)), today=TODAY)
    assert (RiskKind.INFLUENTIAL_DETRACTOR in kinds(flags)) is flagged


def test_coverage_counts_reached_contacts_per_level_top_first() -> None:
    rows = coverage_by_level(CONTACTS, (link(CEO, 11), link(ENGINEER, 10), link(ENGINEER, 12)))
    assert [(r.level, r.contacts, r.reached, r.people) for r in rows] == [
        ("executive", 2, 1, ("Sara Sponsor",)),
        ("senior", 0, 0, ()),
        ("middle_management", 1, 0, ()),
        ("operational", 2, 1, ("Kim Keller", "Tom Tech")),
    ]


@pytest.mark.parametrize(
    ("contact", "manager", "loop"),
    [
        (4, 3, False),  # already so
        (3, 4, True),  # the buyer would report to their own report
        (1, 2, True),  # CEO under CFO, who reports to the CEO
        (1, 1, True),  # oneself
        (None, 1, False),  # a new contact cannot close a loop
        (3, None, False),
    ],
)
def test_reporting_loops_are_detected(contact, manager, loop) -> None:
    parents = {c.id: c.reports_to_id for c in CONTACTS}
    assert would_create_cycle(parents, contact, manager) is loop
