"""Each tool's input: the options it sends, and the arguments it refuses (and why)."""

from __future__ import annotations

import json

import pytest

from ao_mcp.schemas import input_schema
from pydantic import ValidationError

from ao_mcp.actions import API_TOOLS
from ao_mcp.encoding import encode_form

from action_samples import JOHN, MARIA, VALID_CALLS

BY_NAME = {spec.name: spec for spec in API_TOOLS}


def options(tool: str, **args):
    return BY_NAME[tool].input(**args).to_options()


def rejection(tool: str, **args) -> str:
    with pytest.raises(ValidationError) as caught:
        BY_NAME[tool].input(**args)
    return str(caught.value)


@pytest.mark.parametrize("tool", list(VALID_CALLS))
def test_valid_call_sends_exactly_the_documented_options(tool):
    args, expected = VALID_CALLS[tool]
    assert options(tool, **args) == expected


def test_every_tool_has_a_valid_call_fixture():
    assert set(VALID_CALLS) == set(BY_NAME)


# tool, arguments, words the message must contain (the field, and why)
INVALID = [
    ("learners", {"email": "john.smith(at)example.com"}, ["email", "not an email address"]),
    ("learners", {"dates": ["2017-07-25 23:59:59", "2017-07-25 00:00:00"]}, ["dates", "must be earlier"]),
    ("learners", {"dates": ["2017-07-25"]}, ["dates", "at least 2 items"]),
    ("learners", {"dates": ["2017-07-25", "25/07/2017"]}, ["dates", "not a date", "YYYY-MM-DD"]),
    ("learners", {"max_items": 5000}, ["max_items", "less than or equal to 1000"]),
    ("courses", {"max_items": 0}, ["max_items", "greater than or equal to 1"]),
    ("certificates", {}, ["email", "Field required"]),
    ("learners_progress_by_course", {}, ["course_id or course_slug"]),
    ("learners_progress_by_course", {"course_id": "c1", "page": 0}, ["page", "greater than or equal to 1"]),
    ("learners_progress_by_course", {"course_slug": "my-course", "amount": 5000}, ["amount", "1000"]),
    ("course_progress", {"email": JOHN, "course_type": "draft"}, ["course_type", "'published' or 'unpublished'"]),
    ("learners_amount_from_countries", {"country_iso_code": "USA"}, ["country_iso_code", "not an ISO 3166-1"]),
    ("learners_from_country", {"country_iso_code": "UK"}, ["country_iso_code", "use GB"]),
    ("learners_from_country", {"country_iso_code": "XX"}, ["country_iso_code", "not an ISO 3166-1 alpha-2"]),
    ("learners_with_score", {"score": 40, "operator": "=="}, ["operator", "not a comparison operator", "<>"]),
    ("learners_with_score", {"score": 140}, ["score", "less than or equal to 100"]),
    ("learners_registered_at", {}, ["give date", "or dates"]),
    ("learners_registered_at", {"date": "2017-09-24", "dates": ["2017-09-24", "2017-09-27"]}, ["not both", "ignore"]),
    ("learners_registered_at", {"dates": ["2017-09-24", "2017-09-27"], "operator": ">"}, ["operator applies to date"]),
    ("learners_registered_at", {"date": "2017-02-30"}, ["date", "not a date"]),
    ("learners_course_complete", {"course_id": ""}, ["course_id", "at least 1 character"]),
    ("passive_learners", {"max_items": -1}, ["max_items"]),
    ("invite_learners", {"learners": []}, ["learners", "at least 1 item"]),
    (
        "invite_learners",
        {"learners": [{"email": JOHN, "name": "John", "type": "admin"}]},
        ["learners.0.type", "'learner' or 'manager'"],
    ),
    ("invite_learners", {"learners": [{"email": JOHN, "type": "learner"}]}, ["learners.0.name", "Field required"]),
    ("check_learner_invite", {"emails": [JOHN, "maria"]}, ["emails.1", "not an email address"]),
    ("learners_churn_at_content", {"course_id": "my-course"}, ["content_id", "Field required"]),
    ("learners_repeated_log_ins", {"max_items": 1001}, ["max_items"]),
    ("academies", {"max_items": "all"}, ["max_items", "valid integer"]),
    ("create_login_token", {"academy_id": "a1", "email": JOHN, "content_id": "x"}, ["content_id needs course_id"]),
    ("create_login_token", {"academy_id": "a1", "email": JOHN, "lesson": "intro"}, ["lesson and quiz need course"]),
    ("create_login_token", {"academy_id": "a1", "email": JOHN, "quiz": "final"}, ["lesson and quiz need course"]),
    (
        "create_login_token",
        {"academy_id": "a1", "email": JOHN, "course": "my-course", "content_id": "x", "course_id": "c1"},
        ["course/lesson/quiz", "course_id/content_id", "not both"],
    ),
    ("create_login_token", {"email": JOHN}, ["academy_id", "Field required"]),
    (
        "set_lesson_variables",
        {"academy_id": "a1", "records": {JOHN: [{"key": "FavouriteColour", "value": "blue"}]}},
        ["key", "not snake_case"],
    ),
    (
        "set_lesson_variables",
        {"academy_id": "a1", "records": {JOHN: [{"key": "colour", "value": "blue", "type": 5}]}},
        ["type", "less than or equal to 4"],
    ),
    (
        "set_lesson_variables",
        {"academy_id": "a1", "records": {"john": [{"key": "colour", "value": "blue"}]}},
        ["records", "'john' is not an email address"],
    ),
    ("set_lesson_variables", {"academy_id": "a1", "records": {JOHN: []}}, ["records", "at least 1 item"]),
    ("get_learner_variable", {"records": {}}, ["records", "at least 1 item"]),
    ("get_teams", {"records": "courses"}, ["records", "'course'"]),
    ("add_learners_to_teams", {"teams": [], "learners": [JOHN]}, ["teams", "at least 1 item"]),
    ("remove_learners_from_teams", {"learners": [{"email": JOHN}]}, ["learners.0.teams", "Field required"]),
    ("revoke_learners_access", {"learners": ["not-an-email"]}, ["learners.0", "not an email address"]),
    ("return_learners_access", {"learners": []}, ["learners", "at least 1 item"]),
    ("get_learners_quiz_statistic", {"records": {JOHN: []}}, ["records", "at least 1 item"]),
    ("add_learner_quiz_attempts", {"quiz_id": "Lzq0wffwfq"}, ["email", "Field required"]),
    ("delete_learner_invite", {"emails": []}, ["emails", "at least 1 item"]),
    ("delete_learners", {"is_permanently_delete": True}, ["emails or ids"]),
    ("delete_learners", {"emails": ["nobody"]}, ["emails.0", "not an email address"]),
    ("course_certificate_variables", {}, ["course_id", "Field required"]),
    (
        "update_course_certificate_variables",
        {"course_id": "c1", "certificate_variables": [{"code": "variable_2", "name": "Example 2", "type": "text"}]},
        ["certificate_variables.0.value", "Field required"],
    ),
    (
        "update_course_certificate_variables",
        {"course_id": "c1", "certificate_variables": [{"code": "v", "name": "n", "type": "video", "value": None}]},
        ["certificate_variables.0.type", "'text' or 'image_url'"],
    ),
]


@pytest.mark.parametrize(("tool", "args", "words"), INVALID, ids=[f"{case[0]}-{n}" for n, case in enumerate(INVALID)])
def test_invalid_call_is_refused_with_a_message_naming_the_field(tool, args, words):
    message = rejection(tool, **args)
    for word in words:
        assert word in message


def test_every_tool_has_an_invalid_call():
    assert {case[0] for case in INVALID} == set(BY_NAME)


# --------------------------------------------------------------------------- loose documentation


def test_score_operator_typos_from_the_documentation_are_normalised():
    assert options("learners_with_score", score=40, operator="=>") == {"score": 40, "operator": ">="}
    assert options("learners_registered_at", date="2017-09-24", operator="=<")["operator"] == "<="


def test_only_the_six_documented_operators_are_advertised():
    schema = input_schema(BY_NAME["learners_with_score"])
    assert schema["properties"]["operator"]["enum"] == ["=", ">", "<", ">=", "<=", "<>"]


def test_country_code_is_case_insensitive_and_sent_upper_case():
    assert options("learners_from_country", country_iso_code=" ua ") == {"country_iso_code": "UA"}


def test_dates_accept_date_only_and_iso_t_separator():
    assert options("learners", dates=["2017-07-25", "2017-07-25T23:59:59"]) == {
        "dates": ["2017-07-25", "2017-07-25 23:59:59"]
    }


def test_registered_at_takes_a_date_range_alone():
    assert options("learners_registered_at", dates=["2017-09-24 00:00:00", "2017-09-27 23:59:59"]) == {
        "dates": ["2017-09-24 00:00:00", "2017-09-27 23:59:59"]
    }


def test_progress_by_course_takes_the_slug_alone():
    assert options("learners_progress_by_course", course_slug="my-course") == {"course_slug": "my-course"}


def test_true_false_strings_are_booleans_sent_as_1_and_0():
    learners = [{"email": JOHN, "name": "John Smith", "type": "learner"}]
    invite = options("invite_learners", learners=learners, is_send_email="True")
    assert invite["is_send_email"] is True
    assert "options%5Bis_send_email%5D=1" in encode_form({"action": "inviteLearners", "options": invite})
    assert options("delete_learner_invite", emails=[JOHN], is_delete_users="False")["is_delete_users"] is False


def test_certificate_variable_null_value_survives_to_options():
    sent = options(
        "update_course_certificate_variables",
        course_id="c1",
        certificate_variables=[{"code": "variable_2", "name": "Example 2", "type": "text", "value": None}],
    )
    assert sent["certificate_variables"] == [{"code": "variable_2", "name": "Example 2", "type": "text", "value": None}]
    assert json.loads(json.dumps(sent))["certificate_variables"][0]["value"] is None


def test_certificate_variable_img_url_is_read_as_image_url():
    sent = options(
        "update_course_certificate_variables",
        course_id="c1",
        certificate_variables=[{"code": "variable_1", "name": "Logo", "type": "img_url", "value": "logo.png"}],
    )
    assert sent["certificate_variables"][0]["type"] == "image_url"


def test_lesson_variable_numeric_value_is_sent_as_text():
    sent = options("set_lesson_variables", academy_id="a1", records={JOHN: [{"key": "seats", "value": 5, "type": 2}]})
    assert sent["records"][JOHN] == [{"key": "seats", "value": "5", "type": 2}]


def test_login_token_may_open_a_course_by_slug_or_id_alone():
    by_slug = options("create_login_token", academy_id="a1", email=JOHN, course="my-course", lesson="intro")
    assert by_slug["lesson"] == "intro"
    assert options("create_login_token", academy_id="a1", email=JOHN, course_id="c1")["course_id"] == "c1"


def test_emails_are_trimmed():
    assert options("certificates", email=f"  {JOHN} ") == {"email": JOHN}


# --------------------------------------------------------------------------- JSON strings


def test_records_sent_as_a_json_string_are_parsed():
    records = {JOHN: ["var_name_1"], MARIA: ["var_name_2"]}
    assert options("get_learner_variable", records=json.dumps(records)) == {"records": records}


def test_nested_lists_sent_as_json_strings_are_parsed():
    learners = [{"email": JOHN, "teams": ["teamID_42"]}]
    assert options("remove_learners_from_teams", learners=json.dumps(learners)) == {"learners": learners}
    assert options("learners", dates='["2017-07-25", "2017-07-26"]') == {"dates": ["2017-07-25", "2017-07-26"]}


def test_a_broken_json_string_is_reported_on_its_field():
    message = rejection("get_learners_quiz_statistic", records='{"john.smith@example.com": ["q1"]')
    assert "records" in message
