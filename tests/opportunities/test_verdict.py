"""The verdict rules of the four questions (seed 001)."""

import pytest

from kam.opportunities.verdict import Question, Verdict, assess

R, C, W, V = Question.REAL, Question.COMPETE, Question.WIN, Question.WORTH


def scores(real, compete, win, worth):
    return {R: real, C: compete, W: win, V: worth}


@pytest.mark.parametrize(
    ("given", "verdict", "weakest"),
    [
        # a great opportunity we cannot win: real, competitive, worth it — no inside support
        (scores(5, 5, 2, 5), Verdict.WALK_AWAY, W),
        # a winnable one not worth winning
        (scores(4, 4, 5, 1), Verdict.WALK_AWAY, V),
        (scores(2, 5, 5, 5), Verdict.WALK_AWAY, R),
        (scores(5, 2, 5, 5), Verdict.WALK_AWAY, C),
        (scores(4, 4, 4, 4), Verdict.PURSUE, R),
        (scores(5, 5, 3, 4), Verdict.PURSUE, W),
        (scores(3, 3, 3, 4), Verdict.QUALIFY_FURTHER, R),
        (scores(4, 3, 4, 3), Verdict.QUALIFY_FURTHER, C),
        (scores(5, 5, None, 5), Verdict.QUALIFY_FURTHER, R),
        (scores(None, None, None, None), Verdict.QUALIFY_FURTHER, None),
    ],
)
def test_the_verdict_and_the_weakest_question(given, verdict, weakest):
    found = assess(given)
    assert (found.verdict, found.weakest) == (verdict, weakest)


def test_a_great_opportunity_we_cannot_win_says_why():
    found = assess(scores(5, 5, 1, 5))
    assert "we cannot win it" in found.reason


def test_a_winnable_one_not_worth_winning_says_why():
    found = assess(scores(5, 5, 5, 2))
    assert "not worth winning" in found.reason


def test_every_failing_question_is_named():
    found = assess(scores(1, 5, 2, 5))
    assert ("Is it real? 1/5" in found.reason, "Can we win? 2/5" in found.reason) == (True, True)


def test_an_unanswered_question_is_named():
    assert "Can we win?" in assess(scores(5, 5, None, 5)).reason


def test_a_score_out_of_range_is_refused():
    with pytest.raises(ValueError, match="1 to 5"):
        assess(scores(6, 5, 5, 5))
