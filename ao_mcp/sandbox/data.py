"""Deterministic generation of a whole academy account from one seed.

Everything is drawn from one ``random.Random(seed)`` in a fixed order, so the same
seed always gives the same account. History is anchored to fixed dates (not the
clock) for the same reason. Learner profiles are mixed on purpose: passive ones,
finishers with certificates, learners who churned mid-course or ran out of quiz
attempts, repeat visitors, and learners in several teams.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from ao_mcp.sandbox import refdata
from ao_mcp.sandbox.config import SandboxConfig
from ao_mcp.sandbox.state import (
    Academy,
    AcademyState,
    CertificateVariable,
    Content,
    Folder,
    Invite,
    Learner,
    Progress,
    Question,
    Team,
    Unit,
    VariableDef,
)

__all__ = ["HISTORY_END", "HISTORY_START", "generate", "new_id", "new_learner"]

HISTORY_START = 1672531200  # 2023-01-01T00:00:00Z
HISTORY_END = 1735689600  # 2025-01-01T00:00:00Z
_DAY = 86400
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_COUNTRY_WEIGHTS = [weight for _, _, weight, _ in refdata.COUNTRIES]
_DOMAINS = ("example.com", "example.org", "example.net")


def new_id(rng: random.Random, length: int = 20) -> str:
    """An opaque id like the service's hashids (``NVpz0PmrkjrkOQW9d1Kx``)."""
    return "".join(rng.choices(_ALNUM, k=length))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def generate(config: SandboxConfig) -> AcademyState:
    """Build the account described by ``config``."""
    rng = random.Random(config.seed)
    state = AcademyState(base_url=config.base_url, clock=config.clock, history_end=HISTORY_END)
    _academies(rng, state, config.academies)
    _catalogue(rng, state)
    _learners(rng, state, config.learners)
    _invites(rng, state, max(3, config.learners // 20))
    _variables(rng, state)
    state.revision = 0
    return state


def _academies(rng: random.Random, state: AcademyState, count: int) -> None:
    for index in range(count):
        base = refdata.ACADEMY_NAMES[index % len(refdata.ACADEMY_NAMES)]
        name = base if index < len(refdata.ACADEMY_NAMES) else f"{base} {index // len(refdata.ACADEMY_NAMES) + 1}"
        slug = _slug(name)
        # The first academy is the public showcase, the second private (invite only),
        # the third published on its own domain; this covers every academies flag.
        private = index % 3 == 1
        cname = index % 3 == 2
        academy = Academy(
            id=new_id(rng),
            name=name,
            slug=slug,
            is_private=private,
            is_published=index != 4,
            is_cname_enabled=cname,
            cname_domain=f"learn.{slug}.example.com" if cname else None,
            created_at=HISTORY_START - rng.randint(30, 400) * _DAY,
            access_request_amount=rng.randint(1, 6) if private else 0,
        )
        state.academies[academy.id] = academy


def _questions(rng: random.Random, topic: str) -> tuple[Question, ...]:
    return tuple(
        Question(
            id=new_id(rng, 8),
            name=f"{topic}: question {number}",
            type=rng.choice(refdata.QUESTION_TYPES),
            right_answer=f"Correct answer {number}",
            wrong_answer=f"Wrong answer {number}",
        )
        for number in range(1, rng.randint(3, 6) + 1)
    )


def _course(
    rng: random.Random,
    state: AcademyState,
    academy: Academy,
    topic: str,
    group_id: str | None,
    folder: Folder | None,
) -> Unit:
    course_id = new_id(rng)
    contents: list[Content] = []
    count = rng.randint(3, 6)
    quiz_positions = {count - 1} | ({rng.randint(1, count - 2)} if count > 3 and rng.random() < 0.5 else set())
    titles = rng.sample(refdata.LESSON_TITLES, count)
    for position in range(count):
        if position in quiz_positions:
            questions = _questions(rng, topic)
            name = f"{topic} Quiz" if position == count - 1 else f"Checkpoint Quiz {position}"
            timer = rng.random() < 0.3
            content = Content(
                id=new_id(rng),
                slug=_slug(name),
                name=name,
                kind="quiz",
                course_id=course_id,
                duration=rng.randint(3, 15) * 60,
                questions=questions,
                passing_score=0 if rng.random() < 0.15 else max(1, round(len(questions) * 0.6)),
                attempts=rng.choice((1, 2, 3, 3)),
                is_need_manual_approve=rng.random() < 0.1,
                is_timer_on=timer,
                timer_minutes=rng.randint(5, 15) if timer else 5,
            )
        else:
            name = titles[position]
            content = Content(
                id=new_id(rng),
                slug=_slug(name),
                name=name,
                kind="lesson",
                course_id=course_id,
                duration=rng.randint(2, 20) * 60,
            )
        contents.append(content)
        state.contents[content.id] = content
    slug = _slug(topic)
    unit = Unit(
        id=course_id,
        number=len(state.units) + 1,
        slug=slug,
        name=topic,
        description=f"Everything about {topic.lower()}.",
        academy_id=academy.id,
        kind="course",
        contents=tuple(contents),
        img=f"{state.base_url}/img/upload_img.png",
        is_scorm=rng.random() < 0.1,
        is_ribbon_enabled=rng.random() < 0.3,
        group_id=group_id,
        folder=folder,
        template_id=rng.randint(100, 199),
    )
    if unit.is_ribbon_enabled:
        unit.ribbon_text = rng.choice(("New", "Popular", "Updated", "Required"))
    unit.certificate_variables = _certificate_variables(topic)
    state.units[unit.id] = unit
    return unit


def _certificate_variables(topic: str) -> list[CertificateVariable]:
    base = "/img/certificates/master_certificate/master_certificate_template"
    return [
        CertificateVariable("variable_1", "Variable 1 / Background (Recommendation: 1650x1080 px)",
                            "image_url", f"{base}_test-bg.png"),
        CertificateVariable("variable_2", "Variable 2 / Logotype", "image_url", f"{base}_variable2.png"),
        CertificateVariable("variable_3", "Variable 3 / Course Skill 1", "text", topic),
    ]


def _catalogue(rng: random.Random, state: AcademyState) -> None:
    """About ten courses and groups for three academies, plus teams that open some of them."""
    topics = iter(rng.sample(refdata.COURSE_TOPICS, len(refdata.COURSE_TOPICS)))
    group_number = 0
    for index, academy in enumerate(list(state.academies.values())):
        folder = Folder(new_id(rng), "Folder", "Category (recommended)") if index % 2 == 0 else None
        standalone = 3 if index == 0 else 2
        has_group = index % 2 == 0
        tops: list[Unit] = []
        for position in range(standalone):
            topic = next(topics, None) or f"Course {len(state.units) + 1}"
            tops.append(_course(rng, state, academy, topic, None, folder if position == 0 else None))
        if has_group:
            group_number += 1
            group_id = new_id(rng)
            members = []
            for _ in range(2):
                topic = next(topics, None) or f"Course {len(state.units) + 1}"
                members.append(_course(rng, state, academy, topic, group_id, None))
            name = f"Learning Path {group_number}"
            group = Unit(
                id=group_id,
                number=len(state.units) + 1,
                slug=_slug(name),
                name=name,
                description="A group of courses taken in order.",
                academy_id=academy.id,
                kind="group",
                contents=tuple(content for member in members for content in member.contents),
                img=f"{state.base_url}/img/upload_img.png",
                members=tuple(member.id for member in members),
                folder=folder,
                template_id=rng.randint(100, 199),
                certificate_variables=_certificate_variables(name),
            )
            state.units[group.id] = group
            tops.append(group)
        # Per academy: the last standalone course is team-only, the first academy keeps a
        # draft (unpublished) and a course hidden from the catalogue.
        tops[standalone - 1].is_public = False
        if index == 0:
            tops[1].is_published = False
            tops[0].is_displayed = False
        _teams(rng, state, academy, tops)


def _teams(rng: random.Random, state: AcademyState, academy: Academy, tops: Sequence[Unit]) -> None:
    names = rng.sample(refdata.TEAM_NAMES, 3)
    restricted = [unit.id for unit in tops if not unit.is_public]
    public = [unit.id for unit in tops if unit.is_public]
    for position, name in enumerate(names):
        # Two teams open the restricted course (joining them makes a course available);
        # the third only lists public ones, so joining it opens nothing new.
        units = restricted + rng.sample(public, 1) if position < 2 else rng.sample(public, min(2, len(public)))
        team = Team(id=new_id(rng, 22), name=name, academy_id=academy.id, unit_ids=tuple(units))
        state.teams[team.id] = team


def new_learner(
    rng: random.Random,
    state: AcademyState,
    academy: Academy,
    registered_at: int,
    *,
    serial: int,
    name: tuple[str, str] | None = None,
    email: str | None = None,
    teams: Sequence[str] = (),
) -> Learner:
    """A learner profile with no progress, as a fresh sign-up has."""
    first, last = name or (rng.choice(refdata.FIRST_NAMES), rng.choice(refdata.LAST_NAMES))
    iso, _, _, cities = rng.choices(refdata.COUNTRIES, weights=_COUNTRY_WEIGHTS)[0]
    os_name, device = rng.choice(refdata.PLATFORMS)
    if email is None:
        email = f"{first}.{last}.{serial}@{_DOMAINS[serial % 3]}".lower()
    return Learner(
        id=new_id(rng),
        email=email,
        first_name=first,
        last_name=last,
        academy_id=academy.id,
        registered_at=registered_at,
        company=rng.choice(refdata.COMPANIES),
        country_iso=iso,
        city=rng.choice(cities),
        os=os_name,
        device=device,
        browser=rng.choice(refdata.BROWSERS),
        last_login_at=registered_at,
        log_ins_amount=1,
        browse_time=rng.randint(30, 900),
        teams=tuple(teams),
    )


def _learners(rng: random.Random, state: AcademyState, count: int) -> None:
    academies = list(state.academies.values())
    weights = [60, 25, 15, 10, 10][: len(academies)] + [5] * max(0, len(academies) - 5)
    academy_teams = {a.id: [t.id for t in state.teams.values() if t.academy_id == a.id] for a in academies}
    span = HISTORY_END - 30 * _DAY - HISTORY_START
    for serial in range(1, count + 1):
        academy = rng.choices(academies, weights=weights)[0]
        pool = academy_teams[academy.id]
        roll = rng.random()
        teams = () if roll < 0.5 or not pool else tuple(rng.sample(pool, 1 if roll < 0.85 else min(2, len(pool))))
        registered = HISTORY_START + rng.randrange(span)
        learner = new_learner(rng, state, academy, registered, serial=serial, teams=teams)
        last_activity = registered
        if rng.random() >= 0.15:  # 15% stay passive: registered, nothing opened
            last_activity = _history(rng, state, learner)
        learner.last_login_at = max(last_activity, min(HISTORY_END, last_activity + rng.randint(0, 3 * _DAY)))
        repeat = rng.random()
        learner.log_ins_amount = 1 if repeat < 0.4 else 2 + int(rng.expovariate(0.25))
        state.add_learner(learner)
        if academy.is_private or rng.random() < 0.1:
            state.invites[learner.email] = Invite(
                email=learner.email,
                name=learner.name,
                type="learner",
                academy_id=academy.id,
                teams=list(teams),
                created_at=registered - rng.randint(1, 10) * _DAY,
                used_at=registered,
            )


def _history(rng: random.Random, state: AcademyState, learner: Learner) -> int:
    """Give an engaged learner progress in some available units; returns the last activity time."""
    units = list(state.available(learner).units)
    rng.shuffle(units)
    now = learner.registered_at
    started_any = False
    for unit in units:
        if started_any and rng.random() < 0.45:
            continue
        started_any = True
        # 40% finish the unit; the rest churn somewhere in it.
        target = len(unit.contents) if rng.random() < 0.4 else rng.randint(1, len(unit.contents))
        for position, content in enumerate(unit.contents[:target]):
            if now >= HISTORY_END - 3 * _DAY:  # room for one more content: no fact after HISTORY_END
                return now
            now += rng.randint(300, 2 * _DAY)
            progress = Progress(started_at=now)
            learner.progress[content.id] = progress
            is_last = position == target - 1 and target < len(unit.contents)
            if is_last and rng.random() < 0.5:
                progress.time_sec = rng.randint(10, content.duration)
                return now + progress.time_sec  # stopped inside this content
            if content.kind == "lesson":
                progress.time_sec = rng.randint(30, content.duration * 2)
                now += progress.time_sec
                progress.finished_at = now
                continue
            while progress.attempts < content.attempts:
                spent = rng.randint(30, content.duration)
                now += spent
                progress.time_sec += spent
                progress.attempts += 1
                progress.finished_at = now
                if content.passing_score == 0 or rng.random() < 0.75:
                    progress.score = rng.randint(content.passing_score, content.max_score)
                    break
                progress.score = rng.randint(0, content.passing_score - 1)
            if (progress.score or 0) < content.passing_score:
                return now  # out of attempts: stuck at this quiz
    return now


def _invites(rng: random.Random, state: AcademyState, count: int) -> None:
    """Pending invitations, mostly to the private academy, some carrying teams."""
    academies = list(state.academies.values())
    targets = [a for a in academies if a.is_private] or academies
    for number in range(1, count + 1):
        academy = targets[number % len(targets)] if rng.random() < 0.8 else academies[0]
        first, last = rng.choice(refdata.FIRST_NAMES), rng.choice(refdata.LAST_NAMES)
        email = f"invitee.{first}.{number}@example.org".lower()
        pool = [t.id for t in state.teams.values() if t.academy_id == academy.id]
        state.invites[email] = Invite(
            email=email,
            name=f"{first} {last}",
            type="manager" if rng.random() < 0.1 else "learner",
            academy_id=academy.id,
            teams=rng.sample(pool, 1) if pool and rng.random() < 0.5 else [],
            created_at=HISTORY_END - rng.randint(1, 60) * _DAY,
        )


def _variables(rng: random.Random, state: AcademyState) -> None:
    """Lesson variables defined per academy, with values for about one learner in ten."""
    for academy in state.academies.values():
        academy.variables = {
            "job_title": VariableDef("job_title", 0, None),
            "onboarding_notes": VariableDef("onboarding_notes", 1, "No notes yet"),
            "seats": VariableDef("seats", 2, None),
        }
    titles = ("Manager", "Engineer", "Support Agent", "Sales Rep", "Designer")
    for learner in state.learners.values():
        if rng.random() < 0.1:
            learner.variables = {"job_title": rng.choice(titles), "seats": rng.randint(1, 50)}
