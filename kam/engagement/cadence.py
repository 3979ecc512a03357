"""The cadence policy and the due dates it sets: how often each tier of key account must meet
(seed 002: QBRs to assess performance, executive business reviews to strengthen senior
relationships), and, for one account, when its next touchpoints are due.

Pure rules, no database: ``kam.engagement.queries`` gathers each account's history and asks
``touchpoints``. Every date counts from ``today``, which the caller passes in, so a test
decides the day.

How a due date is set, per rule of the account's tier (e.g. "a QBR every 90 days"):

- from the last held engagement that meets the rule — a QBR rule is met by a QBR or an
  executive business review (which covers the quarter's business too); a rule "with the
  sponsor present" only by one the account's executive sponsor attended — plus the interval;
- with none held yet, from the day the account became a key account plus the interval;
- a change of tier (a newly published selection cycle) applies the new tier's rules to the
  same history at once — a demotion moves the due date out, a promotion in — but never
  makes a touchpoint overdue for the days before the change: at the earliest it falls due on
  the day the new tier was published.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from kam.engagement.models import EngagementKind
from kam.selection.models import TierChoice

KEY_TIERS = (
    TierChoice.TIER_1.value,
    TierChoice.TIER_2.value,
    TierChoice.TIER_3.value,
    TierChoice.HIGH_POTENTIAL.value,
)
TIER_LABELS = dict(TierChoice.choices)
KIND_LABELS = dict(EngagementKind.choices)
SHORT_KIND = {
    EngagementKind.QBR.value: "QBR",
    EngagementKind.EXECUTIVE_REVIEW.value: "Executive review",
}
MIN_DAYS, MAX_DAYS = 7, 730
DUE_SOON_DAYS = 14
"""A touchpoint due within this many days is shown as coming up."""


@dataclass(frozen=True)
class CadenceRule:
    """One touchpoint a tier owes: ``kind`` at least every ``every_days`` days, with the
    account's executive sponsor present when ``with_sponsor``."""

    tier: str
    kind: str
    every_days: int
    with_sponsor: bool = False

    @property
    def kind_label(self) -> str:
        return SHORT_KIND.get(self.kind, KIND_LABELS.get(self.kind, self.kind))

    def describe(self) -> str:
        """The rule in words: "Executive review every 182 days, with the sponsor present"."""
        words = f"{self.kind_label} every {self.every_days} days"
        return words + (", with the sponsor present" if self.with_sponsor else "")

    def as_json(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "kind": self.kind,
            "every_days": self.every_days,
            "with_sponsor": self.with_sponsor,
        }


DEFAULT_RULES: tuple[CadenceRule, ...] = (
    CadenceRule(TierChoice.TIER_1.value, EngagementKind.QBR.value, 90),
    CadenceRule(TierChoice.TIER_1.value, EngagementKind.EXECUTIVE_REVIEW.value, 182, True),
    CadenceRule(TierChoice.TIER_2.value, EngagementKind.QBR.value, 120),
    CadenceRule(TierChoice.TIER_3.value, EngagementKind.QBR.value, 180),
    # The high-potential track (seed 002) is worked like Tier 2 until it proves itself.
    CadenceRule(TierChoice.HIGH_POTENTIAL.value, EngagementKind.QBR.value, 120),
)
"""Tier 1: a QBR every 90 days and an executive review twice a year with the sponsor
present; Tier 2: a QBR every 120 days; Tier 3: every 180; high potential: every 120."""

COVERS: dict[str, frozenset[str]] = {
    EngagementKind.QBR.value: frozenset(
        {EngagementKind.QBR.value, EngagementKind.EXECUTIVE_REVIEW.value}
    ),
}
"""The kinds of held engagement that meet a rule of a kind (any other kind: itself)."""


def meeting_kinds(kind: str) -> frozenset[str]:
    """The kinds of engagement that meet a rule asking for ``kind``."""
    return COVERS.get(kind, frozenset({kind}))


class RuleProblem(ValueError):
    """A cadence policy the rules refuse; ``problems`` names each, by rule."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


def check_rules(rules: Iterable[CadenceRule]) -> tuple[CadenceRule, ...]:
    """``rules`` in tier and kind order, or ``RuleProblem`` naming every bad one."""
    problems, seen = [], set()
    checked = list(rules)
    for number, rule in enumerate(checked, start=1):
        where = f"rule {number}"
        if rule.tier not in KEY_TIERS:
            problems.append(f"{where}: {rule.tier!r} is not a key-account tier")
        if rule.kind not in KIND_LABELS:
            problems.append(f"{where}: {rule.kind!r} is not a kind of engagement")
        if not MIN_DAYS <= rule.every_days <= MAX_DAYS:
            problems.append(
                f"{where}: every {rule.every_days} days is outside {MIN_DAYS}–{MAX_DAYS} days"
            )
        if (rule.tier, rule.kind) in seen:
            label = TIER_LABELS.get(rule.tier, rule.tier)
            problems.append(f"{where}: {label} has a {rule.kind_label} rule already")
        seen.add((rule.tier, rule.kind))
    if problems:
        raise RuleProblem(problems)
    return tuple(sorted(checked, key=lambda r: (KEY_TIERS.index(r.tier), r.kind)))


def rules_from_json(stored: Iterable[Mapping[str, Any]]) -> tuple[CadenceRule, ...]:
    """Rules as a policy version stores them."""
    return tuple(
        CadenceRule(
            tier=str(item["tier"]),
            kind=str(item["kind"]),
            every_days=int(item["every_days"]),
            with_sponsor=bool(item.get("with_sponsor", False)),
        )
        for item in stored
    )


@dataclass(frozen=True)
class AccountHistory:
    """What the cadence needs to know about one key account.

    ``last_held`` and ``last_with_sponsor`` give, per kind, the latest held engagement (the
    latter: one its executive sponsor attended); ``planned`` the earliest planned one from
    today on. ``tier_changed_on`` is the day the current tier was published when the
    account came from another key tier (None when it entered the programme in it).
    """

    tier: str
    key_since: date
    tier_changed_on: date | None = None
    last_held: Mapping[str, date] | None = None
    last_with_sponsor: Mapping[str, date] | None = None
    planned: Mapping[str, date] | None = None


class TouchpointState(StrEnum):
    """Where a due touchpoint stands today."""

    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    ON_TRACK = "on_track"


@dataclass(frozen=True)
class DueTouchpoint:
    """The next touchpoint one rule asks of an account: when it is due, when the last one
    that met the rule was held, and the one planned, if any."""

    rule: CadenceRule
    due_on: date
    last_held: date | None
    planned_on: date | None
    today: date

    @property
    def overdue_days(self) -> int:
        """Days past the due date (0 when not overdue)."""
        return max(0, (self.today - self.due_on).days)

    @property
    def days_left(self) -> int:
        """Days until the due date (negative when overdue)."""
        return (self.due_on - self.today).days

    @property
    def state(self) -> TouchpointState:
        if self.due_on < self.today:
            return TouchpointState.OVERDUE
        if self.days_left <= DUE_SOON_DAYS:
            return TouchpointState.DUE_SOON
        return TouchpointState.ON_TRACK

    @property
    def overdue(self) -> bool:
        return self.state is TouchpointState.OVERDUE

    @property
    def label(self) -> str:
        return self.rule.kind_label

    def describe(self) -> str:
        """In words, as a row shows it: "QBR overdue by 12 days" / "QBR due in 5 days"."""
        days = self.overdue_days
        if days:
            return f"{self.label} overdue by {days} day{'s' if days != 1 else ''}"
        left = self.days_left
        if left == 0:
            return f"{self.label} due today"
        return f"{self.label} due in {left} day{'s' if left != 1 else ''}"


def _latest(found: Mapping[str, date] | None, kinds: Iterable[str]) -> date | None:
    days = [found[kind] for kind in kinds if found and kind in found]
    return max(days) if days else None


def _earliest(found: Mapping[str, date] | None, kinds: Iterable[str]) -> date | None:
    days = [found[kind] for kind in kinds if found and kind in found]
    return min(days) if days else None


def touchpoints(
    rules: Iterable[CadenceRule], history: AccountHistory, today: date
) -> list[DueTouchpoint]:
    """The touchpoints the account's tier owes, soonest due first (see the module doc)."""
    due = []
    for rule in rules:
        if rule.tier != history.tier:
            continue
        kinds = meeting_kinds(rule.kind)
        last = _latest(history.last_with_sponsor if rule.with_sponsor else history.last_held, kinds)
        due_on = (last or history.key_since) + timedelta(days=rule.every_days)
        if history.tier_changed_on is not None:
            due_on = max(due_on, history.tier_changed_on)
        planned = _earliest(history.planned, kinds)
        due.append(DueTouchpoint(rule, due_on, last, planned, today))
    return sorted(due, key=lambda touchpoint: (touchpoint.due_on, touchpoint.rule.kind))


def next_touchpoint(
    rules: Iterable[CadenceRule], history: AccountHistory, today: date
) -> DueTouchpoint | None:
    """The soonest due of the account's touchpoints, or None when its tier owes none."""
    found = touchpoints(rules, history, today)
    return found[0] if found else None
