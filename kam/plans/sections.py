"""The sections of an account plan (seed 002 "Clear account plans", seed 003 "Account
Planning"): what each one holds and how the form and the completeness check read it.

Kept apart from the models so that templates, forms, services and the demo share one list.
"""

from dataclasses import dataclass
from enum import StrEnum


class SectionKey(StrEnum):
    """One section of an account plan, in the order the document shows them."""

    OBJECTIVES = "objectives"
    TARGETS = "targets"
    VALUE_PROPOSITION = "value_proposition"
    SWOT = "swot"
    PEST = "pest"
    STAKEHOLDERS = "stakeholders"
    IMPLEMENTATION = "implementation"
    RISKS = "risks"
    ACTIONS = "actions"


class SectionKind(StrEnum):
    """How a section's content is kept."""

    TEXT = "text"  # free text, one PlanSection row, optimistic locking
    LISTS = "lists"  # named lists (SWOT, PEST), one PlanSection row, optimistic locking
    ROWS = "rows"  # its own table: objectives, targets, risks, actions
    LIVE = "live"  # read live from another app (the stakeholder map)


@dataclass(frozen=True)
class SectionSpec:
    """What a section is called, how it is kept and, for list sections, its named lists."""

    key: SectionKey
    title: str
    kind: SectionKind
    parts: tuple[tuple[str, str], ...] = ()
    default_prompt: str = ""


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        SectionKey.OBJECTIVES,
        "Customer business objectives",
        SectionKind.ROWS,
        default_prompt="What is the customer trying to achieve in the next one to three years?",
    ),
    SectionSpec(
        SectionKey.TARGETS,
        "Revenue and growth targets",
        SectionKind.ROWS,
        default_prompt="Our revenue target for each year of the horizon, and the growth it means.",
    ),
    SectionSpec(
        SectionKey.VALUE_PROPOSITION,
        "Value proposition",
        SectionKind.TEXT,
        default_prompt="Why should this customer choose us, in their terms, for their objectives?",
    ),
    SectionSpec(
        SectionKey.SWOT,
        "SWOT analysis",
        SectionKind.LISTS,
        parts=(
            ("strengths", "Strengths"),
            ("weaknesses", "Weaknesses"),
            ("opportunities", "Opportunities"),
            ("threats", "Threats"),
        ),
        default_prompt="Our position at this account: one point per line in each quadrant.",
    ),
    SectionSpec(
        SectionKey.PEST,
        "PEST analysis",
        SectionKind.LISTS,
        parts=(
            ("political", "Political"),
            ("economic", "Economic"),
            ("social", "Social"),
            ("technological", "Technological"),
        ),
        default_prompt="Trends in the customer's environment that will change what they buy.",
    ),
    SectionSpec(
        SectionKey.STAKEHOLDERS,
        "Stakeholder map",
        SectionKind.LIVE,
        default_prompt="Who decides, who pays, who influences — and who on our side knows them.",
    ),
    SectionSpec(
        SectionKey.IMPLEMENTATION,
        "Implementation and value realisation",
        SectionKind.TEXT,
        default_prompt="How the value we promise is delivered and measured, step by step.",
    ),
    SectionSpec(
        SectionKey.RISKS,
        "Risk register",
        SectionKind.ROWS,
        default_prompt="What could cost us the account or the growth, and what we do about it.",
    ),
    SectionSpec(
        SectionKey.ACTIONS,
        "Action plan",
        SectionKind.ROWS,
        default_prompt="Who does what by when, each action tied to a customer objective.",
    ),
)

SECTION_BY_KEY: dict[str, SectionSpec] = {spec.key.value: spec for spec in SECTIONS}
EDITABLE_SECTIONS = tuple(
    spec for spec in SECTIONS if spec.kind in (SectionKind.TEXT, SectionKind.LISTS)
)


def empty_content(spec: SectionSpec) -> dict[str, object]:
    """The stored content of a section nobody has written yet."""
    if spec.kind is SectionKind.LISTS:
        return {name: [] for name, _ in spec.parts}
    return {"text": ""}


def is_filled(spec: SectionSpec, content: dict[str, object]) -> bool:
    """Whether a text or list section says something: text present, or every list non-empty.

    A SWOT with no threats is not finished — that is the quadrant people skip.
    """
    if spec.kind is SectionKind.LISTS:
        return all(content.get(name) for name, _ in spec.parts)
    return bool(str(content.get("text", "")).strip())
