"""Each read action: documented output shape on the happy path, and a validation error."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from ao_mcp.sandbox import Sandbox
from ao_mcp.sandbox.state import Learner

from .helpers import Api, FakeClock

pytestmark = pytest.mark.anyio

ATOM = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
US_DATE = re.compile(r"^\d\d/\d\d/\d{4}$")
HMS = re.compile(r"^\d\d+:\d\d:\d\d$")
LEARNER_FIELDS = {
    "name", "email", "registered_at", "score", "lessons_opened", "lessons_completed", "courses_completed",
    "spent_time_in_academy", "certificates_amount", "company", "country", "country_iso_code", "city", "os",
    "device", "browser", "last_login_at",
}


def certified(sandbox: Sandbox) -> Learner:
    return next(lr for lr in sandbox.state.learners.values() if sandbox.state.certificates(lr))


def assert_learner_row(row: dict) -> None:
    assert set(row) == LEARNER_FIELDS
    assert ATOM.match(row["registered_at"]) and ATOM.match(row["last_login_at"])
    assert 0 <= row["score"] <= 100 and isinstance(row["score"], int)
    assert row["lessons_completed"] <= row["lessons_opened"]
    assert row["certificates_amount"] <= row["courses_completed"] + 3
    assert len(row["country_iso_code"]) == 2 and row["country"]


async def test_learners(api: Api, sandbox: Sandbox) -> None:
    rows = await api.ok("learners")
    assert len(rows) == len(sandbox.state.learners) == 200
    for row in rows:
        assert row.keys() - {"id"} == LEARNER_FIELDS
        assert_learner_row({k: v for k, v in row.items() if k != "id"})
    assert len({row["id"] for row in rows}) == 200
    assert len({row["country_iso_code"] for row in rows}) >= 15


async def test_learners_by_email_with_academy_and_teams(api: Api, sandbox: Sandbox) -> None:
    learner = next(lr for lr in sandbox.state.learners.values() if lr.teams)
    (row,) = await api.ok("learners", {"email": learner.email.upper(), "with_academy": True, "with_teams": True})
    academy = sandbox.state.academies[learner.academy_id]
    assert row["email"] == learner.email
    assert row["academy"] == {"id": academy.id, "name": academy.name}
    assert {team["id"] for team in row["teams"]} == set(learner.teams)
    assert all(set(team) == {"id", "name"} for team in row["teams"])
    assert await api.ok("learners", {"email": "nobody@example.com"}) == []
    assert await api.error("learners", {"email": "not-an-email"}) == "The email field must be a valid email address."


async def test_learners_registered_between_dates(api: Api) -> None:
    rows = await api.ok("learners", {"dates": ["2023-03-01 00:00:00", "2023-03-31 23:59:59"]})
    assert rows and all(row["registered_at"].startswith("2023-03") for row in rows)
    message = await api.error("learners", {"dates": ["2023-04-01", "2023-03-01"]})
    assert message == "The dates.0 field must be a date before or equal to dates.1."


async def test_courses(api: Api, sandbox: Sandbox) -> None:
    rows = await api.ok("courses")
    assert len(rows) == len(sandbox.state.units)
    fields = {"id", "slug", "name", "description", "img", "course_open_url", "is_in_group", "is_scorm",
              "is_ribbon_enabled", "ribbon_text"}
    for row in rows:
        assert set(row) == fields
        assert row["course_open_url"].startswith("https://") and row["course_open_url"].endswith("/open")
        assert (row["ribbon_text"] is not None) == row["is_ribbon_enabled"]
    assert any(row["is_in_group"] for row in rows) and not all(row["is_in_group"] for row in rows)


async def test_certificates(api: Api, sandbox: Sandbox) -> None:
    learner = certified(sandbox)
    rows = await api.ok("certificates", {"email": learner.email})
    assert len(rows) == sandbox.state.stats(learner).certificates_amount > 0
    for row in rows:
        assert set(row) == {"issued_date", "course_name", "url_to_pdf", "url_to_image"}
        assert ATOM.match(row["issued_date"]) and row["url_to_pdf"].endswith(".pdf")
    assert await api.ok("certificates", {"email": "nobody@example.com"}) == []
    assert await api.error("certificates") == "The email field is required."


async def test_learners_progress_by_course(api: Api, sandbox: Sandbox) -> None:
    unit = max(sandbox.state.units.values(),
               key=lambda u: sum(1 for lr in sandbox.state.learners.values() if u.contents[0].id in lr.progress))
    (page,) = await api.ok("learnersProgressByCourse", {"course_id": unit.id, "amount": 5})
    rows = page["learners"]
    assert len(rows) == 5
    fields = {"email", "full_name", "first_name", "last_name", "startDate", "startTime", "completionDate",
              "completionTime", "status", "duration", "viewTime", "totalAmount", "passedAmount", "courseScore", "teams"}
    for row in rows:
        assert set(row) == fields
        assert US_DATE.match(row["startDate"]) and re.match(r"^\d{1,2}:\d\d [AP]M$", row["startTime"])
        assert HMS.match(row["duration"]) and HMS.match(row["viewTime"])
        assert isinstance(row["passedAmount"], str)  # the doc's sample: "5"
        assert row["totalAmount"] == len(unit.contents)
        assert row["status"] in ("Completed", "In progress")
        assert (row["status"] == "Completed") == (row["passedAmount"] == str(row["totalAmount"]))
        assert (row["completionDate"] is None) == (row["status"] != "Completed")
        assert row["courseScore"] == int(row["passedAmount"]) * 100 // row["totalAmount"]
    (by_slug,) = await api.ok("learnersProgressByCourse", {"course_slug": unit.slug, "amount": 5})
    assert by_slug["learners"] == rows
    (second,) = await api.ok("learnersProgressByCourse", {"course_id": unit.id, "amount": 5, "page": 2})
    assert {r["email"] for r in second["learners"]}.isdisjoint({r["email"] for r in rows})
    (default,) = await api.ok("learnersProgressByCourse", {"course_id": unit.id})
    assert len(default["learners"]) == 10


async def test_learners_progress_shows_not_started_learners_on_request(api: Api, sandbox: Sandbox) -> None:
    unit = next(u for u in sandbox.state.units.values() if u.group_id is None and u.is_public and u.is_published)
    started = {lr.email for lr in sandbox.state.learners.values() if unit.contents[0].id in lr.progress}
    (plain,) = await api.ok("learnersProgressByCourse", {"course_id": unit.id, "amount": 1000})
    (everyone,) = await api.ok("learnersProgressByCourse",
                               {"course_id": unit.id, "amount": 1000, "show_not_started_learners": True})
    assert {row["email"] for row in plain["learners"]} >= started
    waiting = [row for row in everyone["learners"] if row["status"] == "Not started"]
    assert waiting and all(row["startDate"] is None and row["passedAmount"] == "0" for row in waiting)
    assert "No Team" in everyone["learners"][0]["teams"]


async def test_learners_progress_by_course_errors(api: Api, sandbox: Sandbox) -> None:
    unit, other = list(sandbox.state.units.values())[:2]
    assert await api.error("learnersProgressByCourse", {}) == \
        "The course_id field is required when course_slug is not present."
    assert await api.error("learnersProgressByCourse", {"course_id": "nope"}) == \
        'The selected course_id "nope" does not exist.'
    assert await api.error("learnersProgressByCourse", {"course_slug": "nope"}) == \
        'The selected course_slug "nope" does not exist.'
    assert await api.error("learnersProgressByCourse", {"course_id": unit.id, "page": 0}) == \
        "The page field must be at least 1."
    assert await api.error("learnersProgressByCourse", {"course_id": unit.id, "amount": "ten"}) == \
        "The amount field must be an integer."
    assert await api.error("learnersProgressByCourse", {"course_id": unit.id, "course_slug": other.slug}) == \
        "The course_id and course_slug fields must refer to the same course."


async def test_course_progress(api: Api, sandbox: Sandbox) -> None:
    learner = certified(sandbox)
    rows = await api.ok("courseProgress", {"email": learner.email})
    assert rows
    available = sandbox.state.available(learner).units
    assert [row["course_id"] for row in rows] == [unit.id for unit in available]
    for row in rows:
        assert {"course_id", "course_name", "course_description", "course_img", "course_open_url", "start_date",
                "finish_date", "lessons_amount", "progress_amount", "progress", "content_progress"} == set(row)
        assert row["lessons_amount"] == len(row["content_progress"])
        assert row["progress_amount"] == sum(1 for c in row["content_progress"] if c["is_passed"])
        assert isinstance(row["progress"], float)
        for content in row["content_progress"]:
            assert content["type"] in ("lesson", "quiz")
            assert (content["passed_at"] is None) == (not content["is_passed"])
            if content["type"] == "quiz":
                assert {"score", "passing_score", "is_need_manual_approve", "is_timer_on", "is_timer_expired",
                        "timer_minutes"} <= set(content)
                assert content["score"] is None or isinstance(content["score"], str)
    finished = [row for row in rows if row["progress_amount"] == row["lessons_amount"]]
    assert finished and all(row["finish_date"] is not None for row in finished)
    group_rows = [row for row in rows if "/group/" in row["course_open_url"] and row["start_date"]]
    for row in group_rows:  # groups report bare dates, as the doc's sample does
        assert re.match(r"^\d{4}-\d\d-\d\d$", row["start_date"])


async def test_course_progress_options(api: Api, sandbox: Sandbox) -> None:
    state = sandbox.state
    academy = next(iter(state.academies.values()))
    learner = next(lr for lr in state.learners.values() if lr.academy_id == academy.id and lr.teams)
    everything = await api.ok("courseProgress", {"email": learner.email, "course_type": "all",
                                                 "with_academy": True, "with_teams": True})
    assert len(everything) == len(list(state.top_units(academy.id)))
    assert everything[0]["academy"]["id"] == academy.id and isinstance(everything[0]["teams"], list)
    unpublished = await api.ok("courseProgress", {"email": learner.email, "course_type": "unpublished"})
    assert unpublished and all(not state.units[row["course_id"]].is_published for row in unpublished)
    displayed = await api.ok("courseProgress", {"email": learner.email, "course_type": "all",
                                                "only_displayed_courses": True})
    assert len(displayed) < len(everything)
    assert await api.error("courseProgress", {"email": learner.email, "course_type": "some"}) == \
        "The selected course_type is invalid."
    assert await api.ok("courseProgress", {"email": "nobody@example.com"}) == []


async def test_learners_amount_from_countries(api: Api, sandbox: Sandbox) -> None:
    rows = await api.ok("learnersAmountFromCountries")
    assert sum(row["amount"] for row in rows) == len(sandbox.state.learners)
    assert all(set(row) == {"country_iso_code", "country", "amount"} for row in rows)
    assert rows == sorted(rows, key=lambda row: -row["amount"])
    us = await api.ok("learnersAmountFromCountries", {"country_iso_code": "us"})
    assert us == [{"country_iso_code": "US", "country": "United States",
                   "amount": next(r["amount"] for r in rows if r["country_iso_code"] == "US")}]
    assert "2 characters" in await api.error("learnersAmountFromCountries", {"country_iso_code": "USA"})


async def test_learners_from_country(api: Api) -> None:
    answer = await api.ok("learnersFromCountry", {"country_iso_code": "GB"})
    assert set(answer) == {"country_iso_code", "country", "amount", "learners"}
    assert answer["country"] == "United Kingdom" and answer["amount"] == len(answer["learners"]) > 0
    for row in answer["learners"]:
        assert_learner_row(row)
        assert row["country_iso_code"] == "GB"
    assert await api.error("learnersFromCountry") == "The country_iso_code field is required."


@pytest.mark.parametrize(("operator", "check"), [
    (None, lambda s: s == 50), (">", lambda s: s > 50), ("<", lambda s: s < 50), (">=", lambda s: s >= 50),
    ("<=", lambda s: s <= 50), ("<>", lambda s: s != 50), ("=>", lambda s: s >= 50),
])
async def test_learners_with_score(api: Api, sandbox: Sandbox, operator: str | None,
                                  check: Callable[[int], bool]) -> None:
    options = {"score": "50"} if operator is None else {"score": 50, "operator": operator}
    rows = await api.ok("learnersWithScore", options)
    expected = [lr.email for lr in sandbox.state.learners.values() if check(sandbox.state.stats(lr).score)]
    assert [row["email"] for row in rows] == expected
    assert all(check(row["score"]) for row in rows)


async def test_learners_with_score_errors(api: Api) -> None:
    assert await api.error("learnersWithScore") == "The score field is required."
    assert await api.error("learnersWithScore", {"score": "lots"}) == "The score field must be an integer."
    assert await api.error("learnersWithScore", {"score": 101}) == "The score field must be between 0 and 100."
    assert await api.error("learnersWithScore", {"score": 1, "operator": "~"}) == "The selected operator is invalid."


async def test_learners_registered_at(api: Api, sandbox: Sandbox) -> None:
    learner = next(iter(sandbox.state.learners.values()))
    day = learner.registered_at // 86400
    date = time.strftime("%Y-%m-%d", time.gmtime(learner.registered_at))
    same_day = await api.ok("learnersRegisteredAt", {"date": date})
    assert learner.email in {row["email"] for row in same_day}
    assert all(sandbox.state.learner(row["email"]).registered_at // 86400 == day for row in same_day)
    later = await api.ok("learnersRegisteredAt", {"date": "2024-06-01 12:00:00", "operator": ">"})
    assert later and all(row["registered_at"] > "2024-06-01T12:00:00" for row in later)
    # `dates` wins over `date`.
    window = await api.ok("learnersRegisteredAt", {"date": "2030-01-01", "dates": ["2023-01-01", "2023-01-31"]})
    assert window and all(row["registered_at"].startswith("2023-01") for row in window)
    assert await api.error("learnersRegisteredAt") == "The date field is required."
    assert await api.error("learnersRegisteredAt", {"date": "yesterday"}) == "The date field must be a valid date."


async def test_learners_course_complete(api: Api, sandbox: Sandbox) -> None:
    state = sandbox.state
    unit = max(state.units.values(), key=lambda u: sum(
        1 for lr in state.learners.values() if state.unit_progress(lr, u).completed))
    expected = [lr for lr in state.learners.values() if state.unit_progress(lr, unit).completed]
    rows = await api.ok("learnersCourseComplete", {"course_id": unit.id})
    assert len(rows) == len(expected) > 0
    assert all(set(row) == {"date_of_passing", "name", "score", "courses_completed", "spent_time_in_academy",
                            "certificates_amount", "company"} for row in rows)
    assert [row["date_of_passing"] for row in rows] == sorted(row["date_of_passing"] for row in rows)
    assert await api.ok("learnersCourseComplete", {"course_id": unit.slug}) == rows
    assert await api.error("learnersCourseComplete", {"course_id": "missing-course"}) == \
        'The selected course_id "missing-course" does not exist.'


async def test_passive_learners(api: Api, sandbox: Sandbox) -> None:
    rows = await api.ok("passiveLearners")
    assert rows and all(set(row) == {"registered_at", "name", "email", "company"} for row in rows)
    for row in rows:
        assert sandbox.state.stats(sandbox.state.learner(row["email"])).lessons_opened == 0
    everyone = await api.ok("learners")
    assert len(rows) == sum(1 for row in everyone if row["lessons_opened"] == 0)


async def test_learners_churn_at_content(api: Api, sandbox: Sandbox, clock: FakeClock) -> None:
    state = sandbox.state
    best = None
    for unit in state.top_units():
        for content in unit.contents:
            count = sum(1 for lr in state.learners.values()
                        if content.id in lr.progress and not state.unit_progress(lr, unit).completed
                        and state.unit_progress(lr, unit).last_content is content)
            if best is None or count > best[0]:
                best = (count, unit, content)
    assert best is not None and best[0] > 0
    _, unit, content = best
    rows = await api.ok("learnersChurnAtContent", {"course_id": unit.slug, "content_id": content.slug})
    assert len(rows) == best[0]
    for row in rows:
        assert set(row) == {"churn_date", "email", "name", "spent_time_in_academy", "spent_time_in_content",
                            "registered_at"}
        assert row["spent_time_in_content"] <= row["spent_time_in_academy"]
    assert await api.ok("learnersChurnAtContent", {"course_id": unit.id, "content_id": content.id}) == rows
    other = next(u for u in state.units.values() if u.id != unit.id and u.group_id != unit.id and unit.group_id != u.id)
    assert await api.error("learnersChurnAtContent", {"course_id": other.id, "content_id": content.id}) == \
        f'The selected content_id "{content.id}" does not exist.'
    assert await api.error("learnersChurnAtContent", {"course_id": unit.id}) == "The content_id field is required."


async def test_learners_repeated_log_ins(api: Api, sandbox: Sandbox) -> None:
    rows = await api.ok("learnersRepeatedLogIns")
    assert rows and len(rows) < len(sandbox.state.learners)
    for row in rows:
        assert set(row) == LEARNER_FIELDS | {"log_ins_amount"}
        assert row["log_ins_amount"] > 1


async def test_academies(api: Api, sandbox: Sandbox) -> None:
    rows = await api.ok("academies")
    assert len(rows) == 3
    fields = {"id", "name", "slug", "is_cname_enabled", "cname_domain", "is_private", "is_published",
              "learners_amount", "created_at", "content_amount", "access_request_amount"}
    assert all(set(row) == fields for row in rows)
    assert sum(row["learners_amount"] for row in rows) == 200
    assert any(row["is_private"] for row in rows) and any(row["is_cname_enabled"] for row in rows)
    assert all((row["cname_domain"] is not None) == row["is_cname_enabled"] for row in rows)
    assert sum(row["content_amount"] for row in rows) == len(await api.ok("courses"))


async def test_get_teams(api: Api, sandbox: Sandbox) -> None:
    rows = await api.ok("getTeams")
    assert rows and all(set(row) == {"id", "name"} for row in rows)
    with_courses = await api.ok("getTeams", {"records": "course"})
    assert all(set(row) == {"id", "name", "courses"} for row in with_courses)
    for row in with_courses:
        assert row["courses"] and all(isinstance(c["id"], int) and isinstance(c["name"], str) for c in row["courses"])
    assert await api.error("getTeams", {"records": "learners"}) == "The selected records is invalid."


async def test_get_learner_variable(api: Api, sandbox: Sandbox) -> None:
    learner = next(lr for lr in sandbox.state.learners.values() if lr.variables)
    answer = await api.ok("getLearnerVariable", {"records": {
        learner.email: ["job_title", "seats", "onboarding_notes", "undefined_var"],
        "nobody@example.com": ["job_title"],
    }})
    assert answer[learner.email] == {"job_title": learner.variables["job_title"], "seats": learner.variables["seats"],
                                     "onboarding_notes": "No notes yet"}
    assert isinstance(answer[learner.email]["seats"], int)
    assert answer["nobody@example.com"] == {}
    assert await api.error("getLearnerVariable") == "The records field is required."
    assert await api.error("getLearnerVariable", {"records": {"oops": ["x"]}}) == \
        "The records.oops key must be a valid email address."


async def test_get_learners_quiz_statistic(api: Api, sandbox: Sandbox) -> None:
    state = sandbox.state
    learner, quiz = next((lr, state.contents[cid]) for lr in state.learners.values() for cid, p in lr.progress.items()
                         if state.contents[cid].kind == "quiz" and p.attempts)
    untouched = next(q for q in state.contents.values() if q.kind == "quiz" and q.id not in learner.progress)
    answer = await api.ok("getLearnersQuizStatistic", {"records": {learner.email: [quiz.id, untouched.id]}})
    stats = answer[learner.email][quiz.id]
    assert untouched.id not in answer[learner.email]
    assert {"name", "score", "passing_score", "is_passed", "spent_time", "spent_time_seconds", "pass_date",
            "pass_time", "is_timer_on", "is_expired", "is_manual_approve_on", "globalComment", "pass_percent",
            "questions"} == set(stats)
    assert stats["is_passed"] == (stats["score"] >= stats["passing_score"])
    assert HMS.match(stats["spent_time"]) and US_DATE.match(stats["pass_date"])
    assert re.match(r"^\d\d:\d\d [AP]M$", stats["pass_time"])
    assert len(stats["questions"]) == quiz.max_score
    assert sum(q["is_passed"] for q in stats["questions"]) == stats["score"]
    question = stats["questions"][0]
    assert set(question["answers"]) == {"selected", "missed"} and question["number"] == 1
    again = await api.ok("getLearnersQuizStatistic", {"records": {learner.email: [quiz.id]}})
    assert again[learner.email][quiz.id] == stats  # derived, so stable
    assert await api.error("getLearnersQuizStatistic", {"records": {learner.email: ["NoSuchQuiz"]}}) == \
        f'The selected records.{learner.email}.0 "NoSuchQuiz" does not exist.'


async def test_check_learner_invite(api: Api, sandbox: Sandbox) -> None:
    invites = sandbox.state.invites.values()
    used = next(i for i in invites if i.used_at is not None)
    pending = next(i for i in invites if i.used_at is None)
    answer = await api.ok("checkLearnerInvite", {"emails": [used.email, pending.email, "nobody@example.com"]})
    assert answer[used.email]["is_found"] is True and answer[used.email]["is_used"] is True
    assert ATOM.match(answer[used.email]["used_at"])
    assert answer[pending.email] == {"is_found": True, "is_used": False, "used_at": None}
    assert answer["nobody@example.com"] == {"is_found": False, "is_used": None, "used_at": None}
    assert await api.error("checkLearnerInvite", {"emails": ["bad"]}) == \
        "The emails.0 field must be a valid email address."


async def test_course_certificate_variables(api: Api, sandbox: Sandbox) -> None:
    unit = next(iter(sandbox.state.units.values()))
    answer = await api.ok("courseCertificateVariables", {"course_id": unit.id})
    assert set(answer) == {"template_id", "certificate_variables"} and isinstance(answer["template_id"], int)
    assert [v["code"] for v in answer["certificate_variables"]] == ["variable_1", "variable_2", "variable_3"]
    assert all(set(v) == {"code", "name", "type", "value"} for v in answer["certificate_variables"])
    assert await api.error("courseCertificateVariables", {"course_id": unit.slug}) == \
        f'The selected course_id "{unit.slug}" does not exist.'
