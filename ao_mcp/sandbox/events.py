"""Webhook payloads, one builder per documented event type.

Shapes follow the documentation's samples key for key, with its slips corrected:
the samples are not valid JSON (trailing commas, unquoted keys) and course.finished's
sample says ``"event":"lesson.finished"`` with a garbled learner block. Kept as the
samples have them: course.finished carries a ``lesson`` block (the content that
completed the course), team.new_learners names its list ``team``, lesson and quiz
events carry a short ``course`` block without folder fields, and quiz.finished
reports ``score`` as a string.
"""

from __future__ import annotations

import uuid
from typing import Any

from ao_mcp.sandbox.formatting import atom
from ao_mcp.sandbox.state import AcademyState, Content, Learner, Progress, Team, Unit

__all__ = [
    "EVENT_TYPES",
    "certificate_code",
    "certificate_issued",
    "content_finished",
    "content_started",
    "course_available",
    "end_quiz_attempts",
    "sign_up",
    "team_new_learners",
    "unit_finished",
    "unit_started",
]

EVENT_TYPES: tuple[str, ...] = (
    "academy.learner.sign_up",
    "course.finished",
    "course.started",
    "course_group.finished",
    "course_group.started",
    "learner.course.available",
    "learner.course_certificate.issued",
    "learner.end_quiz_attempts",
    "lesson.finished",
    "lesson.started",
    "quiz.finished",
    "quiz.started",
    "team.new_learners",
)

Payload = dict[str, Any]


def _envelope(event: str, state: AcademyState, academy_id: str) -> Payload:
    academy = state.academies[academy_id]
    return {"id": str(uuid.uuid4()), "event": event, "academy": {"id": academy.id, "name": academy.name}}


def _learner(learner: Learner) -> dict[str, str]:
    return {
        "email": learner.email,
        "full_name": learner.name,
        "first_name": learner.first_name,
        "last_name": learner.last_name,
    }


def _unit(unit: Unit) -> dict[str, Any]:
    folder = unit.folder
    return {
        "id": unit.id,
        "name": unit.name,
        "is_in_folder": folder is not None,
        "folder_name": folder.name if folder else "",
        "folder_id": folder.id if folder else "",
        "folder_category": folder.category if folder else "",
    }


def unit_started(state: AcademyState, learner: Learner, unit: Unit) -> Payload:
    """course.started or course_group.started."""
    key = "group" if unit.kind == "group" else "course"
    payload = _envelope(f"{'course_group' if key == 'group' else 'course'}.started", state, unit.academy_id)
    payload[key] = _unit(unit)
    payload["learner"] = _learner(learner)
    return payload


def unit_finished(state: AcademyState, learner: Learner, unit: Unit, last: Content | None) -> Payload:
    """course.finished (with the sample's ``lesson`` block) or course_group.finished."""
    if unit.kind == "group":
        payload = _envelope("course_group.finished", state, unit.academy_id)
        payload["group"] = _unit(unit)
    else:
        payload = _envelope("course.finished", state, unit.academy_id)
        payload["course"] = _unit(unit)
        if last is not None:
            progress = learner.progress[last.id]
            payload["lesson"] = {
                "id": last.id,
                "name": last.name,
                "start_date": atom(progress.started_at),
                "finish_date": atom(progress.finished_at),
            }
    payload["learner"] = _learner(learner)
    return payload


def certificate_code(learner: Learner, unit: Unit) -> str:
    """Stable certificate file name, derived rather than stored."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{learner.id}/{unit.id}").hex[:14]


def certificate_issued(state: AcademyState, learner: Learner, unit: Unit, issued_at: int) -> Payload:
    code = certificate_code(learner, unit)
    payload = _envelope("learner.course_certificate.issued", state, unit.academy_id)
    payload["course"] = _unit(unit)
    payload["certificate"] = {
        "link_to_pdf": f"{state.base_url}/public/certificates/{code}.pdf",
        "link_to_img": f"{state.base_url}/public/certificates/{code}.png",
        "verify_link": f"{state.base_url}/verify/{code}",
        "issue_date": atom(issued_at),
    }
    payload["learner"] = _learner(learner)
    return payload


def content_started(state: AcademyState, learner: Learner, content: Content, progress: Progress) -> Payload:
    """lesson.started or quiz.started."""
    course = state.units[content.course_id]
    payload = _envelope(f"{content.kind}.started", state, course.academy_id)
    payload["course"] = {"id": course.id, "name": course.name}
    payload[content.kind] = {"id": content.id, "name": content.name, "start_date": atom(progress.started_at)}
    payload["learner"] = _learner(learner)
    return payload


def content_finished(
    state: AcademyState, learner: Learner, content: Content, progress: Progress, *, attempt_time: int = 0
) -> Payload:
    """lesson.finished or quiz.finished (one per quiz attempt, passed or not)."""
    course = state.units[content.course_id]
    payload = _envelope(f"{content.kind}.finished", state, course.academy_id)
    payload["course"] = {"id": course.id, "name": course.name}
    block: dict[str, Any] = {
        "id": content.id,
        "name": content.name,
        "start_date": atom(progress.started_at),
        "finish_date": atom(progress.finished_at),
    }
    if content.kind == "quiz":
        score = progress.score or 0
        block.update(
            spent_time_sec=attempt_time,
            score=str(score),  # a string, as in the doc's sample
            passing_score=content.passing_score,
            is_need_manual_approve=content.is_need_manual_approve,
            is_timer_on=content.is_timer_on,
            timer_minutes=content.timer_minutes,
            is_timer_expired=False,
            is_passed=score >= content.passing_score,
        )
    payload[content.kind] = block
    payload["learner"] = _learner(learner)
    return payload


def end_quiz_attempts(state: AcademyState, learner: Learner, quiz: Content) -> Payload:
    payload = _envelope("learner.end_quiz_attempts", state, state.units[quiz.course_id].academy_id)
    payload["quiz"] = {"id": quiz.id, "name": quiz.name}
    payload["learner"] = _learner(learner)
    return payload


def sign_up(state: AcademyState, learner: Learner) -> Payload:
    payload = _envelope("academy.learner.sign_up", state, learner.academy_id)
    payload["learner"] = _learner(learner)
    return payload


def _courses_and_groups(units: list[Unit], *, folders: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    def render(unit: Unit) -> dict[str, Any]:
        return _unit(unit) if folders else {"id": unit.id, "name": unit.name}

    return [render(u) for u in units if u.kind == "course"], [render(u) for u in units if u.kind == "group"]


def team_new_learners(state: AcademyState, team: Team, learners: list[Learner]) -> Payload:
    """Learners joined ``team``; lists what the team opens (key ``team``, a list, as sampled)."""
    payload = _envelope("team.new_learners", state, team.academy_id)
    units = [state.units[uid] for uid in team.unit_ids if uid in state.units]
    courses, groups = _courses_and_groups(units, folders=False)
    payload["team"] = [{"id": team.id, "name": team.name}]
    payload["learners"] = [_learner(learner) for learner in learners]
    payload["courses"] = courses
    payload["course_groups"] = groups
    return payload


def course_available(state: AcademyState, learner: Learner, teams: list[Team], units: list[Unit]) -> Payload:
    """``units`` became available to ``learner`` through ``teams``."""
    payload = _envelope("learner.course.available", state, learner.academy_id)
    courses, groups = _courses_and_groups(units, folders=True)
    payload["teams"] = [{"id": team.id, "name": team.name} for team in teams]
    payload["learners"] = [_learner(learner)]
    payload["courses"] = courses
    payload["course_groups"] = groups
    return payload
