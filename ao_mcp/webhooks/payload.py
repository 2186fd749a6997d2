"""Plain-dict facts about webhook payloads: event type names and what a payload is about.

Kept apart from the pydantic models in ``events`` so that the store, the hub
and the tools can filter events without loading the models (cold start).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "EVENT_ALIASES",
    "EVENT_TYPES",
    "as_text",
    "course_ids",
    "learner_emails",
    "normalize_email",
    "normalize_event_type",
]

#: The documented event types, canonical spelling.
EVENT_TYPES: tuple[str, ...] = (
    "course.started",
    "course.finished",
    "course_group.started",
    "course_group.finished",
    "learner.course_certificate.issued",
    "lesson.started",
    "lesson.finished",
    "quiz.started",
    "quiz.finished",
    "academy.learner.sign_up",
    "learner.course.available",
    "learner.end_quiz_attempts",
    "team.new_learners",
)

#: Other spellings of an event type seen in the documentation -> the canonical one.
EVENT_ALIASES: dict[str, str] = {"team.new.learners": "team.new_learners"}


def normalize_event_type(name: str) -> str:
    """The canonical spelling of an event type (surrounding whitespace removed, aliases resolved)."""
    stripped = name.strip()
    return EVENT_ALIASES.get(stripped, stripped)


def as_text(value: Any) -> str | None:
    """A string from a string or a number (ids sometimes arrive as numbers); anything else is ``None``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _objects(payload: Mapping[str, Any], single: str, many: str) -> list[Mapping[str, Any]]:
    """The objects under ``payload[single]`` and ``payload[many]``, each an object or a list of objects."""
    found: list[Mapping[str, Any]] = []
    for key in (single, many):  # "team" is a list in team.new_learners: tolerate either shape everywhere
        value = payload.get(key)
        if isinstance(value, Mapping):
            found.append(value)
        elif isinstance(value, list):
            found.extend(item for item in value if isinstance(item, Mapping))
    return found


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding whitespace."""
    return email.strip().lower()


def learner_emails(payload: Mapping[str, Any]) -> set[str]:
    """The learners' emails in ``payload`` (``learner.email`` and ``learners[].email``), lowercased."""
    if not isinstance(payload, Mapping):
        return set()
    return {
        normalize_email(item["email"])
        for item in _objects(payload, "learner", "learners")
        if isinstance(item.get("email"), str) and item["email"].strip()
    }


def course_ids(payload: Mapping[str, Any]) -> set[str]:
    """The course and course-group ids in ``payload``.

    From ``course.id``, ``courses[].id``, ``group.id`` and ``course_groups[].id``.
    """
    if not isinstance(payload, Mapping):
        return set()
    found: set[str] = set()
    for single, many in (("course", "courses"), ("group", "course_groups")):
        for item in _objects(payload, single, many):
            value = as_text(item.get("id"))
            if value:
                found.add(value)
    return found
