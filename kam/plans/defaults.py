"""The plan templates kam starts with, one per alignment level (seed 003).

The deeper the alignment, the more the plan must say: a Vendor plan is targets, actions and
risks; a Partner plan is the whole document, written with the customer. The prompts carry
the seed's value and risk perspectives for the level. The Head of KAM edits them in the app;
these are only the starting point (loaded by migration 0002 and used when a row is missing).
"""

from kam.plans.sections import SECTIONS, SectionKey
from kam.relationships.models import AlignmentLevel

_K = SectionKey

DEFAULT_REQUIRED: dict[str, tuple[SectionKey, ...]] = {
    AlignmentLevel.VENDOR: (_K.OBJECTIVES, _K.TARGETS, _K.RISKS, _K.ACTIONS),
    AlignmentLevel.PREFERRED_PROVIDER: (_K.OBJECTIVES, _K.TARGETS, _K.SWOT, _K.RISKS, _K.ACTIONS),
    AlignmentLevel.BUSINESS_CONSULTANT: (
        _K.OBJECTIVES,
        _K.TARGETS,
        _K.VALUE_PROPOSITION,
        _K.SWOT,
        _K.PEST,
        _K.STAKEHOLDERS,
        _K.RISKS,
        _K.ACTIONS,
    ),
    # A partner also orchestrates value realisation with the customer (seed 003).
    AlignmentLevel.PARTNER: tuple(spec.key for spec in SECTIONS),
}

_LEVEL_PROMPTS: dict[str, dict[SectionKey, str]] = {
    AlignmentLevel.VENDOR: {
        _K.TARGETS: "Current share of wallet and the revenue we expect to keep and add.",
        _K.RISKS: "Anecdotal signs of competitive encroachment; what protects current volume.",
    },
    AlignmentLevel.PREFERRED_PROVIDER: {
        _K.TARGETS: "Current share of wallet and its predicted growth, year by year.",
        _K.VALUE_PROPOSITION: "The value-added services that set us apart from other suppliers.",
        _K.RISKS: "Current share of wallet at risk: extended contracts, preferred pricing, "
        "executive outreach.",
        _K.IMPLEMENTATION: "Hand-off to operations and fulfilment: who delivers what.",
    },
    AlignmentLevel.BUSINESS_CONSULTANT: {
        _K.TARGETS: "Future share of wallet and customer lifetime value over the horizon.",
        _K.VALUE_PROPOSITION: "The value proposition crafted for and offered to the customer.",
        _K.PEST: "A comprehensive analysis of the trends that will change their buying.",
        _K.RISKS: "The customer relationship and its lifetime value: switching costs, "
        "integration, top-to-top engagement.",
        _K.IMPLEMENTATION: "Value-adding oversight of operational execution.",
    },
    AlignmentLevel.PARTNER: {
        _K.TARGETS: "Wallet dynamics of the extended value network; mutual targets.",
        _K.VALUE_PROPOSITION: "The business case jointly developed and validated with the "
        "customer.",
        _K.PEST: "Dynamics of the whole value network that could affect both businesses.",
        _K.RISKS: "A joint, fully transparent examination of network-wide vulnerabilities; "
        "shared governance over interventions.",
        _K.IMPLEMENTATION: "Marshalling resources and orchestrating activity internally and "
        "externally.",
    },
}


def default_prompts(level: str) -> dict[str, str]:
    """The starting prompt per section key for ``level``: the seed's wording where it has one."""
    specific = _LEVEL_PROMPTS.get(level, {})
    return {spec.key.value: specific.get(spec.key, spec.default_prompt) for spec in SECTIONS}


def default_required(level: str) -> list[str]:
    """The section keys a plan at ``level`` must fill, in document order."""
    return [key.value for key in DEFAULT_REQUIRED[level]]
