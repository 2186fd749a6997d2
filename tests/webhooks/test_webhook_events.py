"""Event models: the 13 documented samples, the doc's contradictions, drift, filter helpers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ao_mcp.webhooks.events import (
    EVENT_MODELS,
    EVENT_TYPES,
    CourseFinished,
    LearnerCourseAvailable,
    LessonFinished,
    QuizFinished,
    TeamNewLearners,
    WebhookEvent,
    course_ids,
    learner_emails,
    normalize_event_type,
    parse_event,
)


def test_there_is_one_sample_and_one_model_per_documented_event(samples: dict[str, dict[str, Any]]) -> None:
    assert len(EVENT_TYPES) == 13
    assert set(samples) == set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_each_sample_parses_to_its_model_and_keeps_everything(
    samples: dict[str, dict[str, Any]], event_type: str
) -> None:
    payload = samples[event_type]
    event = parse_event(payload)
    assert type(event) is EVENT_MODELS[event_type]
    assert event.id == payload["id"] and event.event == event_type
    assert event.academy is not None and event.academy.name == "Academy"
    # Nothing is lost: dumping the model gives back every key that was sent.
    assert set(event.model_dump(exclude_unset=True)) == set(payload)


def test_quiz_score_sent_as_a_string_is_a_number(samples: dict[str, dict[str, Any]]) -> None:
    event = parse_event(samples["quiz.finished"])
    assert isinstance(event, QuizFinished) and event.quiz is not None
    assert event.quiz.score == 1 and event.quiz.spent_time_sec == 46 and event.quiz.is_passed is True


def test_the_doc_course_finished_sample_is_typed_by_its_event_value(samples: dict[str, dict[str, Any]]) -> None:
    verbatim = dict(samples["course.finished"], event="lesson.finished")  # as printed in the documentation
    assert isinstance(parse_event(verbatim), LessonFinished)
    assert isinstance(parse_event(samples["course.finished"]), CourseFinished)


def test_both_team_spellings_are_one_type(samples: dict[str, dict[str, Any]]) -> None:
    dotted = dict(samples["team.new_learners"], event="team.new.learners")
    event = parse_event(dotted)
    assert isinstance(event, TeamNewLearners) and event.event == "team.new_learners"
    assert event.team[0].name == "Team" and event.learners[0].email == "john@example.com"
    assert normalize_event_type(" team.new.learners ") == "team.new_learners"


def test_unknown_event_types_parse_generically() -> None:
    event = parse_event({"id": "x", "event": "learner.teleported", "where": "moon"})
    assert type(event) is WebhookEvent and event.model_extra == {"where": "moon"}


@pytest.mark.parametrize(
    "drift",
    [
        {"quiz": {"score": "n/a", "is_passed": "maybe", "timer_minutes": None}},
        {"quiz": "not an object", "learner": ["a", "list"], "course": 5},
        {"academy": "just a name"},
        {"quiz": {"id": 123, "score": 1.5, "spent_time_sec": "46"}},
        {"learner": {"email": None}, "new_field": {"nested": [1, 2]}},
    ],
)
def test_drifted_payloads_still_parse(samples: dict[str, dict[str, Any]], drift: dict[str, Any]) -> None:
    payload = {**samples["quiz.finished"], **drift}
    event = parse_event(payload)
    assert isinstance(event, WebhookEvent) and event.event == "quiz.finished"


def test_drifted_values_become_none_or_numbers(samples: dict[str, dict[str, Any]]) -> None:
    payload = {
        **samples["quiz.finished"],
        "quiz": {"id": 123, "score": "n/a", "spent_time_sec": "46", "is_passed": "1"},
    }
    event = parse_event(payload)
    assert isinstance(event, QuizFinished) and event.quiz is not None
    assert event.quiz.id == "123" and event.quiz.score is None
    assert event.quiz.spent_time_sec == 46 and event.quiz.is_passed is True


def test_lists_tolerate_a_single_object_and_junk_items(samples: dict[str, dict[str, Any]]) -> None:
    payload = {**samples["learner.course.available"], "learners": {"email": "a@b.c"}, "courses": [1, None, {"id": "c"}]}
    event = parse_event(payload)
    assert isinstance(event, LearnerCourseAvailable)
    assert [learner.email for learner in event.learners] == ["a@b.c"] and [c.id for c in event.courses] == ["c"]


@pytest.mark.parametrize("payload", [{}, {"id": 1, "event": "x"}, {"id": "x"}, {"id": "x", "event": None}, []])
def test_parse_event_rejects_payloads_without_string_id_and_event(payload: Any) -> None:
    with pytest.raises(ValueError):
        parse_event(payload)


def test_parse_event_never_raises_on_random_json_with_id_and_event() -> None:
    import random

    rng = random.Random(7)
    leaves: list[Any] = [None, True, 0, -1, 1.5, "", "x", "1", [], {}]

    def value(depth: int) -> Any:
        if depth > 3 or rng.random() < 0.4:
            return rng.choice(leaves)
        if rng.random() < 0.5:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        keys = ["id", "email", "score", "course", "learner", "quiz", "team", "learners", "academy", "name"]
        return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 4))}

    for n in range(300):
        payload = {k: value(1) for k in ("academy", "course", "quiz", "learner", "learners", "team", "group")}
        payload.update(id=f"e{n}", event=rng.choice([*EVENT_TYPES, "team.new.learners", "other"]))
        event = parse_event(json.loads(json.dumps(payload)))
        assert event.id == f"e{n}"
        learner_emails(payload)
        course_ids(payload)


def test_learner_emails(samples: dict[str, dict[str, Any]]) -> None:
    assert learner_emails(samples["quiz.finished"]) == {"john@example.com"}
    assert learner_emails(samples["team.new_learners"]) == {"john@example.com"}
    payload = {"learner": {"email": " John@Example.COM "}, "learners": [{"email": "b@x.io"}, {"email": 5}, "junk"]}
    assert learner_emails(payload) == {"john@example.com", "b@x.io"}
    assert learner_emails({"learner": None, "learners": "nope"}) == set()


def test_course_ids(samples: dict[str, dict[str, Any]]) -> None:
    assert course_ids(samples["quiz.finished"]) == {"dPbov7Jo0kayxqL0O"}
    assert course_ids(samples["course_group.started"]) == {"PAg7azkDr1KE4eYyqw2"}
    assert course_ids(samples["learner.course.available"]) == {"Vpz0PmrkjdKPEOQW9d1K"}
    assert course_ids(samples["academy.learner.sign_up"]) == set()
    payload = {"course": {"id": "a"}, "courses": [{"id": "b"}], "group": {"id": "g"}, "course_groups": [{"id": 7}]}
    assert course_ids(payload) == {"a", "b", "g", "7"}


def test_sample_fixtures_have_no_obfuscated_emails() -> None:
    from pathlib import Path

    for path in (Path(__file__).parent / "samples").glob("*.json"):
        assert "email protected" not in path.read_text()


def test_every_documented_event_type_has_its_model() -> None:
    from ao_mcp.webhooks.events import EVENT_MODELS
    from ao_mcp.webhooks.payload import EVENT_TYPES

    assert tuple(EVENT_MODELS) == EVENT_TYPES
