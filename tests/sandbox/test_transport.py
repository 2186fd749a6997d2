"""The request envelope: PHP forms and JSON, the error shape for every bad request."""

from __future__ import annotations

import json
import random

import pytest

from ao_mcp.sandbox import Sandbox
from ao_mcp.sandbox.actions import ACTIONS

from .helpers import FORM, Api

pytestmark = pytest.mark.anyio


def test_the_thirty_documented_actions_are_served() -> None:
    assert len(ACTIONS) == 30
    assert {"learners", "learnersProgressByCourse", "createLoginToken", "setLessonVariables",
            "getLearnersQuizStatistic", "updateCourseCertificateVariables"} <= set(ACTIONS)


async def test_form_and_json_bodies_give_the_same_answer(api: Api) -> None:
    options = {"score": 50, "operator": ">="}
    assert await api.ok("learnersWithScore", options) == await api.ok("learnersWithScore", options, as_json=True)


async def test_form_body_is_decoded_with_php_brackets(api: Api, sandbox: Sandbox) -> None:
    await api.ok("learners", {"dates": ["2023-01-01 00:00:00", "2023-06-30 23:59:59"], "with_teams": True})
    seen = sandbox.requests[-1]
    assert seen.action == "learners" and seen.content_type == FORM
    assert seen.options == {"dates": ["2023-01-01 00:00:00", "2023-06-30 23:59:59"], "with_teams": "1"}
    assert b"options%5Bdates%5D%5B0%5D=2023-01-01+00%3A00%3A00" in seen.body
    assert seen.token == api.token


async def test_json_booleans_may_be_real_or_strings(api: Api) -> None:
    for flag in (True, "true", "1"):
        rows = await api.ok("learners", {"with_academy": flag}, as_json=True)
        assert "academy" in rows[0]
    for flag in (False, "false", "0"):
        rows = await api.ok("learners", {"with_academy": flag}, as_json=True)
        assert "academy" not in rows[0]
    message = await api.error("learners", {"with_academy": "maybe"}, as_json=True)
    assert message == "The with_academy field must be true or false."


async def test_path_without_trailing_slash_works(api: Api) -> None:
    response = await api.client.post("/api/v1", data={"action": "courses"},
                                     headers={"Authorization": f"Bearer {api.token}"})
    assert response.status_code == 200 and isinstance(response.json(), list)


async def test_missing_and_unknown_actions_are_400(api: Api) -> None:
    missing = await api.post(None)
    assert missing.status_code == 400
    assert missing.json() == {"error": {"message": "The action field is required."}}
    unknown = await api.post("learnersEverywhere")
    assert unknown.status_code == 400 and "learnersEverywhere" in unknown.json()["error"]["message"]


async def test_options_that_are_not_a_map_are_400(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"}
    body = json.dumps({"action": "courses", "options": "x"})
    response = await api.client.post("/api/v1/", content=body, headers=headers)
    assert response.status_code == 400 and "options" in response.json()["error"]["message"]


async def test_unknown_routes_and_methods_answer_in_the_error_shape(api: Api) -> None:
    wrong_method = await api.client.get("/api/v1/")
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()
    nowhere = await api.client.post("/api/v2/")
    assert nowhere.status_code == 404 and "error" in nowhere.json()


async def test_responses_are_encoded_as_php_does(api: Api) -> None:
    response = await api.post("courses")
    assert response.headers["content-type"] == "application/json"
    assert b"https:\\/\\/" in response.content  # json_encode escapes slashes
    assert response.json()[0]["img"].startswith("https://")


async def test_garbage_never_causes_a_server_error(api: Api) -> None:
    """Random bodies and random option values: every answer is a 2xx/4xx in the error shape."""
    rng = random.Random(1)
    headers = {"Authorization": f"Bearer {api.token}"}
    bodies = [b"", b"\x00\xff\xfe", b"{", b"[]", b"null", b"action[]=x", b"action[a]=b", b"options=1&action=learners",
              b"action=learners&options[dates]=x",
              b"action=learners&options[dates][0]=nope&options[dates][1]=2020-01-01",
              b"action=learners&options[email]=%E2%9C%93", b'{"action": 5}', b'{"action": ["learners"]}']
    for body in bodies:
        for content_type in (FORM, "application/json", "text/plain"):
            response = await api.client.post("/api/v1/", content=body,
                                             headers={**headers, "Content-Type": content_type})
            assert response.status_code < 500, (body, content_type, response.text)
            if response.status_code >= 400:
                assert set(response.json()["error"]) == {"message"}
    values = [None, "", "x", "0", "-1", 10**30, 3.5, True, [], ["a"], [{"a": 1}], {"a": "b"}, {"0": {"x": []}},
              "not-an-email", "[email protected]", "a@b.co"]
    names = ["email", "emails", "course_id", "content_id", "course_slug", "records", "learners", "teams", "score",
             "operator", "date", "dates", "page", "amount", "academy_id", "quiz_id", "ids", "certificate_variables",
             "country_iso_code", "course_type", "course", "lesson", "quiz", "records"]
    for action in ACTIONS:
        for _ in range(12):
            options = {name: rng.choice(values) for name in rng.sample(names, rng.randint(1, 4))}
            response = await api.post(action, options, as_json=rng.random() < 0.5)
            assert response.status_code < 500, (action, options, response.text)
            if response.status_code >= 400:
                assert set(response.json()) == {"error"}
