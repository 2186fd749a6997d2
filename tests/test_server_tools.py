"""Every tool through an in-memory MCP client against the sandbox: the wire, the answer, bad input.

For each tool a happy path checks the exact action and options that reached the
API (the sandbox's request log holds the raw body, compared with PHP's encoding
of the options written out here by hand) and that the result is structured and
valid; a bad input returns an error naming the field, and nothing is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from mcp import Client

from ao_mcp.config import Settings
from ao_mcp.encoding import encode_form
from ao_mcp.sandbox import Sandbox, SandboxConfig
from ao_mcp.server import all_tool_specs, build_server

pytestmark = pytest.mark.anyio

BASE_SETTINGS = Settings(sandbox=True, sandbox_activity=0.0, sandbox_reason="requested")


@dataclass
class World:
    """Ids from the generated academy that the calls below refer to."""

    academy: str
    course: str
    course_slug: str
    content: str
    quiz: str
    team: str
    learner: str
    other: str
    code: str


def pick(sandbox: Sandbox) -> World:
    state = sandbox.state
    academy = next(iter(state.academies))
    course = next(u for u in state.units.values() if u.academy_id == academy and u.kind == "course" and not u.group_id)
    quiz = next(c for c in course.contents if c.kind == "quiz")
    team = next(t for t in state.teams.values() if t.academy_id == academy)
    learners = [l for l in state.learner_list() if l.academy_id == academy]
    learner = next(l for l in learners if quiz.id in l.progress)
    other = next(l for l in learners if l is not learner)
    return World(academy, course.id, course.slug, course.contents[0].id, quiz.id, team.id, learner.email, other.email,
                 course.certificate_variables[0].code)


@pytest.fixture
async def setup() -> AsyncIterator[tuple[Client, Sandbox, World]]:
    sandbox = Sandbox(SandboxConfig(activity_interval=0.0))
    server = build_server(BASE_SETTINGS, sandbox=sandbox)
    async with Client(server) as client:
        yield client, sandbox, pick(sandbox)


def happy_paths(w: World) -> list[tuple[str, dict[str, Any], str, dict[str, Any]]]:
    """(tool, arguments, API action, options expected on the wire)."""
    new = "new.person@example.com"
    return [
        ("learners", {"email": w.learner, "with_teams": True, "max_items": 5}, "learners",
         {"email": w.learner, "with_teams": True}),
        ("learners", {"dates": ["2023-01-01", "2024-12-31 23:59:59"]}, "learners",
         {"dates": ["2023-01-01", "2024-12-31 23:59:59"]}),
        ("courses", {}, "courses", {}),
        ("certificates", {"email": w.learner}, "certificates", {"email": w.learner}),
        ("learners_progress_by_course", {"course_id": w.course, "page": 1, "amount": 5}, "learnersProgressByCourse",
         {"course_id": w.course, "page": 1, "amount": 5}),
        ("course_progress", {"email": w.learner, "with_academy": True}, "courseProgress",
         {"email": w.learner, "with_academy": True}),
        ("learners_amount_from_countries", {"country_iso_code": "us"}, "learnersAmountFromCountries",
         {"country_iso_code": "US"}),
        ("learners_from_country", {"country_iso_code": "ES"}, "learnersFromCountry", {"country_iso_code": "ES"}),
        ("learners_with_score", {"score": 50, "operator": "=>"}, "learnersWithScore", {"score": 50, "operator": ">="}),
        ("learners_registered_at", {"date": "2023-06-01", "operator": ">"}, "learnersRegisteredAt",
         {"date": "2023-06-01", "operator": ">"}),
        ("learners_course_complete", {"course_id": w.course_slug}, "learnersCourseComplete", {"course_id": w.course_slug}),
        ("passive_learners", {}, "passiveLearners", {}),
        ("invite_learners",
         {"learners": [{"email": new, "name": "New Person", "type": "learner", "teams": [w.team]}], "is_send_email": False},
         "inviteLearners",
         {"learners": [{"email": new, "name": "New Person", "type": "learner", "teams": [w.team]}], "is_send_email": False}),
        ("check_learner_invite", {"emails": [new, w.learner]}, "checkLearnerInvite", {"emails": [new, w.learner]}),
        ("learners_churn_at_content", {"course_id": w.course, "content_id": w.content}, "learnersChurnAtContent",
         {"course_id": w.course, "content_id": w.content}),
        ("learners_repeated_log_ins", {}, "learnersRepeatedLogIns", {}),
        ("academies", {}, "academies", {}),
        ("create_login_token", {"academy_id": w.academy, "email": w.learner, "course_id": w.course}, "createLoginToken",
         {"academy_id": w.academy, "email": w.learner, "course_id": w.course}),
        ("set_lesson_variables",
         {"academy_id": w.academy, "records": {w.learner: [{"key": "favourite_colour", "value": "blue", "type": 0}]}},
         "setLessonVariables",
         {"academy_id": w.academy, "records": {w.learner: [{"key": "favourite_colour", "value": "blue", "type": 0}]}}),
        ("get_learner_variable", {"records": {w.learner: ["favourite_colour"]}}, "getLearnerVariable",
         {"records": {w.learner: ["favourite_colour"]}}),
        ("get_teams", {"records": "course"}, "getTeams", {"records": "course"}),
        ("add_learners_to_teams", {"teams": [w.team], "learners": [w.other]}, "addLearnersToTeams",
         {"teams": [w.team], "learners": [w.other]}),
        ("remove_learners_from_teams", {"learners": [{"email": w.other, "teams": [w.team]}]}, "removeLearnersFromTeams",
         {"learners": [{"email": w.other, "teams": [w.team]}]}),
        ("revoke_learners_access", {"learners": [w.other], "confirm": True}, "revokeLearnersAccess",
         {"learners": [w.other]}),
        ("return_learners_access", {"learners": [w.other]}, "returnLearnersAccess", {"learners": [w.other]}),
        ("get_learners_quiz_statistic", {"records": {w.learner: [w.quiz]}}, "getLearnersQuizStatistic",
         {"records": {w.learner: [w.quiz]}}),
        ("add_learner_quiz_attempts", {"quiz_id": w.quiz, "email": w.learner}, "addLearnerQuizAttempts",
         {"quiz_id": w.quiz, "email": w.learner}),
        ("delete_learner_invite", {"emails": [new], "confirm": True}, "deleteLearnerInvite", {"emails": [new]}),
        ("course_certificate_variables", {"course_id": w.course}, "courseCertificateVariables", {"course_id": w.course}),
        ("update_course_certificate_variables",
         {"course_id": w.course, "certificate_variables": [{"code": w.code, "name": "Skill", "type": "text", "value": "Sales"}]},
         "updateCourseCertificateVariables",
         {"course_id": w.course, "certificate_variables": [{"code": w.code, "name": "Skill", "type": "text", "value": "Sales"}]}),
        ("delete_learners", {"emails": [w.other], "is_permanently_delete": True, "confirm": True}, "deleteLearners",
         {"is_permanently_delete": True, "emails": [w.other]}),
    ]


async def test_every_api_tool_sends_the_documented_request_and_returns_structured_results(setup):
    client, sandbox, world = setup
    listed = {tool.name: tool for tool in (await client.list_tools()).tools}
    covered = set()
    for tool, arguments, action, options in happy_paths(world):
        before = len(sandbox.requests)
        result = await client.call_tool(tool, arguments)
        text = result.content[0].text if result.content else ""
        assert not result.is_error, f"{tool}: {text}"
        sent = list(sandbox.requests)[before:]
        assert len(sent) == 1, tool
        assert sent[0].action == action
        assert sent[0].body == encode_form({"action": action, "options": options}).encode(), tool
        structured = result.structured_content
        assert isinstance(structured, dict) and structured["simulated"] is True
        assert listed[tool].output_schema is not None
        covered.add(tool)
    api_tools = {spec.name for spec in all_tool_specs() if spec.action}
    assert covered == api_tools


async def test_write_then_read_through_the_tools(setup):
    client, sandbox, w = setup
    await client.call_tool("set_lesson_variables",
                           {"academy_id": w.academy, "records": {w.learner: [{"key": "shoe_size", "value": "42"}]}})
    read = await client.call_tool("get_learner_variable", {"records": {w.learner: ["shoe_size"]}})
    assert read.structured_content["learners"] == [{"email": w.learner, "variables": {"shoe_size": "42"}}]
    await client.call_tool("delete_learners", {"emails": [w.other], "confirm": True})
    found = await client.call_tool("learners", {"email": w.other})
    assert found.structured_content["learners"] == [] and found.structured_content["total"] == 0


def bad_inputs(w: World) -> list[tuple[str, dict[str, Any], str]]:
    """(tool, arguments, text the error must contain)."""
    return [
        ("learners", {"email": "not-an-email"}, "email"),
        ("learners", {"dates": ["2024-01-02", "2024-01-01"]}, "earlier"),
        ("courses", {"bogus": 1}, "bogus: unknown argument"),
        ("certificates", {}, "email: required"),
        ("learners_progress_by_course", {"page": 1}, "course_id or course_slug"),
        ("course_progress", {"email": w.learner, "course_type": "sometimes"}, "course_type"),
        ("learners_amount_from_countries", {"country_iso_code": "ZZ"}, "country_iso_code"),
        ("learners_from_country", {"country_iso_code": "UK"}, "use GB"),
        ("learners_with_score", {"score": 50, "operator": "~"}, "operator"),
        ("learners_registered_at", {}, "date"),
        ("learners_course_complete", {"course_id": ""}, "course_id"),
        ("passive_learners", {"max_items": 0}, "max_items"),
        ("invite_learners", {"learners": [{"email": "a@example.com", "name": "A", "type": "admin"}]}, "type"),
        ("check_learner_invite", {"emails": "a@example.com"}, "emails"),
        ("learners_churn_at_content", {"course_id": w.course}, "content_id: required"),
        ("learners_repeated_log_ins", {"extra": True}, "extra: unknown argument"),
        ("academies", {"max_items": 5000}, "max_items"),
        ("create_login_token", {"academy_id": w.academy, "email": w.learner, "content_id": "x"}, "course_id"),
        ("set_lesson_variables", {"academy_id": w.academy, "records": {w.learner: [{"key": "Bad Key", "value": "1"}]}},
         "snake_case"),
        ("get_learner_variable", {"records": {"nobody": ["x"]}}, "records"),
        ("get_teams", {"records": "lessons"}, "records"),
        ("add_learners_to_teams", {"teams": [], "learners": [w.learner]}, "teams"),
        ("remove_learners_from_teams", {"learners": [{"email": w.learner}]}, "teams: required"),
        ("revoke_learners_access", {"learners": ["x"], "confirm": True}, "learners"),
        ("return_learners_access", {}, "learners: required"),
        ("get_learners_quiz_statistic", {"records": '{"a@example.com": "not a list"}'}, "records"),
        ("add_learner_quiz_attempts", {"quiz_id": w.quiz}, "email: required"),
        ("delete_learner_invite", {"emails": ["nope"], "confirm": True}, "emails"),
        ("delete_learners", {"confirm": True}, "emails or ids"),
        ("course_certificate_variables", {}, "course_id: required"),
        ("update_course_certificate_variables",
         {"course_id": w.course, "certificate_variables": [{"code": "v", "name": "n", "type": "text"}]}, "value"),
    ]


async def test_bad_input_is_an_error_naming_the_field_and_nothing_is_sent(setup):
    client, sandbox, world = setup
    covered = set()
    for tool, arguments, words in bad_inputs(world):
        before = len(sandbox.requests)
        result = await client.call_tool(tool, arguments)
        assert result.is_error, tool
        text = result.content[0].text
        assert text.startswith(f"Invalid arguments for {tool}; nothing was sent"), text
        assert words in text, (tool, text)
        assert len(sandbox.requests) == before, tool
        covered.add(tool)
    assert covered == {spec.name for spec in all_tool_specs() if spec.action}


async def test_json_string_arguments_are_parsed(setup):
    client, sandbox, w = setup
    result = await client.call_tool("get_learner_variable", {"records": f'{{"{w.learner}": ["favourite_colour"]}}'})
    assert not result.is_error, result.content[0].text
    assert sandbox.requests[-1].options == {"records": {w.learner: ["favourite_colour"]}}


async def test_api_errors_are_error_results_with_the_api_message(setup):
    client, sandbox, w = setup
    result = await client.call_tool("course_certificate_variables", {"course_id": "no-such-course"})
    assert result.is_error
    assert result.content[0].text.startswith("AcademyOcean rejected courseCertificateVariables: ")


async def test_list_results_are_capped_and_say_so(setup):
    client, _, _ = setup
    capped = await client.call_tool("learners", {"max_items": 3})
    assert capped.structured_content["count"] == 3 and capped.structured_content["truncated"] is True
    assert capped.structured_content["total"] == 200
    default = await client.call_tool("learners", {})
    assert default.structured_content["count"] == BASE_SETTINGS.max_items


async def test_budget_cuts_large_results_to_fit(setup):
    sandbox = Sandbox(SandboxConfig(activity_interval=0.0))
    server = build_server(replace(BASE_SETTINGS, max_result_chars=5_000), sandbox=sandbox)
    async with Client(server) as client:
        result = await client.call_tool("learners", {"max_items": 1000})
    structured = result.structured_content
    assert structured["truncated"] is True and 0 < structured["count"] < 200
    assert len(result.content[0].text) <= 5_000 + 200
