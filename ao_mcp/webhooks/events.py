"""Typed views of the events AcademyOcean pushes, lenient to drift.

One model per documented event type, built from the documentation's samples.
Every model keeps unknown fields (``extra="allow"``), makes every field but
``id`` and ``event`` optional, and accepts numbers and booleans sent as
strings (a quiz ``"score":"1"``): the service's payloads drift, and a webhook
we cannot parse is a webhook we lose. A value that does not fit its declared
type at all becomes ``None`` (the raw payload is always stored as received),
and an unknown or malformed event falls back to :class:`WebhookEvent` itself.

A payload is typed by its ``event`` value, never by anything else (the
documentation's course.finished sample says ``"event":"lesson.finished"``; it
parses as lesson.finished). ``team.new.learners`` (the documentation's section
title) and ``team.new_learners`` (what its sample sends) are the same type,
normalised to ``team.new_learners``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from ao_mcp.webhooks.payload import (  # noqa: F401 - re-exported names
    EVENT_ALIASES,
    EVENT_TYPES,
    course_ids,
    learner_emails,
    normalize_email,
    normalize_event_type,
)
from ao_mcp.webhooks.payload import as_text  # one reading of ids that arrive as numbers

__all__ = [
    "EVENT_ALIASES",
    "EVENT_MODELS",
    "EVENT_TYPES",
    "Academy",
    "AcademyLearnerSignUp",
    "Certificate",
    "Course",
    "CourseFinished",
    "CourseGroup",
    "CourseGroupFinished",
    "CourseGroupStarted",
    "CourseStarted",
    "Learner",
    "LearnerCourseAvailable",
    "LearnerCourseCertificateIssued",
    "LearnerEndQuizAttempts",
    "Lesson",
    "LessonFinished",
    "LessonStarted",
    "Quiz",
    "QuizFinished",
    "QuizStarted",
    "Team",
    "TeamNewLearners",
    "WebhookEvent",
    "course_ids",
    "learner_emails",
    "normalize_email",
    "normalize_event_type",
    "parse_event",
]

logger = logging.getLogger(__name__)

# --- lenient scalars ------------------------------------------------------------


def _number(value: Any) -> Any:
    """A number from a number or a numeric string; anything else becomes ``None``."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def _boolean(value: Any) -> bool | None:
    """A boolean from a boolean, ``0``/``1`` or a usual string spelling; anything else becomes ``None``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None




Number = Annotated[int | float | None, BeforeValidator(_number)]
Flag = Annotated[bool | None, BeforeValidator(_boolean)]
Text = Annotated[str | None, BeforeValidator(as_text)]


def _object_or_none(value: Any) -> Any:
    """A nested object that is not an object (drift, ``null``, ``[]``) becomes ``None`` instead of failing."""
    return value if isinstance(value, Mapping) else None


ObjectOrNone = BeforeValidator(_object_or_none)


def _list_of_objects(value: Any) -> Any:
    """A list keeping only its object items; a single object becomes a one-item list; else empty."""
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, Mapping)]
    return []


ObjectList = BeforeValidator(_list_of_objects)


class _Part(BaseModel):
    """Base of the nested objects: every field optional, unknown fields kept."""

    model_config = ConfigDict(extra="allow")


# --- nested objects ---------------------------------------------------------------


class Academy(_Part):
    """The academy the event happened in."""

    id: Text = None
    name: Text = None


class Learner(_Part):
    """The learner concerned."""

    email: Text = None
    full_name: Text = None
    first_name: Text = None
    last_name: Text = None


class Course(_Part):
    """A course (or, under ``group``, a group of courses) and its folder."""

    id: Text = None
    name: Text = None
    is_in_folder: Flag = None
    folder_name: Text = None
    folder_id: Text = None
    folder_category: Text = None


class CourseGroup(Course):
    """A group of courses: same shape as a course."""


class Lesson(_Part):
    """A lesson with its start and (once finished) finish date, ISO-8601 as sent."""

    id: Text = None
    name: Text = None
    start_date: Text = None
    finish_date: Text = None


class Quiz(_Part):
    """A quiz; the result fields are present once it is finished."""

    id: Text = None
    name: Text = None
    start_date: Text = None
    finish_date: Text = None
    spent_time_sec: Number = None
    score: Number = None
    passing_score: Number = None
    is_need_manual_approve: Flag = None
    is_timer_on: Flag = None
    timer_minutes: Number = None
    is_timer_expired: Flag = None
    is_passed: Flag = None


class Certificate(_Part):
    """An issued certificate's links and issue date."""

    link_to_pdf: Text = None
    link_to_img: Text = None
    verify_link: Text = None
    issue_date: Text = None


class Team(_Part):
    """A team of the academy."""

    id: Text = None
    name: Text = None


# --- events ----------------------------------------------------------------------

OptAcademy = Annotated[Academy | None, ObjectOrNone]
OptLearner = Annotated[Learner | None, ObjectOrNone]
OptCourse = Annotated[Course | None, ObjectOrNone]
OptGroup = Annotated[CourseGroup | None, ObjectOrNone]
OptLesson = Annotated[Lesson | None, ObjectOrNone]
OptQuiz = Annotated[Quiz | None, ObjectOrNone]
OptCertificate = Annotated[Certificate | None, ObjectOrNone]


class WebhookEvent(BaseModel):
    """Any event: the fields every event carries. Also the model of unknown event types."""

    model_config = ConfigDict(extra="allow")

    EVENT_TYPE: ClassVar[str | None] = None

    id: str
    event: str
    academy: OptAcademy = None


class CourseStarted(WebhookEvent):
    """course.started: a learner started a course."""

    EVENT_TYPE: ClassVar[str | None] = "course.started"
    course: OptCourse = None
    learner: OptLearner = None


class CourseFinished(WebhookEvent):
    """course.finished: a learner finished a course."""

    EVENT_TYPE: ClassVar[str | None] = "course.finished"
    course: OptCourse = None
    learner: OptLearner = None


class CourseGroupStarted(WebhookEvent):
    """course_group.started: a learner started a group of courses."""

    EVENT_TYPE: ClassVar[str | None] = "course_group.started"
    group: OptGroup = None
    learner: OptLearner = None


class CourseGroupFinished(WebhookEvent):
    """course_group.finished: a learner finished a group of courses."""

    EVENT_TYPE: ClassVar[str | None] = "course_group.finished"
    group: OptGroup = None
    learner: OptLearner = None


class LearnerCourseCertificateIssued(WebhookEvent):
    """learner.course_certificate.issued: a certificate was generated for a learner."""

    EVENT_TYPE: ClassVar[str | None] = "learner.course_certificate.issued"
    course: OptCourse = None
    certificate: OptCertificate = None
    learner: OptLearner = None


class LessonStarted(WebhookEvent):
    """lesson.started: a learner started a lesson."""

    EVENT_TYPE: ClassVar[str | None] = "lesson.started"
    course: OptCourse = None
    lesson: OptLesson = None
    learner: OptLearner = None


class LessonFinished(WebhookEvent):
    """lesson.finished: a learner finished a lesson."""

    EVENT_TYPE: ClassVar[str | None] = "lesson.finished"
    course: OptCourse = None
    lesson: OptLesson = None
    learner: OptLearner = None


class QuizStarted(WebhookEvent):
    """quiz.started: a learner started a quiz."""

    EVENT_TYPE: ClassVar[str | None] = "quiz.started"
    course: OptCourse = None
    quiz: OptQuiz = None
    learner: OptLearner = None


class QuizFinished(WebhookEvent):
    """quiz.finished: a learner finished a quiz; ``quiz`` carries the score and result."""

    EVENT_TYPE: ClassVar[str | None] = "quiz.finished"
    course: OptCourse = None
    quiz: OptQuiz = None
    learner: OptLearner = None


class AcademyLearnerSignUp(WebhookEvent):
    """academy.learner.sign_up: a new learner registered in the academy."""

    EVENT_TYPE: ClassVar[str | None] = "academy.learner.sign_up"
    learner: OptLearner = None


class LearnerCourseAvailable(WebhookEvent):
    """learner.course.available: learners got access to published courses (possibly through teams)."""

    EVENT_TYPE: ClassVar[str | None] = "learner.course.available"
    teams: Annotated[list[Team], ObjectList] = []
    learners: Annotated[list[Learner], ObjectList] = []
    courses: Annotated[list[Course], ObjectList] = []
    course_groups: Annotated[list[CourseGroup], ObjectList] = []


class LearnerEndQuizAttempts(WebhookEvent):
    """learner.end_quiz_attempts: a learner used every attempt at a quiz."""

    EVENT_TYPE: ClassVar[str | None] = "learner.end_quiz_attempts"
    quiz: OptQuiz = None
    learner: OptLearner = None


class TeamNewLearners(WebhookEvent):
    """team.new_learners: learners joined a team (or "No Team"); ``team`` is a list, as sent."""

    EVENT_TYPE: ClassVar[str | None] = "team.new_learners"
    team: Annotated[list[Team], ObjectList] = []
    learners: Annotated[list[Learner], ObjectList] = []
    courses: Annotated[list[Course], ObjectList] = []
    course_groups: Annotated[list[CourseGroup], ObjectList] = []


#: Canonical event type -> its model.
EVENT_MODELS: dict[str, type[WebhookEvent]] = {
    model.EVENT_TYPE: model
    for model in (
        CourseStarted,
        CourseFinished,
        CourseGroupStarted,
        CourseGroupFinished,
        LearnerCourseCertificateIssued,
        LessonStarted,
        LessonFinished,
        QuizStarted,
        QuizFinished,
        AcademyLearnerSignUp,
        LearnerCourseAvailable,
        LearnerEndQuizAttempts,
        TeamNewLearners,
    )
    if model.EVENT_TYPE is not None
}



def parse_event(payload: Mapping[str, Any]) -> WebhookEvent:
    """The typed model for ``payload``, chosen by its ``event`` value.

    Never raises for a mapping with a string ``id`` and ``event``: if the typed
    model rejects the payload, the generic :class:`WebhookEvent` is returned.
    Raises ``ValueError`` when ``id`` or ``event`` is missing or not a string.
    """
    if not isinstance(payload, Mapping):
        raise ValueError("a webhook payload is a JSON object")
    event_id, event = payload.get("id"), payload.get("event")
    if not isinstance(event_id, str) or not isinstance(event, str):
        raise ValueError("a webhook payload needs a string 'id' and a string 'event'")
    data = dict(payload)
    data["event"] = normalize_event_type(event)
    model = EVENT_MODELS.get(data["event"], WebhookEvent)
    try:
        return model.model_validate(data)
    except (ValidationError, ValueError, TypeError, RecursionError):
        logger.debug("event %s (%s) did not fit its model; parsed generically", event_id, data["event"])
    try:
        return WebhookEvent.model_validate(data)
    except (ValidationError, ValueError, TypeError, RecursionError):
        # Only reachable through a pathological ``academy``; keep id and event, the store has the rest.
        return WebhookEvent(id=event_id, event=data["event"])
