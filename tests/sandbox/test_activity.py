"""The activity generator: every event it emits matches the state, and the API shows it."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from ao_mcp.sandbox import Sandbox, SandboxConfig

from .helpers import Api, FakeClock

pytestmark = pytest.mark.anyio


def summary(payloads: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """What happened, without the random event ids and clock-based dates."""
    rows = []
    for p in payloads:
        who = p.get("learner", {}).get("email") or ",".join(sorted(x["email"] for x in p.get("learners", [])))
        what = next((p[k]["id"] for k in ("quiz", "lesson", "course", "group") if k in p), "")
        rows.append((p["event"], who, what))
    return rows


async def test_activity_is_deterministic_for_a_seed(clock: FakeClock) -> None:
    runs = []
    for seed in (7, 7, 8):
        sandbox = Sandbox(SandboxConfig(seed=seed, learners=50, clock=clock))
        runs.append(summary(await sandbox.simulate_activity(60)))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


async def test_events_agree_with_the_state_and_the_api(api: Api, sandbox: Sandbox) -> None:
    state = sandbox.state
    learners_before = len(state.learners)
    emitted = await sandbox.simulate_activity(300)
    signups = [p for p in emitted if p["event"] == "academy.learner.sign_up"]
    assert signups and len(state.learners) == learners_before + len(signups)
    for payload in emitted:
        event = payload["event"]
        learner = state.learner(payload["learner"]["email"]) if "learner" in payload else None
        if event in ("lesson.finished", "quiz.finished"):
            kind = "lesson" if event == "lesson.finished" else "quiz"
            assert learner is not None and payload[kind]["id"] in learner.progress
        if event == "lesson.finished":
            assert state.is_passed(learner, state.contents[payload["lesson"]["id"]])
        if event in ("course.finished", "course_group.finished"):
            unit = state.units[payload["course" if event == "course.finished" else "group"]["id"]]
            assert state.unit_progress(learner, unit).completed
        if event == "learner.end_quiz_attempts":
            quiz = state.contents[payload["quiz"]["id"]]
            assert learner.progress[quiz.id].attempts >= learner.allowed_attempts(quiz)
            assert not state.is_passed(learner, quiz)
        if event == "team.new_learners":
            for person in payload["learners"]:
                assert payload["team"][0]["id"] in state.learner(person["email"]).teams
    # The API tells the same story: certificates issued by activity are listed.
    issued = [p for p in emitted if p["event"] == "learner.course_certificate.issued"]
    assert issued
    for payload in issued:
        rows = await api.ok("certificates", {"email": payload["learner"]["email"]})
        assert payload["course"]["name"] in {row["course_name"] for row in rows}
    newcomer = signups[-1]["learner"]["email"]
    assert len(await api.ok("learners", {"email": newcomer})) == 1


async def test_invites_are_accepted_by_activity(sandbox: Sandbox) -> None:
    pending = {i.email for i in sandbox.state.invites.values() if i.used_at is None}
    emitted = await sandbox.simulate_activity(300)
    accepted = {p["learner"]["email"] for p in emitted if p["event"] == "academy.learner.sign_up"} & pending
    assert accepted
    for email in accepted:
        invite = sandbox.state.invites[email]
        assert invite.used_at is not None and sandbox.state.learner(email) is not None
        assert set(invite.teams) <= set(sandbox.state.learner(email).teams)


async def test_quiz_attempts_run_out_and_can_be_given_back(api: Api, sandbox: Sandbox) -> None:
    emitted = await sandbox.simulate_activity(400)
    stuck = next(p for p in emitted if p["event"] == "learner.end_quiz_attempts")
    learner = sandbox.state.learner(stuck["learner"]["email"])
    quiz = sandbox.state.contents[stuck["quiz"]["id"]]
    allowed = learner.allowed_attempts(quiz)
    assert learner.progress[quiz.id].attempts >= allowed
    await api.ok("addLearnerQuizAttempts", {"quiz_id": quiz.id, "email": learner.email})
    assert learner.allowed_attempts(quiz) == allowed + 1


async def test_background_activity_runs_and_delivers_while_running() -> None:
    sandbox = Sandbox(SandboxConfig(learners=30, activity_interval=0.01))
    received: list[bytes] = []

    async def deliver(body: bytes, headers: dict[str, str]) -> None:
        received.append(body)

    sandbox.webhooks.set_target(deliver)
    async with sandbox.running():
        with anyio.fail_after(5):
            while len(received) < 5:
                await anyio.sleep(0.01)
    steps = sandbox.activity.steps
    await anyio.sleep(0.05)
    assert sandbox.activity.steps == steps  # stopped with the block
    assert len(received) >= 5


async def test_running_without_interval_generates_nothing(sandbox: Sandbox) -> None:
    async with sandbox.running():
        await anyio.sleep(0.05)
        async with sandbox.running():  # nested use is harmless
            pass
    assert sandbox.activity.steps == 0 and not sandbox.webhooks.sent


async def test_a_learner_churns_only_after_a_week_without_activity(api: Api, sandbox: Sandbox,
                                                                   clock: FakeClock) -> None:
    emitted = await sandbox.simulate_activity(30)
    opened = next(p for p in reversed(emitted) if p["event"] == "lesson.started")
    email, options = opened["learner"]["email"], {"course_id": opened["course"]["id"],
                                                  "content_id": opened["lesson"]["id"]}
    assert email not in {row["email"] for row in await api.ok("learnersChurnAtContent", options)}
    clock.advance(8 * 86400)
    await api.login()  # the week-long token has expired too
    churned = {row["email"]: row for row in await api.ok("learnersChurnAtContent", options)}
    assert email in churned
    assert churned[email]["churn_date"] == opened["lesson"]["start_date"]


async def test_running_lets_errors_and_cancellation_through_unwrapped(sandbox: Sandbox) -> None:
    with pytest.raises(KeyError):
        async with sandbox.running():
            raise KeyError("from the test body")
    with anyio.move_on_after(0.05) as scope:
        async with sandbox.running():
            await anyio.sleep(10)
    assert scope.cancelled_caught
    async with sandbox.running():  # and it can run again afterwards
        await sandbox.simulate_activity(1)
