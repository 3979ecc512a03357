"""The four questions of seed 001 and the verdict they give: pursue, qualify further or walk
away. Plain values in, plain values out, so the rules are tested without a database.

Each question is scored 1 (no) to 5 (clearly yes) with evidence in words:

- *Is it real?* need, budget, timing, volume;
- *Can we compete?* our offer against the named competitors;
- *Can we win?* inside support and access (a champion, the decision makers covered, no
  detractor in the way);
- *Is it worth winning?* margin, short- and long-range value, strategic importance.

The rules, in order: a question scored 2 or lower ends the pursuit (*walk away*), whatever
the others say — a great opportunity we cannot win, or a winnable one not worth winning,
costs the time a better one needs. A question not yet answered asks for more
qualification. Every question at 4 or more is a clear *pursue*; so is every question at 3
or more with an average of 3.75 or more. Anything between asks to *qualify further*, naming
the weakest question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Question(StrEnum):
    """The four questions, in the order seed 001 asks them."""

    REAL = "real"
    COMPETE = "compete"
    WIN = "win"
    WORTH = "worth"

    @property
    def label(self) -> str:
        """The question in words."""
        return QUESTION_LABELS[self]


QUESTION_LABELS: dict[Question, str] = {
    Question.REAL: "Is it real?",
    Question.COMPETE: "Can we compete?",
    Question.WIN: "Can we win?",
    Question.WORTH: "Is it worth winning?",
}

QUESTION_HINTS: dict[Question, str] = {
    Question.REAL: "Need, budget, timing and volume.",
    Question.COMPETE: "Our offer against the named competitors.",
    Question.WIN: "Inside support and access: a champion, the decision makers, detractors.",
    Question.WORTH: "Margin, short- and long-range value, strategic importance.",
}

FAILING = {
    Question.REAL: "it is not real enough (need, budget, timing or volume missing)",
    Question.COMPETE: "our offer does not stand up to the competitors",
    Question.WIN: "we cannot win it: too little inside support or access",
    Question.WORTH: "it is not worth winning: too little margin or value for the effort",
}
"""Why a question scored 2 or lower ends the pursuit, in words."""

WALK_AWAY_AT = 2
"""A question scored this or lower ends the pursuit."""
PURSUE_ALL_AT = 4
PURSUE_FLOOR = 3
PURSUE_AVERAGE = 3.75


class Verdict(StrEnum):
    """What to do with an opportunity once qualified."""

    PURSUE = "pursue"
    QUALIFY_FURTHER = "qualify_further"
    WALK_AWAY = "walk_away"

    @property
    def label(self) -> str:
        return {"pursue": "Pursue", "qualify_further": "Qualify further"}.get(
            self.value, "Walk away"
        )


@dataclass(frozen=True)
class Assessment:
    """The verdict on four scores, why, and the weakest question (None when unscored)."""

    verdict: Verdict
    reason: str
    weakest: Question | None
    average: float | None


def assess(scores: Mapping[Question, int | None]) -> Assessment:
    """The verdict the rules of the module doc give ``scores`` (1–5 per question, None for
    a question not answered yet)."""
    for question, score in scores.items():
        if score is not None and not 1 <= score <= 5:
            raise ValueError(f"{question.label} is scored 1 to 5, not {score}.")
    given = {q: s for q in Question if (s := scores.get(q)) is not None}
    weakest = min(given, key=lambda q: given[q]) if given else None
    average = sum(given.values()) / len(given) if given else None
    failing = [q for q in Question if q in given and given[q] <= WALK_AWAY_AT]
    if failing:
        reasons = "; ".join(f"{q.label} {given[q]}/5: {FAILING[q]}" for q in failing)
        return Assessment(Verdict.WALK_AWAY, f"Walk away — {reasons}.", failing[0], average)
    missing = [q for q in Question if q not in given]
    if missing:
        names = ", ".join(q.label for q in missing)
        return Assessment(Verdict.QUALIFY_FURTHER, f"Not answered yet: {names}", weakest, average)
    assert weakest is not None
    assert average is not None
    if all(s >= PURSUE_ALL_AT for s in given.values()) or (
        all(s >= PURSUE_FLOOR for s in given.values()) and average >= PURSUE_AVERAGE
    ):
        return Assessment(
            Verdict.PURSUE,
            f"Pursue — every question answered 3 or better, {average:.2f} on average; "
            f"watch {weakest.label} ({given[weakest]}/5).",
            weakest,
            average,
        )
    return Assessment(
        Verdict.QUALIFY_FURTHER,
        f"Qualify further — {weakest.label} is only {given[weakest]}/5 "
        f"({average:.2f} on average): find the evidence that lifts it.",
        weakest,
        average,
    )
