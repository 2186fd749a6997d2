"""Toolset "quizzes": quiz results in detail, and extra attempts."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ao_mcp.actions._types import (
    ActionInput,
    DoneOutput,
    Email,
    MaxItems,
    Number,
    PhpDict,
    Text,
)
from ao_mcp.shapes import as_dict, done_shape, wrong_kind
from ao_mcp.spec import ListOutput, ToolOutput, ToolSpec

TOOLSET = "quizzes"


class QuizStatisticInput(ActionInput):
    records: dict[Email, Annotated[list[Text], Field(min_length=1)]] = Field(
        min_length=1, description="Learner email -> quiz ids"
    )
    max_items: MaxItems = None


class QuizAnswer(ToolOutput):
    answer: str | None = Field(None, description="Answer text.")
    is_right: bool | None = Field(None, description="True when correct.")
    isHasImage: bool | None = Field(None, description="True when it had an image.")
    imageUrl: str | None = Field(None, description="Image URL, if any.")


class QuizAnswers(ToolOutput):
    selected: list[QuizAnswer] | None = Field(None, description="Answers the learner gave.")
    missed: list[QuizAnswer] | None = Field(None, description="Right answers the learner missed.")


class QuizQuestion(ToolOutput):
    id: str | None = Field(None, description="Question id.")
    name: str | None = Field(None, description="Question text.")
    number: int | None = Field(None, description="Position in the quiz.")
    type: str | None = Field(None, description="Question type, e.g. checkbox.")
    isHasImage: bool | None = Field(None, description="True when it had an image.")
    imageUrl: str | None = Field(None, description="Image URL, if any.")
    is_passed: bool | None = Field(None, description="True when answered correctly.")
    isExpired: bool | None = Field(None, description="True when the timer ran out here.")
    checkerComment: str | None = Field(None, description="Grader's comment.")
    time_spent: str | None = Field(None, description="Time on the question, hh:mm:ss.")
    answers: Annotated[QuizAnswers | None, PhpDict] = Field(None, description="Selected and missed answers.")


class QuizStatistic(ToolOutput):
    email: str = Field(description="Learner email.")
    quiz_id: str = Field(description="Quiz id.")
    name: str | None = Field(None, description="Quiz name; null when there is no result.")
    score: Number | None = Field(None, description="Points earned.")
    passing_score: Number | None = Field(None, description="Points needed to pass.")
    is_passed: bool | None = Field(None, description="True when score >= passing_score.")
    spent_time: str | None = Field(None, description="Time spent, hh:mm:ss.")
    spent_time_seconds: int | None = Field(None, description="Time spent, seconds.")
    pass_date: str | None = Field(None, description="Passed, MM/DD/YYYY.")
    pass_time: str | None = Field(None, description="Passed, hh:mm AM/PM.")
    is_timer_on: bool | None = Field(None, description="True when the quiz had a timer.")
    is_expired: bool | None = Field(None, description="True when time ran out.")
    is_manual_approve_on: bool | None = Field(None, description="True when graded by hand.")
    globalComment: str | None = Field(None, description="Grader's overall comment.")
    pass_percent: Number | None = Field(None, description="Result, %.")
    questions: list[QuizQuestion] | None = Field(None, description="Questions with answers.")


class QuizStatisticOutput(ListOutput):
    statistics: list[QuizStatistic] = Field(description="One result per learner and quiz.")


def _shape_statistics(raw: Any, args: Any) -> dict[str, Any]:
    # {email: {quiz_id: stats}} becomes one flat record per learner and quiz.
    action = "getLearnersQuizStatistic"
    statistics = []
    for email, quizzes in as_dict(action, raw).items():
        for quiz_id, stats in as_dict(action, quizzes).items():
            if stats in (None, []):  # no result for this quiz
                stats = {}
            if not isinstance(stats, dict):
                raise wrong_kind(action, stats, f"object for quiz {quiz_id}")
            statistics.append({"email": email, "quiz_id": quiz_id, **stats})
    return {"statistics": statistics}


class QuizAttemptInput(ActionInput):
    quiz_id: Text = Field(description="Quiz id, from the quiz settings")
    email: Email = Field(description="Learner email")


TOOLS = [
    ToolSpec(
        name="get_learners_quiz_statistic",
        title="Quiz results",
        description=(
            "Learners' results in given quizzes: score, pass, time, and each question's answers.\n"
            "Use to review how a learner did in a quiz; quiz ids come from course_progress."
        ),
        toolset=TOOLSET,
        action="getLearnersQuizStatistic",
        input=QuizStatisticInput,
        output=QuizStatisticOutput,
        list_field="statistics",
        shape=_shape_statistics,
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="add_learner_quiz_attempts",
        title="Add a quiz attempt",
        description=(
            "Gives a learner one more attempt at a quiz.\n"
            "Use when a learner ran out of attempts; each call adds one."
        ),
        toolset=TOOLSET,
        action="addLearnerQuizAttempts",
        input=QuizAttemptInput,
        output=DoneOutput,
        shape=done_shape("addLearnerQuizAttempts"),
        read_only=False,
        destructive=False,
        idempotent=False,
    ),
]
