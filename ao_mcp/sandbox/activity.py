"""Simulated learner activity: a living academy for webhook consumers to watch.

Each step is one thing a learner does — sign up (or accept a pending invitation),
join a team, open a lesson or quiz, finish a lesson, submit a quiz attempt — applied
through ``ops`` so the state changes and the matching webhooks are emitted together.
Choices come from a ``random.Random`` seeded from the sandbox seed, so the same
sandbox runs the same story; only timestamps follow the clock.
"""

from __future__ import annotations

import logging
import random
from typing import Any

import anyio

from ao_mcp.sandbox import ops
from ao_mcp.sandbox.data import new_learner
from ao_mcp.sandbox.state import AcademyState, Content, Learner, Unit

__all__ = ["ActivityGenerator"]

logger = logging.getLogger("ao_mcp.sandbox")

_PICKS = 25  # random learners tried before a progress step gives up and signs someone up


class ActivityGenerator:
    """Steps the academy forward; ``step()`` returns the webhook payloads it emitted."""

    def __init__(self, state: AcademyState, seed: int) -> None:
        self.state = state
        self.rng = random.Random(f"activity/{seed}")
        self.steps = 0
        self._serial = len(state.learners) + len(state.trash)

    def step(self) -> list[dict[str, Any]]:
        emitted: list[dict[str, Any]] = []
        forward = self.state.emit

        def capture(payload: dict[str, Any]) -> None:
            emitted.append(payload)
            forward(payload)

        self.state.emit = capture
        try:
            roll = self.rng.random()
            done = (roll < 0.12 and self._sign_up()) or (0.12 <= roll < 0.22 and self._join_team())
            if not done and not self._progress():
                self._sign_up(anywhere=True)
        finally:
            self.state.emit = forward
        self.steps += 1
        return emitted

    async def run(self, interval: float) -> None:
        """One step every ``interval`` seconds until cancelled; a failing step is logged, not fatal."""
        while True:
            await anyio.sleep(interval)
            try:
                self.step()
            except Exception:
                logger.exception("simulated activity step failed")

    # -- step kinds -------------------------------------------------------------------

    def _sign_up(self, *, anywhere: bool = False) -> bool:
        state, rng = self.state, self.rng
        now = state.now()
        pending = [i for i in state.invites.values() if i.used_at is None and state.learner(i.email) is None]
        if pending and rng.random() < 0.4:
            invite = rng.choice(pending)
            first, _, last = invite.name.partition(" ")
            learner = new_learner(
                rng, state, state.academies[invite.academy_id], now,
                serial=self._next_serial(), name=(first, last), email=invite.email,
            )
            ops.sign_up(state, learner, invite)
            return True
        # Private academies only take learners through invitations.
        open_academies = [a for a in state.academies.values() if not a.is_private] or list(state.academies.values())
        academy = rng.choice(open_academies)
        learner = new_learner(rng, state, academy, now, serial=self._next_serial())
        while state.learner(learner.email) is not None:
            learner.email = learner.email.replace("@", f".{self._next_serial()}@", 1)
        ops.sign_up(state, learner)
        return True

    def _next_serial(self) -> int:
        self._serial += 1
        return self._serial

    def _pick_learner(self) -> Learner | None:
        learners = self.state.learner_list()
        if not learners:
            return None
        learner = learners[self.rng.randrange(len(learners))]
        return None if learner.revoked else learner

    def _join_team(self) -> bool:
        learner = self._pick_learner()
        if learner is None:
            return False
        teams = [
            t for t in self.state.teams.values() if t.academy_id == learner.academy_id and t.id not in learner.teams
        ]
        if not teams:
            return False
        ops.add_to_teams(self.state, [learner], [self.rng.choice(teams)])
        return True

    def _next_content(self, learner: Learner, unit: Unit) -> Content | None:
        """The first content not yet passed (linear passing), unless the learner is stuck on it."""
        for content in unit.contents:
            progress = learner.progress.get(content.id)
            if progress is not None and self.state.is_passed(learner, content):
                continue
            if (
                content.kind == "quiz"
                and progress is not None
                and progress.attempts >= learner.allowed_attempts(content)
            ):
                return None  # out of attempts: until addLearnerQuizAttempts, nothing to do here
            return content
        return None

    def _progress(self) -> bool:
        state, rng = self.state, self.rng
        for _ in range(_PICKS):
            learner = self._pick_learner()
            if learner is None:
                continue
            started: list[tuple[Unit, Content]] = []
            fresh: list[tuple[Unit, Content]] = []
            for unit in state.available(learner).units:
                content = self._next_content(learner, unit)
                if content is not None:
                    opened = any(c.id in learner.progress for c in unit.contents)
                    (started if opened else fresh).append((unit, content))
            if not started and not fresh:
                continue
            pool = started if started and (not fresh or rng.random() < 0.8) else fresh
            _, content = rng.choice(pool)
            self._advance(learner, content)
            return True
        return False

    def _advance(self, learner: Learner, content: Content) -> None:
        state, rng = self.state, self.rng
        now = state.now()
        progress = learner.progress.get(content.id)
        if progress is None:
            ops.record_login(state, learner, now)
            ops.start_content(state, learner, content, now)
        elif content.kind == "lesson":
            ops.finish_lesson(state, learner, content, now, rng.randint(30, content.duration * 2))
        else:
            spent = rng.randint(30, max(31, content.duration))
            if content.passing_score == 0 or rng.random() < 0.65:
                score = rng.randint(content.passing_score, content.max_score)
            else:
                score = rng.randint(0, content.passing_score - 1)
            ops.attempt_quiz(state, learner, content, now, score, spent)
