"""Webhooks: payload shapes for all 13 types, signatures over exact bytes, delivery and retries."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from typing import Any

import anyio
import pytest

from ao_mcp.sandbox import Sandbox, SandboxConfig
from ao_mcp.sandbox.events import EVENT_TYPES
from ao_mcp.sandbox.webhooks import WebhookEmitter, php_json, sign

from .helpers import Api

pytestmark = pytest.mark.anyio

PERSON = {"email", "full_name", "first_name", "last_name"}
FOLDERED = {"id", "name", "is_in_folder", "folder_name", "folder_id", "folder_category"}
SHORT = {"id", "name"}
QUIZ_FINISHED = {"id", "name", "start_date", "finish_date", "spent_time_sec", "score", "passing_score",
                 "is_need_manual_approve", "is_timer_on", "timer_minutes", "is_timer_expired", "is_passed"}

#: event -> {top-level key: expected keys of that block (None: a list, checked separately)}
SHAPES: dict[str, dict[str, set[str] | None]] = {
    "course.started": {"course": FOLDERED, "learner": PERSON},
    "course.finished": {"course": FOLDERED, "lesson": {"id", "name", "start_date", "finish_date"}, "learner": PERSON},
    "course_group.started": {"group": FOLDERED, "learner": PERSON},
    "course_group.finished": {"group": FOLDERED, "learner": PERSON},
    "learner.course_certificate.issued": {
        "course": FOLDERED, "learner": PERSON,
        "certificate": {"link_to_pdf", "link_to_img", "verify_link", "issue_date"}},
    "lesson.started": {"course": SHORT, "lesson": {"id", "name", "start_date"}, "learner": PERSON},
    "lesson.finished": {"course": SHORT, "lesson": {"id", "name", "start_date", "finish_date"}, "learner": PERSON},
    "quiz.started": {"course": SHORT, "quiz": {"id", "name", "start_date"}, "learner": PERSON},
    "quiz.finished": {"course": SHORT, "quiz": QUIZ_FINISHED, "learner": PERSON},
    "academy.learner.sign_up": {"learner": PERSON},
    "learner.course.available": {"teams": None, "learners": None, "courses": None, "course_groups": None},
    "learner.end_quiz_attempts": {"quiz": SHORT, "learner": PERSON},
    "team.new_learners": {"team": None, "learners": None, "courses": None, "course_groups": None},
}


def check_shape(payload: dict[str, Any]) -> None:
    event = payload["event"]
    blocks = SHAPES[event]
    assert set(payload) == {"id", "event", "academy", *blocks}, event
    assert uuid.UUID(payload["id"]).version == 4
    assert set(payload["academy"]) == {"id", "name"}
    for key, fields in blocks.items():
        if fields is not None:
            assert set(payload[key]) == fields, (event, key)
    if event == "quiz.finished":
        quiz = payload["quiz"]
        assert isinstance(quiz["score"], str)  # as in the doc's sample
        assert quiz["is_passed"] == (int(quiz["score"]) >= quiz["passing_score"])
    if event in ("learner.course.available", "team.new_learners"):
        teams = payload["teams" if event == "learner.course.available" else "team"]
        assert teams and all(set(team) == SHORT for team in teams)
        assert payload["learners"] and all(set(p) == PERSON for p in payload["learners"])
        expected = FOLDERED if event == "learner.course.available" else SHORT
        assert all(set(c) == expected for c in payload["courses"] + payload["course_groups"])


async def test_all_thirteen_event_types_have_the_documented_shapes(sandbox: Sandbox) -> None:
    emitted = await sandbox.simulate_activity(400)
    seen = {payload["event"] for payload in emitted}
    assert seen == set(EVENT_TYPES)
    for payload in emitted:
        check_shape(payload)
    assert list(sandbox.webhooks.sent) == emitted[-1000:]
    finished = next(p for p in emitted if p["event"] == "course.finished")
    assert finished["event"] == "course.finished"  # not the doc sample's "lesson.finished"


async def test_signature_is_hmac_sha256_of_the_exact_body(sandbox: Sandbox) -> None:
    received: list[tuple[bytes, dict[str, str]]] = []

    async def deliver(body: bytes, headers: dict[str, str]) -> None:
        received.append((body, headers))

    sandbox.webhooks.set_target(deliver)
    async with sandbox.running():
        emitted = await sandbox.simulate_activity(5)
        with anyio.fail_after(5):
            await sandbox.webhooks.wait_idle()
    assert len(received) == len(emitted) > 0
    for (body, headers), payload in zip(received, emitted, strict=True):
        expected = hmac.new(b"sandbox-webhook-secret", body, hashlib.sha256).hexdigest()
        assert headers["Signature"] == expected
        assert headers["Content-Type"] == "application/json"
        assert json.loads(body) == payload


def test_bodies_are_encoded_as_php_json_encode_does() -> None:
    """Escaped slashes and \\u escapes: a receiver must verify the raw bytes, not re-encoded JSON."""
    body = php_json({"link": "https://app.academyocean.com/verify/x", "name": "Zoë"})
    assert body == b'{"link":"https:\\/\\/app.academyocean.com\\/verify\\/x","name":"Zo\\u00eb"}'
    assert sign(body, "k") == hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert sign(json.dumps(json.loads(body), separators=(",", ":")).encode(), "k") != sign(body, "k")


async def test_api_writes_emit_and_deliver_in_order(api: Api, sandbox: Sandbox) -> None:
    received: list[dict[str, Any]] = []

    async def deliver(body: bytes, headers: dict[str, str]) -> None:
        received.append(json.loads(body))

    learner = next(lr for lr in sandbox.state.learners.values() if not lr.teams)
    team = next(t for t in sandbox.state.teams.values() if t.academy_id == learner.academy_id)
    sandbox.webhooks.set_target(deliver)
    async with sandbox.running():
        await api.ok("addLearnersToTeams", {"teams": [team.id], "learners": [learner.email]})
        with anyio.fail_after(5):
            await sandbox.webhooks.wait_idle()
    assert received[0]["event"] == "team.new_learners"
    assert received[0]["team"] == [{"id": team.id, "name": team.name}]
    assert received[0]["learners"][0]["email"] == learner.email
    assert [p["event"] for p in received] == [p["event"] for p in list(sandbox.webhooks.sent)[-len(received):]]


async def test_failed_delivery_is_retried_with_backoff(sandbox: Sandbox) -> None:
    calls: list[bytes] = []

    async def flaky(body: bytes, headers: dict[str, str]) -> None:
        calls.append(body)
        if len(calls) < 3:
            raise ConnectionError("receiver down")

    sandbox.webhooks.retry_delays = (0.01, 0.01, 0.01)
    sandbox.webhooks.set_target(flaky)
    async with sandbox.running():
        emitted = await sandbox.simulate_activity(1)
        with anyio.fail_after(5):
            await sandbox.webhooks.wait_idle()
    assert len(emitted) >= 1
    assert calls[0] == calls[1] == calls[2]  # the same event, retried
    assert sandbox.webhooks.delivered == len(emitted) and sandbox.webhooks.dropped == 0


async def test_an_error_status_from_an_in_process_receiver_is_retried(sandbox: Sandbox) -> None:
    statuses = [503, 401]
    calls: list[bytes] = []

    async def receiver(body: bytes, headers: dict[str, str]) -> int:
        calls.append(body)
        return statuses.pop(0) if statuses else 200

    sandbox.webhooks.retry_delays = (0.01, 0.01, 0.01)
    sandbox.webhooks.set_target(receiver)
    async with sandbox.running():
        emitted = await sandbox.simulate_activity(1)
        with anyio.fail_after(5):
            await sandbox.webhooks.wait_idle()
    assert calls[0] == calls[1] == calls[2]
    assert sandbox.webhooks.delivered == len(emitted) and sandbox.webhooks.dropped == 0


async def test_delivery_is_dropped_after_retries_with_a_log_line(sandbox: Sandbox,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    attempts: list[int] = []

    async def down(body: bytes, headers: dict[str, str]) -> None:
        attempts.append(1)
        raise ConnectionError("receiver down")

    sandbox.webhooks.retry_delays = (0.01, 0.02)
    sandbox.webhooks.set_target(down)
    with caplog.at_level(logging.INFO, logger="ao_mcp.sandbox"):
        async with sandbox.running():
            emitted = await sandbox.simulate_activity(1)
            with anyio.fail_after(5):
                await sandbox.webhooks.wait_idle()
    assert len(attempts) == 3 * len(emitted)
    assert sandbox.webhooks.dropped == len(emitted) and sandbox.webhooks.delivered == 0
    drops = [r for r in caplog.records if r.name == "ao_mcp.sandbox" and "dropped" in r.getMessage()]
    assert len(drops) == len(emitted)
    assert all("sandbox-webhook-secret" not in r.getMessage() for r in caplog.records)


async def test_emit_never_blocks_nor_fails_the_request(api: Api, sandbox: Sandbox) -> None:
    """No worker running and a tiny queue: the write still answers, extra events are dropped."""
    sandbox.webhooks._queue_size = 1

    async def deliver(body: bytes, headers: dict[str, str]) -> None:  # never called: no worker
        raise AssertionError

    sandbox.webhooks.set_target(deliver)
    learner = next(lr for lr in sandbox.state.learners.values() if not lr.teams)
    teams = [t.id for t in sandbox.state.teams.values() if t.academy_id == learner.academy_id]
    assert await api.ok("addLearnersToTeams", {"teams": teams, "learners": [learner.email]}) == ["done"]
    assert sandbox.webhooks.pending == 1 and sandbox.webhooks.dropped >= 1


async def test_without_a_target_events_are_only_recorded(sandbox: Sandbox) -> None:
    emitted = await sandbox.simulate_activity(3)
    assert sandbox.webhooks.target is None and sandbox.webhooks.pending == 0
    assert list(sandbox.webhooks.sent) == emitted


def test_sent_is_bounded_and_targets_are_checked() -> None:
    emitter = WebhookEmitter("secret", sent_size=3)
    for number in range(5):
        emitter.emit({"id": str(number), "event": "x"})
    assert [p["id"] for p in emitter.sent] == ["2", "3", "4"]
    with pytest.raises(TypeError):
        emitter.set_target(42)  # type: ignore[arg-type]


async def test_webhook_secret_comes_from_the_config() -> None:
    sandbox = Sandbox(SandboxConfig(webhook_secret="other-secret", learners=20))
    bodies: list[tuple[bytes, str]] = []

    async def deliver(body: bytes, headers: dict[str, str]) -> None:
        bodies.append((body, headers["Signature"]))

    sandbox.webhooks.set_target(deliver)
    async with sandbox.running():
        await sandbox.simulate_activity(2)
        with anyio.fail_after(5):
            await sandbox.webhooks.wait_idle()
    assert bodies
    for body, signature in bodies:
        assert signature == hmac.new(b"other-secret", body, hashlib.sha256).hexdigest()
