"""Write actions: their answers, their validation, and that later reads show the change."""

from __future__ import annotations

import re

import pytest

from ao_mcp.sandbox import Sandbox
from ao_mcp.sandbox.state import Learner, Team

from .helpers import Api

pytestmark = pytest.mark.anyio


def first_academy_learner(sandbox: Sandbox, **where: object) -> Learner:
    academy_id = next(iter(sandbox.state.academies))
    return next(lr for lr in sandbox.state.learners.values()
                if lr.academy_id == academy_id and all(getattr(lr, k) == v for k, v in where.items()))


def opening_team(sandbox: Sandbox, learner: Learner) -> Team:
    """A team of the learner's academy that opens a course the learner does not have yet."""
    have = {u.id for u in sandbox.state.available(learner).units}
    return next(t for t in sandbox.state.teams.values()
                if t.academy_id == learner.academy_id and t.id not in learner.teams
                and any(uid not in have and sandbox.state.units[uid].is_published for uid in t.unit_ids))


async def test_invite_then_check_invite(api: Api, sandbox: Sandbox) -> None:
    registered = next(iter(sandbox.state.learners.values()))
    team = next(iter(sandbox.state.teams.values()))
    answer = await api.ok("inviteLearners", {"is_send_email": "True", "learners": [
        {"email": "new.one@example.com", "name": "New One", "type": "learner", "teams": [team.id]},
        {"email": "boss@example.com", "name": "The Boss", "type": "manager"},
        {"email": "new.one@example.com", "name": "New One", "type": "learner"},  # repeat: not counted
        {"email": registered.email, "name": registered.name, "type": "learner"},  # registered: not counted
    ]})
    assert answer == {"invited": 2}
    check = await api.ok("checkLearnerInvite", {"emails": ["new.one@example.com", "boss@example.com"]})
    assert check["new.one@example.com"] == {"is_found": True, "is_used": False, "used_at": None}
    assert check["boss@example.com"]["is_found"] is True
    assert sandbox.state.invites["new.one@example.com"].teams == [team.id]
    assert await api.ok("inviteLearners", {"learners": [
        {"email": "new.one@example.com", "name": "New One", "type": "learner"}]}) == {"invited": 0}


async def test_invite_validation(api: Api) -> None:
    assert await api.error("inviteLearners") == "The learners field is required."
    assert await api.error("inviteLearners", {"learners": [{"email": "a@example.com", "type": "learner"}]}) == \
        "The learners.0.name field is required."
    assert await api.error("inviteLearners", {"learners": [
        {"email": "a@example.com", "name": "A", "type": "admin"}]}) == "The selected learners.0.type is invalid."
    assert await api.error("inviteLearners", {"learners": [
        {"email": "a@example.com", "name": "A", "type": "learner", "teams": ["NoTeam"]}]}) == \
        'The selected learners.0.teams.0 "NoTeam" does not exist.'


async def test_delete_learner_invite(api: Api, sandbox: Sandbox) -> None:
    pending = next(i for i in sandbox.state.invites.values() if i.used_at is None)
    assert await api.ok("deleteLearnerInvite", {"emails": [pending.email]}) == ["done"]
    check = await api.ok("checkLearnerInvite", {"emails": [pending.email]})
    assert check[pending.email]["is_found"] is False
    learner = next(iter(sandbox.state.learners.values()))
    await api.ok("deleteLearnerInvite", {"emails": [learner.email], "is_delete_users": True})
    assert await api.ok("learners", {"email": learner.email}) == []
    assert await api.error("deleteLearnerInvite") == "The emails field is required."


async def test_delete_learners_by_email_and_id(api: Api, sandbox: Sandbox) -> None:
    rows = await api.ok("learners")
    by_email, by_id = rows[0], rows[1]
    answer = await api.ok("deleteLearners", {"is_permanently_delete": True, "emails": [by_email["email"]],
                                             "ids": [by_id["id"], "unknownId"]})
    assert answer == {"deleted": 2}
    remaining = await api.ok("learners")
    assert len(remaining) == len(rows) - 2
    assert {by_email["email"], by_id["email"]}.isdisjoint(row["email"] for row in remaining)
    countries = await api.ok("learnersAmountFromCountries")
    assert sum(row["amount"] for row in countries) == len(rows) - 2
    assert await api.ok("deleteLearners", {"emails": [by_email["email"]]}) == {"deleted": 0}
    assert await api.error("deleteLearners") == "The emails field is required when ids is not present."


async def test_create_login_token(api: Api, sandbox: Sandbox) -> None:
    academy = next(iter(sandbox.state.academies.values()))
    answer = await api.ok("createLoginToken", {"academy_id": academy.id, "email": "someone@example.com"})
    assert set(answer) == {"link"}
    assert re.match(rf"^https://{academy.slug}\.academyocean\.com/auth/token/[\w-]{{20,}}$", answer["link"])
    again = await api.ok("createLoginToken", {"academy_id": academy.id, "email": "someone@example.com"})
    assert again["link"] != answer["link"]  # one-off links
    course = next(u for u in sandbox.state.top_units(academy.id) if u.kind == "course")
    lesson = next(c for c in course.contents if c.kind == "lesson")
    quiz = next(c for c in course.contents if c.kind == "quiz")
    base = {"academy_id": academy.id, "email": "someone@example.com"}
    await api.ok("createLoginToken", {**base, "course": course.slug, "lesson": lesson.slug, "quiz": quiz.slug,
                                      "first_name": "Some", "last_name": "One", "ignore_academy_privacy_mode": False})
    await api.ok("createLoginToken", {**base, "course_id": course.id, "content_id": quiz.id})
    await api.ok("createLoginToken", {**base, "course_id": course.id})


async def test_create_login_token_rules(api: Api, sandbox: Sandbox) -> None:
    academy = next(iter(sandbox.state.academies.values()))
    course = next(u for u in sandbox.state.top_units(academy.id) if u.kind == "course")
    other = next(u for u in sandbox.state.top_units(academy.id) if u.kind == "course" and u is not course)
    lesson = next(c for c in course.contents if c.kind == "lesson")
    base = {"academy_id": academy.id, "email": "someone@example.com"}
    cases = {
        "The course field is required when lesson is present.": {"lesson": lesson.slug},
        "The course field prohibits course_id from being present.": {"course": course.slug, "course_id": course.id},
        "The course_id field is required when content_id is present.": {"content_id": lesson.id},
        f'The content_id "{lesson.id}" is not content of the course {other.id}.':
            {"course_id": other.id, "content_id": lesson.id},
        'The selected lesson "no-such-lesson" does not exist.': {"course": course.slug, "lesson": "no-such-lesson"},
        "The academy_id field is required.": {"academy_id": None},
        'The selected academy_id "nope" does not exist.': {"academy_id": "nope"},
        "The email field is required.": {"email": None},
        'The selected teams.0 "ghost" does not exist.': {"teams": ["ghost"]},
    }
    for message, change in cases.items():
        options = {k: v for k, v in {**base, **change}.items() if v is not None}
        assert await api.error("createLoginToken", options) == message
    assert "prohibits course_id" in await api.error(
        "createLoginToken", {**base, "course_id": course.id, "lesson": lesson.slug, "course": None})


async def test_private_academy_link_needs_an_invite_unless_privacy_is_ignored(api: Api, sandbox: Sandbox) -> None:
    academy = next(a for a in sandbox.state.academies.values() if a.is_private)
    base = {"academy_id": academy.id, "email": "stranger@example.com"}
    await api.ok("createLoginToken", base)  # privacy ignored by default
    assert "private mode" in await api.error("createLoginToken", {**base, "ignore_academy_privacy_mode": False})
    await api.ok("inviteLearners", {"learners": [{"email": "stranger@example.com", "name": "S", "type": "learner"}]})
    sandbox.state.invites["stranger@example.com"].academy_id = academy.id
    await api.ok("createLoginToken", {**base, "ignore_academy_privacy_mode": False})


async def test_revoke_then_return_access(api: Api, sandbox: Sandbox) -> None:
    learner = first_academy_learner(sandbox)
    link = {"academy_id": learner.academy_id, "email": learner.email}
    assert await api.ok("revokeLearnersAccess", {"learners": [learner.email, "nobody@example.com"]}) == ["done"]
    assert sandbox.state.learner(learner.email).revoked
    assert await api.error("createLoginToken", link) == f"Access to the academy has been revoked for {learner.email}."
    # The progress is kept while blocked.
    assert (await api.ok("learners", {"email": learner.email}))[0]["lessons_opened"] == len(learner.progress)
    assert await api.ok("returnLearnersAccess", {"learners": [learner.email]}) == ["done"]
    await api.ok("createLoginToken", link)
    assert await api.error("revokeLearnersAccess") == "The learners field is required."
    assert await api.error("returnLearnersAccess", {"learners": ["x"]}) == \
        "The learners.0 field must be a valid email address."


async def test_set_then_get_lesson_variables(api: Api, sandbox: Sandbox) -> None:
    learner = first_academy_learner(sandbox)
    records = {learner.email: [
        {"key": "favourite_colour", "value": "teal", "type": 0, "default_value": "grey"},
        {"key": "seats", "value": "12"},
    ]}
    assert await api.ok("setLessonVariables", {"academy_id": learner.academy_id, "records": records}) == ["done"]
    answer = await api.ok("getLearnerVariable", {"records": {learner.email: ["favourite_colour", "seats"]}})
    assert answer == {learner.email: {"favourite_colour": "teal", "seats": 12}}
    other = next(lr for lr in sandbox.state.learners.values()
                 if lr.academy_id == learner.academy_id and lr is not learner and not lr.variables)
    answer = await api.ok("getLearnerVariable", {"records": {other.email: ["favourite_colour"]}})
    assert answer == {other.email: {"favourite_colour": "grey"}}  # the new variable's default


async def test_set_lesson_variables_invites_unknown_learners_on_request(api: Api, sandbox: Sandbox) -> None:
    academy = next(iter(sandbox.state.academies.values()))
    records = {"future@example.com": [{"key": "team_lead", "value": "Ann"}]}
    await api.ok("setLessonVariables", {"academy_id": academy.id, "records": records})
    assert (await api.ok("checkLearnerInvite", {"emails": ["future@example.com"]}))[
        "future@example.com"]["is_found"] is False
    await api.ok("setLessonVariables", {"academy_id": academy.id, "records": records,
                                        "is_invite_learner_if_not_found": True})
    check = await api.ok("checkLearnerInvite", {"emails": ["future@example.com"]})
    assert check["future@example.com"]["is_found"] is True
    assert sandbox.state.invites["future@example.com"].variables == {"team_lead": "Ann"}


async def test_set_lesson_variables_validation(api: Api, sandbox: Sandbox) -> None:
    learner = first_academy_learner(sandbox)
    def opts(item: dict) -> dict:
        return {"academy_id": learner.academy_id, "records": {learner.email: [item]}}
    where = f"records.{learner.email}.0"
    assert await api.error("setLessonVariables", opts({"key": "NotSnake", "value": "x"})) == \
        f"The {where}.key field must be in snake case."
    assert await api.error("setLessonVariables", opts({"key": "ok_key"})) == f"The {where}.value field is required."
    assert await api.error("setLessonVariables", opts({"key": "ok_key", "value": "x", "type": 9})) == \
        f"The {where}.type field must be between 0 and 4."
    assert await api.error("setLessonVariables", opts({"key": "seats", "value": "many"})) == \
        f"The {where}.value field must be a number."
    assert await api.error("setLessonVariables", {"academy_id": "nope", "records": {}}) == \
        'The selected academy_id "nope" does not exist.'
    assert await api.error("setLessonVariables", {"academy_id": learner.academy_id}) == "The records field is required."
    # Nothing was half-applied by the failed calls.
    assert "ok_key" not in sandbox.state.academies[learner.academy_id].variables


async def test_add_learners_to_teams_then_reads_show_it(api: Api, sandbox: Sandbox) -> None:
    learner = first_academy_learner(sandbox, teams=())
    team = opening_team(sandbox, learner)
    before = await api.ok("courseProgress", {"email": learner.email})
    sent_before = len(sandbox.webhooks.sent)
    options = {"teams": [team.id], "learners": [learner.email, "outsider@example.com"], "send_invites": True}
    assert await api.ok("addLearnersToTeams", options) == ["done"]
    (row,) = await api.ok("learners", {"email": learner.email, "with_teams": True})
    assert row["teams"] == [{"id": team.id, "name": team.name}]
    after = await api.ok("courseProgress", {"email": learner.email})
    assert len(after) > len(before)
    invite = sandbox.state.invites["outsider@example.com"]
    assert invite.used_at is None and invite.teams == [team.id]
    events = [p["event"] for p in list(sandbox.webhooks.sent)[sent_before:]]
    assert events == ["team.new_learners", "learner.course.available"]
    # Joining again changes nothing and announces nothing.
    await api.ok("addLearnersToTeams", {"teams": [team.id], "learners": [learner.email]})
    assert len(sandbox.webhooks.sent) == sent_before + 2


async def test_add_learners_to_teams_validation(api: Api) -> None:
    assert await api.error("addLearnersToTeams", {"learners": ["a@example.com"]}) == "The teams field is required."
    assert await api.error("addLearnersToTeams", {"teams": ["ghost"], "learners": ["a@example.com"]}) == \
        'The selected teams.0 "ghost" does not exist.'


async def test_remove_learners_from_teams(api: Api, sandbox: Sandbox) -> None:
    learner = next(lr for lr in sandbox.state.learners.values() if len(lr.teams) >= 1)
    team_id = learner.teams[0]
    options = {"learners": [{"email": learner.email, "teams": [team_id]}]}
    assert await api.ok("removeLearnersFromTeams", options) == ["done"]
    (row,) = await api.ok("learners", {"email": learner.email, "with_teams": True})
    assert team_id not in {team["id"] for team in row["teams"]}
    assert await api.error("removeLearnersFromTeams", {"learners": [{"email": learner.email}]}) == \
        "The learners.0.teams field is required."
    assert await api.error("removeLearnersFromTeams", {"learners": ["x"]}) == "The learners.0 field must be an array."


async def test_add_learner_quiz_attempts(api: Api, sandbox: Sandbox) -> None:
    state = sandbox.state
    learner = next(iter(state.learners.values()))
    quiz = next(c for c in state.contents.values() if c.kind == "quiz")
    before = learner.allowed_attempts(quiz)
    assert await api.ok("addLearnerQuizAttempts", {"quiz_id": quiz.id, "email": learner.email}) == ["done"]
    await api.ok("addLearnerQuizAttempts", {"quiz_id": quiz.id, "email": learner.email}, as_json=True)
    assert state.learner(learner.email).allowed_attempts(quiz) == before + 2
    assert await api.error("addLearnerQuizAttempts", {"quiz_id": "nope", "email": learner.email}) == \
        'The selected quiz_id "nope" does not exist.'
    lesson = next(c for c in state.contents.values() if c.kind == "lesson")
    assert "does not exist" in await api.error("addLearnerQuizAttempts", {"quiz_id": lesson.id, "email": learner.email})
    assert await api.error("addLearnerQuizAttempts", {"quiz_id": quiz.id, "email": "nobody@example.com"}) == \
        'The selected email "nobody@example.com" does not exist.'


@pytest.mark.parametrize("as_json", [False, True])
async def test_update_then_read_certificate_variables(api: Api, sandbox: Sandbox, as_json: bool) -> None:
    unit = next(iter(sandbox.state.units.values()))
    update = {"course_id": unit.id, "certificate_variables": [
        {"code": "variable_1", "name": "Background", "type": "img_url", "value": "example.com/bg.png"},
        {"code": "variable_3", "name": "Skill", "type": "text", "value": None},  # form: simply absent
    ]}
    assert await api.ok("updateCourseCertificateVariables", update, as_json=as_json) == ["done"]
    answer = await api.ok("courseCertificateVariables", {"course_id": unit.id})
    by_code = {v["code"]: v for v in answer["certificate_variables"]}
    assert by_code["variable_1"] == {"code": "variable_1", "name": "Background", "type": "image_url",
                                     "value": "example.com/bg.png"}
    assert by_code["variable_3"] == {"code": "variable_3", "name": "Skill", "type": "text", "value": None}
    assert by_code["variable_2"]["name"] == "Variable 2 / Logotype"  # untouched


async def test_update_certificate_variables_validation(api: Api, sandbox: Sandbox) -> None:
    unit = next(iter(sandbox.state.units.values()))
    def opts(item: dict) -> dict:
        return {"course_id": unit.id, "certificate_variables": [item]}
    unknown = opts({"code": "variable_9", "name": "x", "type": "text"})
    assert await api.error("updateCourseCertificateVariables", unknown) == \
        'The selected certificate_variables.0.code "variable_9" does not exist.'
    bad_type = opts({"code": "variable_1", "name": "x", "type": "gif"})
    assert await api.error("updateCourseCertificateVariables", bad_type) == \
        "The selected certificate_variables.0.type is invalid."
    assert await api.error("updateCourseCertificateVariables", opts({"code": "variable_1", "type": "text"})) == \
        "The certificate_variables.0.name field is required."
    assert await api.error("updateCourseCertificateVariables", {"course_id": unit.id}) == \
        "The certificate_variables field is required."
