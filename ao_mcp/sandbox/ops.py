"""State changes that the service announces by webhook: each one updates the state and emits.

Both the API actions and the activity generator go through these functions, so a
change and its events can never drift apart. Events are handed to
``state.emit``, which only queues them: nothing here waits for delivery.
"""

from __future__ import annotations

from collections.abc import Iterable

from ao_mcp.sandbox import events
from ao_mcp.sandbox.state import AcademyState, Content, Invite, Learner, Progress, Team, Unit

__all__ = ["add_to_teams", "attempt_quiz", "finish_lesson", "record_login", "sign_up", "start_content"]


def record_login(state: AcademyState, learner: Learner, now: int) -> None:
    """A new session counts as a log-in when the last one is over an hour old."""
    if now - learner.last_login_at > 3600:
        learner.log_ins_amount += 1
    learner.last_login_at = max(learner.last_login_at, now)
    state.touch(learner)


def add_to_teams(state: AcademyState, learners: Iterable[Learner], teams: list[Team]) -> None:
    """Add learners to teams: one team.new_learners per team, then learner.course.available
    for each learner the new teams open published courses or groups to."""
    learners = list(learners)
    before = {learner.id: {u.id for u in state.available(learner).units} for learner in learners}
    joined: dict[str, list[Team]] = {learner.id: [] for learner in learners}
    for team in teams:
        newcomers = [lr for lr in learners if team.id not in lr.teams and lr.academy_id == team.academy_id]
        for learner in newcomers:
            learner.teams = (*learner.teams, team.id)
            joined[learner.id].append(team)
            state.touch(learner)
        if newcomers:
            state.emit(events.team_new_learners(state, team, newcomers))
    for learner in learners:
        if not joined[learner.id]:
            continue
        opened = [u for u in state.available(learner).units if u.id not in before[learner.id]]
        if opened:
            opened_ids = {u.id for u in opened}
            granting = [t for t in joined[learner.id] if opened_ids & set(t.unit_ids)]
            state.emit(events.course_available(state, learner, granting, opened))


def sign_up(state: AcademyState, learner: Learner, invite: Invite | None = None) -> None:
    """Register a learner (accepting ``invite`` if given: its teams and variables carry over)."""
    teams: list[Team] = []
    if invite is not None:
        invite.used_at = learner.registered_at
        teams = [state.teams[tid] for tid in invite.teams if tid in state.teams]
        if invite.variables:
            learner.variables = {**(learner.variables or {}), **invite.variables}
    learner.teams = ()
    state.add_learner(learner)
    state.emit(events.sign_up(state, learner))
    if teams:
        add_to_teams(state, [learner], teams)


def _units_of(state: AcademyState, content: Content) -> list[Unit]:
    course = state.units[content.course_id]
    return [course, state.units[course.group_id]] if course.group_id else [course]


def start_content(state: AcademyState, learner: Learner, content: Content, now: int) -> Progress:
    """Open a lesson or quiz; the first content opened in a course or group also starts it."""
    units = _units_of(state, content)
    fresh = [u for u in units if not any(c.id in learner.progress for c in u.contents)]
    progress = learner.progress[content.id] = Progress(started_at=now)
    state.touch(learner)
    for unit in fresh:
        state.emit(events.unit_started(state, learner, unit))
    state.emit(events.content_started(state, learner, content, progress))
    return progress


def _completed(state: AcademyState, learner: Learner, content: Content) -> None:
    """After ``content`` passed: finish its course and group if that completed them."""
    for unit in _units_of(state, content):
        standing = state.unit_progress(learner, unit)
        if not standing.completed or standing.finished_at is None:
            return  # a group cannot be complete while its course is not
        state.emit(events.unit_finished(state, learner, unit, content))
        if unit.gives_certificate:
            state.emit(events.certificate_issued(state, learner, unit, standing.finished_at))


def finish_lesson(state: AcademyState, learner: Learner, lesson: Content, now: int, spent: int) -> None:
    progress = learner.progress[lesson.id]
    progress.time_sec += spent
    progress.finished_at = now
    state.touch(learner)
    state.emit(events.content_finished(state, learner, lesson, progress))
    _completed(state, learner, lesson)


def attempt_quiz(state: AcademyState, learner: Learner, quiz: Content, now: int, score: int, spent: int) -> bool:
    """Record one finished attempt; returns whether it passed.

    A failed attempt that used the last allowed one also emits learner.end_quiz_attempts.
    """
    progress = learner.progress[quiz.id]
    progress.attempts += 1
    progress.time_sec += spent
    progress.score = score
    progress.finished_at = now
    state.touch(learner)
    state.emit(events.content_finished(state, learner, quiz, progress, attempt_time=spent))
    if score >= quiz.passing_score:
        _completed(state, learner, quiz)
        return True
    if progress.attempts >= learner.allowed_attempts(quiz):
        state.emit(events.end_quiz_attempts(state, learner, quiz))
    return False
