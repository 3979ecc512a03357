"""Seed 003's KAM implementation checklist as a programme self-assessment: each item
answered yes, partly or no with its evidence and an owner; the post-launch items the data
can answer are pre-filled from it (``measured.post_launch_answers``); a maturity score —
yes 1, partly ½, no or unanswered 0 (the other way round for the one warning sign, cost to
serve outgrowing revenue), over every item — and its course over time, replayed
from the answers as they were given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Phase(StrEnum):
    """When in the programme's life the item is asked."""

    PRE_LAUNCH = "pre_launch"
    POST_LAUNCH = "post_launch"


@dataclass(frozen=True)
class Item:
    """One checklist item, in the seed's words; ``measured_by`` names the post-launch
    question of ``measured`` that answers it from the data, if any."""

    key: str
    phase: Phase
    text: str
    measured_by: str = ""
    good: str = "yes"
    """The answer that shows a mature programme: "no" where the item names a warning sign."""


PRE, POST = Phase.PRE_LAUNCH, Phase.POST_LAUNCH
ITEMS: tuple[Item, ...] = (
    Item("senior_buy_in", PRE, "Our senior managers have really bought in to KAM"),
    Item("selection_criteria", PRE, "We have defined selection criteria for key accounts"),
    Item("key_accounts_identified", PRE,
         "We have clearly identified our key accounts as separate from other accounts"),
    Item("account_plans", PRE, "We have individual account plans"),
    Item("kam_champion", PRE, "We have someone who is the KAM champion within our company"),
    Item("specialist_managers", PRE, "We have appointed specialist key account managers"),
    Item("trained_managers", PRE, "We have fully trained key account managers"),
    Item("specific_targets", PRE, "We have specific targets for key accounts"),
    Item("kam_teams", PRE, "We have KAM teams that deal with individual accounts"),
    Item("reward_schemes", PRE,
         "We have developed specific motivation and reward schemes for KAM"),
    Item("feedback_processes", PRE,
         "We have well-developed feedback processes with key customers"),
    Item("top_management_involved", PRE,
         "The top management in the company have an active involvement in Key Accounts"),
    Item("structure_changed", PRE, "We have changed our organization structure to accommodate KAM"),
    Item("benchmarking", PRE, "We benchmark against other organizations about KAM"),
    Item("policies", PRE,
         "We have established specialized policies and procedures for handling key accounts"),
    Item("pilot", PRE, "We have completed a pilot with a few accounts to test the KAM model"),
    Item("internal_resources", PRE, "Our KAM managers have good access to internal resources"),
    Item("higher_service", PRE,
         "Our key accounts have higher service levels than non-key accounts"),
    Item("joint_activities", PRE,
         "We have joint activities with key accounts (e.g. process improvement)"),
    Item("joint_investment", PRE,
         "We have joint investment in relationship between supplier and key account"),
    Item("measure_performance", PRE, "We measure the performance of our KAM program"),
    Item("it_support", PRE, "We have IT support systems for our KAM program"),
    Item("everyone_educated", PRE,
         "Everyone in our organization is educated to understand the KAM program"),
    Item("share_of_spend", POST, "We have increased our share of key customers' spend",
         "share_of_wallet"),
    Item("revenue_faster", POST, "Revenues from key customers have grown faster than revenues "
         "from non-key customers", "revenue_faster"),
    Item("cost_to_serve_faster", POST,
         "Costs to serve key customers have grown faster than their revenue",
         "cost_to_serve_faster", good="no"),
    Item("margins_up", POST, "The profit margins on key customers have increased", "margins_up"),
    Item("relationships_improved", POST, "Our relationships with key customers have improved"),
    Item("satisfaction_up", POST,
         "Our customer satisfaction ratings with key customers have gone up", "satisfaction_up"),
    Item("retention_improved", POST, "Our retention of key customers has improved",
         "retention_improved"),
    Item("advocacy", POST, "We have obtained increased advocacy (word of mouth recommendation) "
         "from our key accounts"),
    Item("shared_investment", POST, "The amount of shared investment (e.g. joint projects or "
         "shared innovation) with key accounts has increased"),
)  # fmt: skip
ITEMS_BY_KEY: dict[str, Item] = {item.key: item for item in ITEMS}


def points(item: Item, answer: str) -> float:
    """What an answer adds to the maturity score: 1 for the item's good answer (yes, or no
    for a warning sign), ½ for partly, 0 for the other answer or none."""
    if answer == "partly":
        return 0.5
    return 1.0 if answer == item.good else 0.0


def maturity(answers: Mapping[str, str], items: Iterable[Item] = ITEMS) -> float:
    """The maturity score, 0–100: the points of the answers over every item."""
    listed = list(items)
    if not listed:
        return 0.0
    return 100 * sum(points(item, answers.get(item.key, "")) for item in listed) / len(listed)


def maturity_over_time(
    history: Iterable[tuple[datetime, str, str]], items: Iterable[Item] = ITEMS
) -> list[tuple[datetime, float]]:
    """The score after each answer of ``history`` — (when, item, answer), oldest first —
    each item counting as its latest answer then."""
    listed = list(items)
    current: dict[str, str] = {}
    course = []
    for when, item, answer in history:
        current[item] = answer
        course.append((when, maturity(current, listed)))
    return course
