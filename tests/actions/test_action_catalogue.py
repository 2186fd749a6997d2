"""Meta-tests over the 30 API tools: names, hints, schemas and their cost."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from ao_mcp.actions import API_TOOLS, TOOLSETS
from ao_mcp.schemas import input_schema
from ao_mcp.spec import LOCAL_ARGUMENTS, ListOutput, ToolInput, ToolOutput

from action_samples import VALID_CALLS

ACTIONS = {
    "learners": "learners",
    "courses": "courses",
    "certificates": "certificates",
    "learners_progress_by_course": "learnersProgressByCourse",
    "course_progress": "courseProgress",
    "learners_amount_from_countries": "learnersAmountFromCountries",
    "learners_from_country": "learnersFromCountry",
    "learners_with_score": "learnersWithScore",
    "learners_registered_at": "learnersRegisteredAt",
    "learners_course_complete": "learnersCourseComplete",
    "passive_learners": "passiveLearners",
    "invite_learners": "inviteLearners",
    "check_learner_invite": "checkLearnerInvite",
    "learners_churn_at_content": "learnersChurnAtContent",
    "learners_repeated_log_ins": "learnersRepeatedLogIns",
    "academies": "academies",
    "create_login_token": "createLoginToken",
    "set_lesson_variables": "setLessonVariables",
    "get_learner_variable": "getLearnerVariable",
    "get_teams": "getTeams",
    "add_learners_to_teams": "addLearnersToTeams",
    "remove_learners_from_teams": "removeLearnersFromTeams",
    "revoke_learners_access": "revokeLearnersAccess",
    "return_learners_access": "returnLearnersAccess",
    "get_learners_quiz_statistic": "getLearnersQuizStatistic",
    "add_learner_quiz_attempts": "addLearnerQuizAttempts",
    "delete_learner_invite": "deleteLearnerInvite",
    "delete_learners": "deleteLearners",
    "course_certificate_variables": "courseCertificateVariables",
    "update_course_certificate_variables": "updateCourseCertificateVariables",
}

TOOLSET_OF = {
    "learners": "learners learners_with_score learners_registered_at learners_from_country "
    "learners_amount_from_countries passive_learners learners_repeated_log_ins delete_learners",
    "courses": "courses course_progress learners_progress_by_course learners_course_complete learners_churn_at_content",
    "invites": "invite_learners check_learner_invite delete_learner_invite",
    "teams": "get_teams add_learners_to_teams remove_learners_from_teams revoke_learners_access return_learners_access",
    "variables": "set_lesson_variables get_learner_variable",
    "quizzes": "get_learners_quiz_statistic add_learner_quiz_attempts",
    "certificates": "certificates course_certificate_variables update_course_certificate_variables",
    "academies": "academies create_login_token",
}

READ_ONLY = {
    "learners", "courses", "certificates", "learners_progress_by_course", "course_progress",
    "learners_amount_from_countries", "learners_from_country", "learners_with_score",
    "learners_registered_at", "learners_course_complete", "passive_learners", "check_learner_invite",
    "learners_churn_at_content", "learners_repeated_log_ins", "academies", "get_learner_variable",
    "get_teams", "get_learners_quiz_statistic", "course_certificate_variables",
}  # fmt: skip
DESTRUCTIVE = {
    "delete_learners", "delete_learner_invite", "revoke_learners_access",
    "remove_learners_from_teams", "update_course_certificate_variables",
}  # fmt: skip
NOT_IDEMPOTENT = {"invite_learners", "create_login_token", "add_learner_quiz_attempts"}
CONFIRMED = {"delete_learners", "delete_learner_invite", "revoke_learners_access"}

BY_NAME = {spec.name: spec for spec in API_TOOLS}
ALL = pytest.mark.parametrize("spec", API_TOOLS, ids=lambda spec: spec.name)


def _strip_titles(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _strip_titles(value) for key, value in node.items() if not (key == "title" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [_strip_titles(value) for value in node]
    return node


def _schema_chars(spec) -> int:
    schema = _strip_titles(input_schema(spec))
    advertised = {"name": spec.name, "description": spec.description, "inputSchema": schema}
    return len(json.dumps(advertised, separators=(",", ":"), ensure_ascii=False))


def _properties(schema: Any):
    """Every property at any depth: nested models sit in ``$defs`` or in place (array items)."""
    if isinstance(schema, list):
        for item in schema:
            yield from _properties(item)
        return
    if not isinstance(schema, dict):
        return
    for name, prop in schema.get("properties", {}).items():
        yield name, prop
        yield from _properties(prop)
    for key in ("$defs", "items", "anyOf", "additionalProperties"):
        value = schema.get(key)
        yield from _properties(list(value.values()) if key == "$defs" and isinstance(value, dict) else value)


def test_the_30_documented_actions_in_documentation_order():
    assert [spec.name for spec in API_TOOLS] == list(ACTIONS)
    assert {spec.name: spec.action for spec in API_TOOLS} == ACTIONS
    assert all(spec.run is None for spec in API_TOOLS)


def test_toolsets_are_described_and_hold_the_listed_tools():
    assert set(TOOLSETS) == set(TOOLSET_OF)
    for toolset, names in TOOLSET_OF.items():
        assert {spec.name for spec in API_TOOLS if spec.toolset == toolset} == set(names.split())
        assert TOOLSETS[toolset] and "\n" not in TOOLSETS[toolset]


def test_hints():
    assert {spec.name for spec in API_TOOLS if spec.read_only} == READ_ONLY
    assert {spec.name for spec in API_TOOLS if spec.destructive} == DESTRUCTIVE
    assert {spec.name for spec in API_TOOLS if not spec.idempotent} == NOT_IDEMPOTENT
    assert all(spec.open_world for spec in API_TOOLS)


def test_confirmation_is_asked_by_exactly_the_three_irreversible_tools():
    assert {spec.name for spec in API_TOOLS if spec.confirm} == CONFIRMED
    assert {spec.name for spec in API_TOOLS if "confirm" in spec.input.model_fields} == CONFIRMED


@ALL
def test_title_and_description(spec):
    assert 0 < len(spec.title) <= 40
    lines = spec.description.split("\n")
    assert len(lines) == 2 and all(lines), "one line of what it returns, one of when to use it"
    assert len(spec.description) <= 250


@ALL
def test_models_derive_from_the_contract(spec):
    assert issubclass(spec.input, ToolInput)
    assert issubclass(spec.output, ToolOutput)


@ALL
def test_list_tools_cap_a_list_and_take_max_items(spec):
    takes_max_items = "max_items" in spec.input.model_fields
    if spec.list_field is None:
        assert not issubclass(spec.output, ListOutput)
        assert not takes_max_items
        return
    assert issubclass(spec.output, ListOutput)
    assert takes_max_items
    schema = spec.output.model_json_schema()
    assert schema["properties"][spec.list_field]["type"] == "array"
    max_items = input_schema(spec)["properties"]["max_items"]
    assert (max_items["minimum"], max_items["maximum"]) == (1, 1000)


@ALL
def test_input_schema_has_no_top_level_union_and_every_field_described(spec):
    schema = input_schema(spec)
    assert schema["type"] == "object"
    assert not {"anyOf", "oneOf", "allOf"} & set(schema)
    for name, prop in _properties(schema):
        assert prop.get("description"), f"{spec.name}.{name} has no description"
        assert len(prop["description"]) <= 60, f"{spec.name}.{name}: description too long"
        assert "examples" not in prop


@ALL
def test_output_schema_is_an_object_with_described_fields(spec):
    schema = spec.output.model_json_schema()
    assert schema["type"] == "object"
    for name, prop in _properties(schema):
        assert prop.get("description"), f"{spec.name} output {name} has no description"
        assert "\n" not in prop["description"]


@ALL
def test_unknown_argument_is_rejected_by_name(spec):
    args, _ = VALID_CALLS[spec.name]
    with pytest.raises(ValidationError) as caught:
        spec.input(**args, colour_scheme="blue")
    assert "colour_scheme" in str(caught.value)
    assert "Extra inputs are not permitted" in str(caught.value)


@ALL
def test_local_arguments_are_never_sent(spec):
    args, _ = VALID_CALLS[spec.name]
    local = {name: value for name, value in (("max_items", 7), ("confirm", True)) if name in spec.input.model_fields}
    options = spec.input(**{**args, **local}).to_options()
    assert not LOCAL_ARGUMENTS & set(options)


def test_schema_budget():
    sizes = {spec.name: _schema_chars(spec) for spec in API_TOOLS}
    assert sum(sizes.values()) < 24_000, "the 30 tools must stay under ~6,000 tokens"
    assert max(sizes.values()) < 1_600, max(sizes, key=sizes.get)
