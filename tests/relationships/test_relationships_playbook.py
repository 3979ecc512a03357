"""Seed 003 as data: every level has its role and playbook, and the vocabularies agree."""

import pytest

from kam.relationships.mapping import (
    ATTITUDE_LABELS,
    BUYING_ROLE_LABELS,
    LEVEL_LABELS,
    LEVEL_ORDER,
    RelationshipModel,
)
from kam.relationships.models import AlignmentLevel, Attitude, BuyingRole, Level
from kam.relationships.playbook import ALIGNMENT_PROFILES, RELATIONSHIP_MODEL_PROFILES


@pytest.mark.parametrize(
    ("level", "role"),
    [
        (AlignmentLevel.VENDOR, "Account Manager"),
        (AlignmentLevel.PREFERRED_PROVIDER, "Account Manager Plus"),
        (AlignmentLevel.BUSINESS_CONSULTANT, "Key Account Manager"),
        (AlignmentLevel.PARTNER, "Strategic Account Manager"),
    ],
)
def test_each_alignment_level_has_the_seed_role(level, role) -> None:
    profile = ALIGNMENT_PROFILES[level.value]
    assert (profile.label, profile.role) == (level.label, role)


@pytest.mark.parametrize(
    "level",
    [AlignmentLevel.PREFERRED_PROVIDER, AlignmentLevel.BUSINESS_CONSULTANT, AlignmentLevel.PARTNER],
)
def test_levels_above_vendor_carry_the_seven_perspectives(level) -> None:
    names = [p.name for p in ALIGNMENT_PROFILES[level.value].perspectives]
    assert names == [
        "Value Focus",
        "Value Identification",
        "Value Specification",
        "Value Realization",
        "Risk Focus",
        "Risk Assessment",
        "Risk Reduction",
    ]


def test_vendor_has_no_invented_playbook() -> None:
    vendor = ALIGNMENT_PROFILES["vendor"]
    assert vendor.perspectives == ()
    assert (
        "covers Preferred Provider, Business Consultant and Partner only"
        in vendor.perspectives_note
    )


def test_every_relationship_model_has_a_description() -> None:
    assert set(RELATIONSHIP_MODEL_PROFILES) == {model.value for model in RelationshipModel}
    bow_tie = RELATIONSHIP_MODEL_PROFILES["bow_tie"].points
    assert bow_tie[-1] == (
        "Over-reliance on one relationship. When the account manager moves on, the "
        "partnership is at risk."
    )


def test_the_pure_vocabularies_match_the_model_choices() -> None:
    assert tuple(Level.values) == LEVEL_ORDER
    assert dict(Level.choices) == LEVEL_LABELS
    assert dict(Attitude.choices) == ATTITUDE_LABELS
    assert dict(BuyingRole.choices) == BUYING_ROLE_LABELS
