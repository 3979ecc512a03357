"""Reading the implementation checklist: each item's latest answer — a person's, or for a
post-launch item nobody has answered yet, the data's — the maturity score now, and its
course as the answers were given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission
from kam.performance.checklist import ITEMS, Item, Phase, maturity, maturity_over_time
from kam.performance.measured import Answer, Reply
from kam.performance.models import ChecklistAnswer

FROM_DATA = {Reply.YES: "yes", Reply.NO: "no"}
"""A post-launch question's reply as a checklist answer; "not enough data" leaves it open."""


@dataclass(frozen=True)
class Line:
    """One item: the answer that counts, where it comes from, its evidence and owner."""

    item: Item
    answer: str
    """"yes", "partly", "no" or "" (unanswered)."""
    from_data: bool
    evidence: str
    owner: str
    answered_by: str
    answered_at: datetime | None


@dataclass(frozen=True)
class Sheet:
    """The whole checklist, its maturity score (0–100) and the score's course."""

    lines: tuple[Line, ...]
    score: float
    course: tuple[tuple[datetime, float], ...]

    def phase(self, phase: str) -> list[Line]:
        """The items of one phase, in the seed's order."""
        return [line for line in self.lines if line.item.phase == phase]

    @property
    def pre_launch(self) -> list[Line]:
        return self.phase(Phase.PRE_LAUNCH)

    @property
    def post_launch(self) -> list[Line]:
        return self.phase(Phase.POST_LAUNCH)


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user else ""


def checklist(user: User, measured: Sequence[Answer] = ()) -> Sheet:
    """The checklist as it stands; ``measured`` are the post-launch questions answered from
    the data, which fill the items of theirs that no person has answered."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    answers = list(
        ChecklistAnswer.objects.select_related("owner", "answered_by").order_by("answered_at", "id")
    )
    latest = {answer.item: answer for answer in answers}
    by_question = {answer.key: answer for answer in measured}
    lines = []
    for item in ITEMS:
        given = latest.get(item.key)
        data = by_question.get(item.measured_by) if item.measured_by else None
        if given is not None:
            lines.append(
                Line(item, given.answer, False, given.evidence, _name(given.owner),
                     _name(given.answered_by), given.answered_at)
            )  # fmt: skip
        elif data is not None:
            lines.append(
                Line(item, FROM_DATA.get(data.reply, ""), True, f"{data.reply}: {data.figures}",
                     "", "", None)
            )  # fmt: skip
        else:
            lines.append(Line(item, "", False, "", "", "", None))
    score = maturity({line.item.key: line.answer for line in lines if line.answer})
    course = maturity_over_time((a.answered_at, a.item, a.answer) for a in answers)
    return Sheet(tuple(lines), score, tuple(course))
