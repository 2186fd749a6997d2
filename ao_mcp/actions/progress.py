"""Toolset "courses": the course catalogue and learners' progress through it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field, model_validator

from ao_mcp.actions._types import (
    ActionInput,
    Email,
    MaxItems,
    Number,
    Text,
)
from ao_mcp.shapes import as_list
from ao_mcp.actions.learners import NoOptionsListInput
from ao_mcp.spec import ListOutput, ToolOutput, ToolSpec

TOOLSET = "courses"

# --------------------------------------------------------------------------- courses


class Course(ToolOutput):
    id: str = Field(description="Course id.")
    slug: str | None = Field(None, description="Course slug (from the course URL).")
    name: str | None = Field(None, description="Course or group name.")
    description: str | None = Field(None, description="Course description.")
    img: str | None = Field(None, description="Cover image URL.")
    course_open_url: str | None = Field(None, description="Course URL.")
    is_in_group: bool | None = Field(None, description="True when the course belongs to a group.")
    is_scorm: bool | None = Field(None, description="True for a SCORM course.")
    is_ribbon_enabled: bool | None = Field(None, description="True when the ribbon is shown.")
    ribbon_text: str | None = Field(None, description="Ribbon text.")


class CoursesOutput(ListOutput):
    courses: list[Course] = Field(description="Courses and groups of the academy.")


# --------------------------------------------------------------------------- courseProgress


class CourseProgressInput(ActionInput):
    email: Email = Field(description="Learner email")
    # The input table types course_type as bool ("search for available for a user
    # courses"), while a row of the output table, absent from the sample output,
    # gives it the values all / published / unpublished and the description of a
    # filter. We take the enumerated values, the more specific of the two texts.
    course_type: Literal["all", "published", "unpublished"] | None = Field(
        None, description="Which courses: all, published or unpublished"
    )
    with_academy: bool | None = Field(None, description="Add the academy id and name")
    with_teams: bool | None = Field(None, description="Add the learner's team ids and names")
    # Undocumented; the public R client always sends it TRUE.
    only_displayed_courses: bool | None = Field(None, description="Only courses shown to the learner")
    max_items: MaxItems = None


class ContentProgress(ToolOutput):
    id: str | None = Field(None, description="Content id.")
    name: str | None = Field(None, description="Content name.")
    type: str | None = Field(None, description="lesson or quiz.")
    is_passed: bool | None = Field(None, description="True when passed.")
    started_at: str | None = Field(None, description="First opened, ISO 8601 UTC.")
    passed_at: str | None = Field(None, description="Passed, ISO 8601 UTC.")
    pass_time_sec: int | None = Field(None, description="Time taken to pass, seconds.")
    score: Number | None = Field(None, description="Quiz: score earned.")
    passing_score: Number | None = Field(None, description="Quiz: score needed to pass.")
    is_need_manual_approve: bool | None = Field(None, description="Quiz: graded by hand.")
    # The documentation's table says is_timer_on, its sample is_time_on.
    is_timer_on: bool | None = Field(
        None, validation_alias=AliasChoices("is_timer_on", "is_time_on"), description="Quiz: timer set."
    )
    timer_minutes: int | None = Field(None, description="Quiz: time allowed, minutes.")
    is_timer_expired: bool | None = Field(None, description="Quiz: time ran out.")


class CourseProgress(ToolOutput):
    course_id: str = Field(description="Course id.")
    course_name: str | None = Field(None, description="Course or group name.")
    course_description: str | None = Field(None, description="Course description.")
    course_open_url: str | None = Field(None, description="Course URL.")
    course_img: str | None = Field(None, description="Cover image URL.")
    start_date: str | None = Field(None, description="Started, ISO 8601, or null.")
    finish_date: str | None = Field(None, description="Completed, ISO 8601, or null.")
    lessons_amount: int | None = Field(None, description="Contents in the course.")
    progress_amount: int | None = Field(None, description="Contents passed.")
    progress: Number | None = Field(None, description="Progress, %.")
    content_progress: list[ContentProgress] | None = Field(None, description="Per content progress.")


class CourseProgressOutput(ListOutput):
    courses: list[CourseProgress] = Field(description="The learner's courses with progress.")


# --------------------------------------------------------------------------- learnersProgressByCourse


class ProgressByCourseInput(ActionInput):
    # Both are marked "required" while either one identifies the course (the public
    # R client sends one or the other): at least one is required.
    course_id: Text | None = Field(None, description="Course id; or give course_slug")
    course_slug: Text | None = Field(None, description="Course slug; or give course_id")
    page: int | None = Field(None, ge=1, description="Page number, from 1")
    amount: int | None = Field(None, ge=1, le=1000, description="Learners per page")
    show_not_started_learners: bool | None = Field(None, description="Include learners who have not started")
    max_items: MaxItems = None

    @model_validator(mode="after")
    def _course(self) -> ProgressByCourseInput:
        if self.course_id is None and self.course_slug is None:
            raise ValueError("give course_id or course_slug to name the course")
        return self


class LearnerCourseProgress(ToolOutput):
    email: str = Field(description="Learner email.")
    full_name: str | None = Field(None, description="Full name.")
    first_name: str | None = Field(None, description="First name.")
    last_name: str | None = Field(None, description="Last name.")
    startDate: str | None = Field(None, description="Started, MM/DD/YYYY.")
    startTime: str | None = Field(None, description="Started, h:mm AM/PM.")
    completionDate: str | None = Field(None, description="Completed, MM/DD/YYYY.")
    completionTime: str | None = Field(None, description="Completed, h:mm AM/PM.")
    status: str | None = Field(None, description="Course status, e.g. Completed.")
    duration: str | None = Field(None, description="Estimated time to finish, hh:mm:ss.")
    viewTime: str | None = Field(None, description="Time spent in the course, hh:mm:ss.")
    totalAmount: int | None = Field(None, description="Contents in the course.")
    passedAmount: int | None = Field(None, description="Contents passed.")
    courseScore: Number | None = Field(None, description="Course score.")
    teams: list[str] | None = Field(None, description="Teams the course is available to.")


class ProgressByCourseOutput(ListOutput):
    learners: list[LearnerCourseProgress] = Field(description="Learners of the course with progress.")
    page: int | None = Field(None, description="Page asked for; null when not given (first page).")
    amount: int | None = Field(None, description="Page size asked for; null when not given.")
    has_more: bool | None = Field(
        None, description="True when the page came back full, so the next may hold more; null without amount."
    )


def _shape_progress_by_course(raw: Any, args: ProgressByCourseInput) -> dict[str, Any]:
    # The documentation wraps the answer as [{"learners": [...]}]; the public R client
    # reads resp$learners. Both are accepted, and so is a bare list of learners.
    action = "learnersProgressByCourse"
    if isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], dict) and "learners" in raw[0]:
        raw = raw[0]
    learners = as_list(action, raw, "learners")
    return {
        "learners": learners,
        "page": args.page,
        "amount": args.amount,
        "has_more": None if args.amount is None else len(learners) >= args.amount,
    }


# --------------------------------------------------------------------------- completers, churn


class CourseInput(ActionInput):
    course_id: Text = Field(description="Course id or course slug")
    max_items: MaxItems = None


class CourseCompleter(ToolOutput):
    date_of_passing: str | None = Field(None, description="Completed, ISO 8601 UTC.")
    name: str | None = Field(None, description="Learner name.")
    email: str | None = Field(None, description="Learner email.")
    score: Number | None = Field(None, description="Completed share of all available content, %.")
    courses_completed: int | None = Field(None, description="Courses completed.")
    spent_time_in_academy: int | None = Field(None, description="Time spent in the academy, seconds.")
    certificates_amount: int | None = Field(None, description="Certificates issued.")
    company: str | None = Field(None, description="Company link, or null.")


class CourseCompleteOutput(ListOutput):
    learners: list[CourseCompleter] = Field(description="Learners who completed the course.")


class ChurnInput(ActionInput):
    course_id: Text = Field(description="Course id or slug")
    content_id: Text = Field(description="Lesson or quiz id or slug")
    max_items: MaxItems = None


class ChurnedLearner(ToolOutput):
    churn_date: str | None = Field(None, description="Churned, ISO 8601 UTC.")
    email: str = Field(description="Learner email.")
    name: str | None = Field(None, description="Learner name.")
    spent_time_in_academy: int | None = Field(None, description="Time spent in the academy, seconds.")
    spent_time_in_content: int | None = Field(None, description="Time spent in the content, seconds.")
    registered_at: str | None = Field(None, description="Registration time, ISO 8601 UTC.")


class ChurnOutput(ListOutput):
    learners: list[ChurnedLearner] = Field(description="Learners who stopped at this content.")


# --------------------------------------------------------------------------- specs

TOOLS = [
    ToolSpec(
        name="courses",
        title="List courses",
        description=(
            "Courses and course groups of the academy: id, slug, name, URL.\n"
            "Use first to find the course_id or slug other tools need."
        ),
        toolset=TOOLSET,
        action="courses",
        input=NoOptionsListInput,
        output=CoursesOutput,
        list_field="courses",
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="learners_progress_by_course",
        title="Course progress of all learners",
        description=(
            "Every learner's status, time, score and dates in one course, page by page.\n"
            "Use for a course report; find course ids with `courses`."
        ),
        toolset=TOOLSET,
        action="learnersProgressByCourse",
        input=ProgressByCourseInput,
        output=ProgressByCourseOutput,
        list_field="learners",
        shape=_shape_progress_by_course,
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="course_progress",
        title="One learner's progress",
        description=(
            "One learner's progress in each course, down to each lesson and quiz.\n"
            "Use to see where a learner stands or stalled."
        ),
        toolset=TOOLSET,
        action="courseProgress",
        input=CourseProgressInput,
        output=CourseProgressOutput,
        list_field="courses",
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="learners_course_complete",
        title="Course completers",
        description=(
            "Learners who completed a course, with completion date and stats.\n"
            "Use to see who finished; find course ids with `courses`."
        ),
        toolset=TOOLSET,
        action="learnersCourseComplete",
        input=CourseInput,
        output=CourseCompleteOutput,
        list_field="learners",
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="learners_churn_at_content",
        title="Churn at a lesson",
        description=(
            "Learners who stopped at a given lesson or quiz of a course, with time spent.\n"
            "Use to find where a course loses people; content ids come from course_progress."
        ),
        toolset=TOOLSET,
        action="learnersChurnAtContent",
        input=ChurnInput,
        output=ChurnOutput,
        list_field="learners",
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
]
