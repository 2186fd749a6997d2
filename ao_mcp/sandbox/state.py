"""The sandbox's academy account in memory: records, lookups and derived numbers.

Only facts are stored (who started or finished which content, when, with what
score). Everything the API reports as a number — score %, lessons opened and
completed, courses completed, certificates, amounts per country — is computed
from those facts on demand, so no two answers can disagree. A learner's
computed numbers (and their encoded JSON) are cached on the learner and dropped
by ``touch`` whenever that learner changes; ``revision`` counts every write so whole answers can be
cached too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Academy",
    "AcademyState",
    "Availability",
    "CertificateVariable",
    "Content",
    "Folder",
    "Invite",
    "Learner",
    "LearnerStats",
    "LoginToken",
    "Progress",
    "Question",
    "Team",
    "Unit",
    "UnitProgress",
    "VariableDef",
    "passed",
]

ContentKind = Literal["lesson", "quiz"]
UnitKind = Literal["course", "group"]


@dataclass(slots=True)
class VariableDef:
    """A lesson variable defined in an academy (type 0 string ... 4 markdown string)."""

    key: str
    type: int
    default_value: str | None


@dataclass(slots=True)
class Academy:
    """One academy of the account; learners, courses and teams each belong to one."""

    id: str
    name: str
    slug: str
    is_private: bool
    is_published: bool
    is_cname_enabled: bool
    cname_domain: str | None
    created_at: int
    access_request_amount: int
    variables: dict[str, VariableDef] = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class Question:
    """A quiz question; one point each, so a quiz's maximum score is its question count."""

    id: str
    name: str
    type: str
    right_answer: str
    wrong_answer: str


@dataclass(slots=True)
class Content:
    """A lesson or a quiz; quiz-only fields keep their zero values on lessons."""

    id: str
    slug: str
    name: str
    kind: ContentKind
    course_id: str
    duration: int
    questions: tuple[Question, ...] = ()
    passing_score: int = 0
    attempts: int = 0
    is_need_manual_approve: bool = False
    is_timer_on: bool = False
    timer_minutes: int = 0

    @property
    def max_score(self) -> int:
        return len(self.questions)


@dataclass(slots=True, frozen=True)
class Folder:
    """The catalogue folder a course or group sits in (webhooks report it)."""

    id: str
    name: str
    category: str


@dataclass(slots=True)
class CertificateVariable:
    """A field of a course's certificate template."""

    code: str
    name: str
    type: str
    value: str | None


@dataclass(slots=True)
class Unit:
    """A course or a course group: something a learner starts and finishes.

    A group's ``contents`` are its member courses' contents in order, so group
    progress follows from course progress. Courses inside a group take their
    visibility from the group and give no certificate of their own.
    """

    id: str
    number: int
    slug: str
    name: str
    description: str
    academy_id: str
    kind: UnitKind
    contents: tuple[Content, ...]
    img: str
    is_published: bool = True
    is_displayed: bool = True
    is_public: bool = True
    is_scorm: bool = False
    is_ribbon_enabled: bool = False
    ribbon_text: str = ""
    group_id: str | None = None
    members: tuple[str, ...] = ()
    folder: Folder | None = None
    certificate_enabled: bool = True
    template_id: int = 0
    certificate_variables: list[CertificateVariable] = field(default_factory=list)

    @property
    def duration(self) -> int:
        return sum(content.duration for content in self.contents)

    @property
    def gives_certificate(self) -> bool:
        return self.certificate_enabled and self.group_id is None


@dataclass(slots=True)
class Team:
    """A team; ``unit_ids`` are the top-level courses and groups it makes available."""

    id: str
    name: str
    academy_id: str
    unit_ids: tuple[str, ...]


@dataclass(slots=True)
class Progress:
    """One learner in one content: the only progress fact stored.

    ``finished_at`` is when a lesson was completed or a quiz attempt last ended;
    ``score`` the last attempt's points; ``attempts`` the attempts used.
    """

    started_at: int
    finished_at: int | None = None
    time_sec: int = 0
    score: int | None = None
    attempts: int = 0


def passed(content: Content, progress: Progress) -> bool:
    """A lesson passes when finished; a quiz when its last attempt reached the passing score."""
    if progress.finished_at is None:
        return False
    if content.kind == "quiz":
        return (progress.score or 0) >= content.passing_score
    return True


@dataclass(slots=True)
class LearnerStats:
    """The derived numbers of one learner."""

    score: int
    lessons_opened: int
    lessons_completed: int
    courses_completed: int
    certificates_amount: int
    spent_time: int


@dataclass(slots=True)
class Learner:
    """A registered learner. ``progress`` maps content id to its ``Progress``."""

    id: str
    email: str
    first_name: str
    last_name: str
    academy_id: str
    registered_at: int
    company: str | None
    country_iso: str
    city: str
    os: str
    device: str
    browser: str
    last_login_at: int
    log_ins_amount: int
    browse_time: int
    teams: tuple[str, ...] = ()
    revoked: bool = False
    progress: dict[str, Progress] = field(default_factory=dict)
    extra_attempts: dict[str, int] | None = None
    variables: dict[str, Any] | None = None
    cache: LearnerStats | None = None
    row: bytes | None = None  # the encoded learner object, see actions.views.learner_json

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def allowed_attempts(self, quiz: Content) -> int:
        return quiz.attempts + (self.extra_attempts or {}).get(quiz.id, 0)


@dataclass(slots=True)
class Invite:
    """An invitation to an academy, pending until ``used_at`` is set by a sign-up."""

    email: str
    name: str
    type: str
    academy_id: str
    teams: list[str]
    created_at: int
    used_at: int | None = None
    variables: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class LoginToken:
    """A one-off login link issued by createLoginToken."""

    token: str
    academy_id: str
    email: str
    redirect: str
    teams: tuple[str, ...]
    created_at: int


@dataclass(slots=True, frozen=True)
class Availability:
    """What a learner with a given academy and teams can take: units and their contents."""

    units: tuple[Unit, ...]
    content_ids: frozenset[str]


@dataclass(slots=True, frozen=True)
class UnitProgress:
    """A learner's standing in one unit, derived from content progress."""

    started_at: int | None
    finished_at: int | None
    passed_amount: int
    total: int
    view_time: int
    last_content: Content | None

    @property
    def completed(self) -> bool:
        return self.total > 0 and self.passed_amount == self.total


class AcademyState:
    """Every record of the simulated account, with lookups and derived numbers.

    ``emit`` is called with each webhook payload a state change produces; the
    sandbox points it at its webhook emitter.
    """

    def __init__(self, *, base_url: str, clock: Callable[[], float], history_end: int) -> None:
        self.base_url = base_url
        self.clock = clock
        self.history_end = history_end
        self.academies: dict[str, Academy] = {}
        self.units: dict[str, Unit] = {}
        self.contents: dict[str, Content] = {}
        self.teams: dict[str, Team] = {}
        self.learners: dict[str, Learner] = {}
        self.emails: dict[str, Learner] = {}
        self.invites: dict[str, Invite] = {}
        self.login_tokens: dict[str, LoginToken] = {}
        self.trash: dict[str, Learner] = {}
        self.revision = 0
        self.emit: Callable[[dict[str, Any]], None] = lambda payload: None
        self._floor = history_end
        self._availability: dict[tuple[str, tuple[str, ...]], Availability] = {}
        self._learner_list: list[Learner] | None = None

    # -- time -------------------------------------------------------------------------

    def now(self) -> int:
        """Current time, never earlier than the generated history nor than a previous call.

        An injected test clock may sit in 1970; new facts must still come after old ones.
        """
        self._floor = max(self._floor, int(self.clock()))
        return self._floor

    # -- changes ----------------------------------------------------------------------

    def touch(self, learner: Learner | None = None) -> None:
        """Record a write: drop cached answers (and the learner's derived numbers)."""
        self.revision += 1
        if learner is not None:
            learner.cache = None
            learner.row = None

    def add_learner(self, learner: Learner) -> None:
        self.learners[learner.id] = learner
        self.emails[learner.email.lower()] = learner
        self._learner_list = None
        self.touch(learner)

    def remove_learner(self, learner: Learner, *, permanently: bool) -> None:
        """Delete a learner; a soft delete keeps the record in ``trash`` as the service would."""
        self.learners.pop(learner.id, None)
        if self.emails.get(learner.email.lower()) is learner:
            del self.emails[learner.email.lower()]
        if not permanently:
            self.trash[learner.id] = learner
        self._learner_list = None
        self.touch(learner)

    def learner_list(self) -> list[Learner]:
        """Learners in registration order (cached list, so random picks are O(1))."""
        if self._learner_list is None:
            self._learner_list = list(self.learners.values())
        return self._learner_list

    # -- lookups ----------------------------------------------------------------------

    def learner(self, email: str) -> Learner | None:
        return self.emails.get(email.strip().lower())

    def find_unit(self, ref: str, *, slug_ok: bool = True) -> Unit | None:
        """A course or group by API id, or by slug where the doc allows "URL or ID"."""
        unit = self.units.get(ref)
        if unit is None and slug_ok:
            unit = next((u for u in self.units.values() if u.slug == ref), None)
        return unit

    def find_content(self, unit: Unit, ref: str) -> Content | None:
        return next((c for c in unit.contents if ref in (c.id, c.slug)), None)

    def quiz(self, quiz_id: str) -> Content | None:
        content = self.contents.get(quiz_id)
        return content if content is not None and content.kind == "quiz" else None

    def top_units(self, academy_id: str | None = None) -> Iterator[Unit]:
        """Standalone courses and groups (not the courses inside groups)."""
        for unit in self.units.values():
            if unit.group_id is None and (academy_id is None or unit.academy_id == academy_id):
                yield unit

    def unit_teams(self, unit: Unit) -> list[Team]:
        top = self.units[unit.group_id] if unit.group_id else unit
        return [team for team in self.teams.values() if top.id in team.unit_ids]

    def available(self, learner: Learner) -> Availability:
        """Published units open to everyone in the learner's academy or to one of their teams."""
        key = (learner.academy_id, learner.teams)
        found = self._availability.get(key)
        if found is None:
            granted = {uid for tid in learner.teams if tid in self.teams for uid in self.teams[tid].unit_ids}
            units = tuple(
                unit
                for unit in self.top_units(learner.academy_id)
                if unit.is_published and (unit.is_public or unit.id in granted)
            )
            ids = frozenset(content.id for unit in units for content in unit.contents)
            found = self._availability[key] = Availability(units, ids)
        return found

    # -- derived numbers --------------------------------------------------------------

    def is_passed(self, learner: Learner, content: Content) -> bool:
        progress = learner.progress.get(content.id)
        return progress is not None and passed(content, progress)

    def unit_progress(self, learner: Learner, unit: Unit) -> UnitProgress:
        started: int | None = None
        finished: int | None = None
        passed_amount = view_time = 0
        last: Content | None = None
        last_at = -1
        for content in unit.contents:
            progress = learner.progress.get(content.id)
            if progress is None:
                continue
            view_time += progress.time_sec
            if started is None or progress.started_at < started:
                started = progress.started_at
            touched = progress.finished_at or progress.started_at
            if touched >= last_at:
                last, last_at = content, touched
            if passed(content, progress):
                passed_amount += 1
                if finished is None or (progress.finished_at or 0) > finished:
                    finished = progress.finished_at
        total = len(unit.contents)
        return UnitProgress(
            started_at=started,
            finished_at=finished if total and passed_amount == total else None,
            passed_amount=passed_amount,
            total=total,
            view_time=view_time,
            last_content=last,
        )

    def touched_units(self, learner: Learner) -> list[Unit]:
        """Courses the learner opened content in, then the groups holding them, in catalogue order."""
        course_ids = {self.contents[cid].course_id for cid in learner.progress}
        group_ids = {self.units[cid].group_id for cid in course_ids if self.units[cid].group_id}
        return [u for u in self.units.values() if u.id in course_ids or u.id in group_ids]

    def certificates(self, learner: Learner) -> list[tuple[Unit, int]]:
        """Certificates held: one per completed standalone course or group that issues one."""
        issued = []
        for unit in self.touched_units(learner):
            if not unit.gives_certificate:
                continue
            progress = self.unit_progress(learner, unit)
            if progress.completed and progress.finished_at is not None:
                issued.append((unit, progress.finished_at))
        return issued

    def stats(self, learner: Learner) -> LearnerStats:
        cached = learner.cache
        if cached is not None:
            return cached
        available = self.available(learner).content_ids
        completed = completed_available = 0
        spent = learner.browse_time
        course_ids: set[str] = set()
        contents = self.contents
        for cid, progress in learner.progress.items():
            content = contents[cid]
            spent += progress.time_sec
            course_ids.add(content.course_id)
            if passed(content, progress):
                completed += 1
                if cid in available:
                    completed_available += 1
        courses_completed = certificates = 0
        groups: set[str] = set()
        for course_id in course_ids:
            course = self.units[course_id]
            if course.group_id:
                groups.add(course.group_id)
            if all(self.is_passed(learner, content) for content in course.contents):
                courses_completed += 1
                certificates += course.gives_certificate
        for group_id in groups:
            group = self.units[group_id]
            if group.gives_certificate and all(self.is_passed(learner, c) for c in group.contents):
                certificates += 1
        total = len(available)
        score = (completed_available * 100 + total // 2) // total if total else 0
        learner.cache = LearnerStats(
            score=score,
            lessons_opened=len(learner.progress),
            lessons_completed=completed,
            courses_completed=courses_completed,
            certificates_amount=certificates,
            spent_time=spent,
        )
        return learner.cache

    def learners_in(self, academy_id: str) -> Iterable[Learner]:
        return (learner for learner in self.learners.values() if learner.academy_id == academy_id)
