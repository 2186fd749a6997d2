"""Each tool's answer: the documentation's samples, real-world drift, and wrong kinds of answer."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ao_mcp.actions import API_TOOLS
from ao_mcp.errors import UpstreamError
from ao_mcp.tools import shape_answer

from action_samples import JOHN, LEARNER, LI, MARIA, SAMPLE_ANSWERS, VALID_CALLS

BY_NAME = {spec.name: spec for spec in API_TOOLS}
ALL = pytest.mark.parametrize("spec", API_TOOLS, ids=lambda spec: spec.name)


def answer(tool: str, raw: Any, **args) -> dict[str, Any]:
    """What the generic handler does: shape, fill the cap fields, validate."""
    spec = BY_NAME[tool]
    validated = spec.input(**(args or VALID_CALLS[tool][0]))
    shaped = shape_answer(spec, copy.deepcopy(raw), validated)
    assert isinstance(shaped, dict)
    if spec.list_field:
        items = shaped[spec.list_field]
        shaped = {**shaped, "count": len(items), "total": len(items), "truncated": False}
    return spec.output.model_validate(shaped).model_dump(mode="json")


@ALL
def test_documented_sample_answer_fits_the_output_model(spec):
    result = answer(spec.name, SAMPLE_ANSWERS[spec.name])
    if spec.list_field:
        assert result["count"] == len(result[spec.list_field]) > 0


@ALL
def test_wrong_kind_of_answer_is_an_upstream_error(spec):
    wrong = ["done"] if spec.name == "create_login_token" else "<html>Server Error</html>"
    with pytest.raises(UpstreamError) as caught:
        shape_answer(spec, wrong, spec.input(**VALID_CALLS[spec.name][0]))
    assert str(caught.value).startswith(f"AcademyOcean answered {spec.action} with ")
    assert caught.value.action == spec.action
    assert caught.value.status is None


@pytest.mark.parametrize("raw", [42, None])
def test_a_number_or_null_is_no_list(raw):
    expected = "AcademyOcean answered courses with (a number|null) where a list was expected"
    with pytest.raises(UpstreamError, match=expected):
        shape_answer(BY_NAME["courses"], raw, None)


# --------------------------------------------------------------------------- lists


def test_list_answers_are_wrapped_and_counted():
    result = answer("courses", SAMPLE_ANSWERS["courses"])
    assert result["courses"][0]["slug"] == "incidunt-course"
    assert result["count"] == result["total"] == 1


def test_an_empty_answer_is_an_empty_list():
    assert answer("learners", [])["learners"] == []
    # PHP writes an empty array that lost its keys as {}.
    assert answer("passive_learners", {})["learners"] == []


def test_a_php_array_with_gaps_in_its_keys_is_read_as_a_list():
    raw = {"0": LEARNER, "2": {**LEARNER, "email": MARIA}}
    assert [item["email"] for item in answer("learners_with_score", raw)["learners"]] == [JOHN, MARIA]


def test_learner_records_tolerate_drift():
    drifted = {"email": JOHN, "score": "37.5", "lessons_opened": "20", "favourite_colour": "blue"}
    (learner,) = answer("learners", [drifted])["learners"]
    assert learner["score"] == 37.5
    assert learner["lessons_opened"] == 20
    assert learner["favourite_colour"] == "blue"  # extra fields are kept
    assert learner["country"] is None  # missing optional fields are fine


def test_repeated_log_ins_add_the_log_in_count():
    (learner,) = answer("learners_repeated_log_ins", SAMPLE_ANSWERS["learners_repeated_log_ins"])["learners"]
    assert learner["log_ins_amount"] == 4
    assert learner["email"] == JOHN


def test_teams_with_courses_keep_numeric_course_ids():
    teams = answer("get_teams", SAMPLE_ANSWERS["get_teams"])["teams"]
    assert teams[0]["courses"] == [{"id": 2, "name": "2"}]
    assert teams[1]["courses"] is None


def test_course_completers_without_email_are_accepted():
    (learner,) = answer("learners_course_complete", SAMPLE_ANSWERS["learners_course_complete"])["learners"]
    assert learner["email"] is None and learner["date_of_passing"] == "2017-09-24T10:26:23+00:00"


def test_countries_single_object_is_read_as_one_country():
    raw = {"country_iso_code": "US", "country": "United States", "amount": "20"}
    assert answer("learners_amount_from_countries", raw)["countries"] == [
        {"country_iso_code": "US", "country": "United States", "amount": 20}
    ]


# --------------------------------------------------------------------------- course progress


def test_course_progress_coerces_the_samples_strings_and_floats():
    courses = answer("course_progress", SAMPLE_ANSWERS["course_progress"])["courses"]
    quiz = courses[0]["content_progress"][1]
    assert quiz["score"] == 5 and isinstance(quiz["score"], int)  # sent as "5"
    assert courses[0]["progress"] == 75.0
    assert quiz["is_timer_on"] is None  # the sample's is_time_on is read as is_timer_on
    assert courses[0]["content_progress"][2]["passed_at"] is None


def test_timer_flag_under_either_documented_name():
    quiz = {"id": "q1", "type": "quiz", "is_time_on": True}
    raw = [{"course_id": "c1", "content_progress": [quiz, {**quiz, "is_time_on": None, "is_timer_on": False}]}]
    content = answer("course_progress", raw)["courses"][0]["content_progress"]
    assert [item["is_timer_on"] for item in content] == [True, False]


def test_fractional_progress_is_kept():
    raw = [{"course_id": "c1", "progress": 66.67}]
    assert answer("course_progress", raw)["courses"][0]["progress"] == 66.67


def test_progress_by_course_reads_the_documented_and_the_r_client_wrappers():
    documented = SAMPLE_ANSWERS["learners_progress_by_course"]
    as_r_reads_it = documented[0]
    for raw in (documented, as_r_reads_it, documented[0]["learners"]):
        result = answer("learners_progress_by_course", raw, course_id="c1")
        (learner,) = result["learners"]
        assert learner["passedAmount"] == 5  # sent as "5"
        assert learner["teams"] == ["No Team"]


def test_progress_by_course_says_whether_a_full_page_came_back():
    learners = [{"email": f"learner{i}@example.com"} for i in range(3)]
    full = answer("learners_progress_by_course", {"learners": learners}, course_id="c1", page=2, amount=3)
    assert (full["page"], full["amount"], full["has_more"]) == (2, 3, True)
    short = answer("learners_progress_by_course", {"learners": learners}, course_id="c1", amount=10)
    assert short["has_more"] is False
    unknown = answer("learners_progress_by_course", {"learners": learners}, course_slug="s")
    assert unknown["has_more"] is None and unknown["page"] is None


def test_progress_by_course_without_learners_is_an_empty_page():
    result = answer("learners_progress_by_course", [], course_id="c1", amount=10)
    assert result["learners"] == [] and result["has_more"] is False


def test_progress_by_course_object_without_learners_is_refused():
    spec = BY_NAME["learners_progress_by_course"]
    with pytest.raises(UpstreamError, match="learnersProgressByCourse"):
        shape_answer(spec, {"status": "ok"}, spec.input(course_id="c1"))


# --------------------------------------------------------------------------- keyed answers


def test_country_answer_keeps_its_summary_and_lists_learners():
    result = answer("learners_from_country", SAMPLE_ANSWERS["learners_from_country"])
    assert (result["country_iso_code"], result["country"], result["amount"]) == ("US", "United States", 1)
    assert result["learners"][0]["email"] == JOHN


def test_country_without_learners():
    result = answer("learners_from_country", [], country_iso_code="is")
    assert (result["country_iso_code"], result["amount"], result["learners"]) == ("IS", 0, [])


def test_country_answer_as_the_learners_alone():
    result = answer("learners_from_country", [LEARNER], country_iso_code="US")
    assert (result["country_iso_code"], result["amount"]) == ("US", 1)
    assert result["learners"][0]["email"] == JOHN


def test_invite_statuses_become_a_list_keyed_by_email():
    invites = answer("check_learner_invite", SAMPLE_ANSWERS["check_learner_invite"])["invites"]
    assert invites == [
        {"email": JOHN, "is_found": True, "is_used": True, "used_at": "2021-12-09T18:57:44+00:00"},
        {"email": MARIA, "is_found": True, "is_used": False, "used_at": None},
        {"email": LI, "is_found": False, "is_used": None, "used_at": None},
    ]


def test_invite_status_that_is_not_an_object_is_refused():
    with pytest.raises(UpstreamError, match="checkLearnerInvite with a string"):
        shape_answer(BY_NAME["check_learner_invite"], {JOHN: "yes"}, None)


def test_learner_variables_become_a_list_keyed_by_email():
    learners = answer("get_learner_variable", SAMPLE_ANSWERS["get_learner_variable"])["learners"]
    assert learners == [
        {"email": JOHN, "variables": {"var_name_1": 1, "var_name_4": "abcd"}},
        {"email": MARIA, "variables": {"var_name_2": 2, "var_name_10": 10}},
    ]


def test_learner_with_no_variable_found_php_empty_array():
    assert answer("get_learner_variable", {JOHN: []})["learners"] == [{"email": JOHN, "variables": {}}]


def test_quiz_statistics_are_one_record_per_learner_and_quiz():
    (stat,) = answer("get_learners_quiz_statistic", SAMPLE_ANSWERS["get_learners_quiz_statistic"])["statistics"]
    assert (stat["email"], stat["quiz_id"], stat["score"], stat["is_passed"]) == (JOHN, "Lzq0weBKvR72E72olW4X", 4, True)
    question = stat["questions"][0]
    assert question["answers"]["selected"][0]["answer"] == "asdasdasdas"
    assert question["answers"]["missed"] == []


def test_quiz_statistics_drift():
    raw = {
        JOHN: {
            "q1": {"name": "Quiz", "score": "5", "pass_percent": "62.5", "questions": [{"id": "a", "answers": []}]},
            "q2": None,  # never taken
        },
        MARIA: [],  # no quiz found
    }
    stats = answer("get_learners_quiz_statistic", raw)["statistics"]
    assert [(s["email"], s["quiz_id"]) for s in stats] == [(JOHN, "q1"), (JOHN, "q2")]
    assert stats[0]["score"] == 5 and stats[0]["pass_percent"] == 62.5
    assert stats[0]["questions"][0]["answers"] == {"selected": None, "missed": None}
    assert stats[1]["name"] is None


def test_certificate_template_sample():
    result = answer("course_certificate_variables", SAMPLE_ANSWERS["course_certificate_variables"])
    assert result["template_id"] == 144
    assert [v["code"] for v in result["certificate_variables"]] == ["variable_1", "variable_3"]


# --------------------------------------------------------------------------- writes

WRITES = [spec.name for spec in API_TOOLS if SAMPLE_ANSWERS[spec.name] == ["done"]]


@pytest.mark.parametrize("tool", WRITES)
def test_done_answers_become_done_true(tool):
    assert answer(tool, ["done"]) == {"done": True}


def test_write_answer_as_an_object_is_kept():
    assert answer("add_learners_to_teams", {"added": 3}) == {"done": True, "added": 3}


def test_deleted_and_invited_counts():
    assert answer("delete_learners", {"deleted": 1}) == {"deleted": 1}
    assert answer("delete_learners", [{"deleted": "2"}]) == {"deleted": 2}
    assert answer("invite_learners", {"invited": 2}) == {"invited": 2}
    assert answer("invite_learners", 3) == {"invited": 3}


def test_count_answer_without_its_count_is_refused():
    with pytest.raises(UpstreamError, match="deleteLearners with an object where an object with deleted was expected"):
        shape_answer(BY_NAME["delete_learners"], {"removed": 1}, None)


def test_login_link():
    link = "https://academy.academyocean.com/auth/token/8f2c1e0a9b"
    assert answer("create_login_token", {"link": link}) == {"link": link}
    assert answer("create_login_token", link) == {"link": link}
