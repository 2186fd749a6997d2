"""Read actions: learners, courses, progress, countries, academies, teams, invites.

The account may hold several academies; list actions cover all of them, as the
``academies`` action and ``with_academy`` imply an account-wide API.
"""

from __future__ import annotations

import operator
import random
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from ao_mcp.sandbox.actions.views import (
    COUNTRY_NAMES,
    RawJSON,
    academy_ref,
    learner_json,
    open_url,
    rows_json,
    splice,
    team_refs,
)
from ao_mcp.sandbox.events import certificate_code
from ao_mcp.sandbox.formatting import atom, clock12, hms, iso_date, parse_date, us_date
from ao_mcp.sandbox.state import AcademyState, Content, Learner, Unit, passed
from ao_mcp.sandbox.validation import Options, invalid, is_email, not_found
from ao_mcp.sandbox.webhooks import php_json

__all__ = ["READS"]

_DAY = 86400
OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
    "<>": operator.ne,
    "=>": operator.ge,  # the doc's own example writes ">=" this way; accepted as an alias
}


def _operator(options: Options) -> Callable[[Any, Any], bool]:
    name = options.string("operator") or "="
    if name not in OPERATORS:
        raise invalid("The selected operator is invalid.")
    return OPERATORS[name]


def _date_range(options: Options) -> tuple[int, int] | None:
    """The ``dates`` pair: inclusive; a date without a time as the second item means end of day."""
    items = options.array("dates")
    if not items:
        return None
    if len(items) != 2:
        raise invalid("The dates field must contain 2 items.")
    bounds: list[int] = []
    for index, item in enumerate(items):
        parsed = parse_date(item) if isinstance(item, str) else None
        if parsed is None:
            raise invalid(f"The dates.{index} field must be a valid date.")
        ts, has_time = parsed
        bounds.append(ts + _DAY - 1 if index == 1 and not has_time else ts)
    if bounds[0] > bounds[1]:
        raise invalid("The dates.0 field must be a date before or equal to dates.1.")
    return bounds[0], bounds[1]


def _rows(state: AcademyState, learners: Iterable[Learner]) -> RawJSON:
    return rows_json(learner_json(state, learner) for learner in learners)


def learners(state: AcademyState, options: Options) -> RawJSON:
    # The `dates` pair comes from the doc's first example ("registered between").
    email = options.email("email", required=False)
    with_academy = options.boolean("with_academy")
    with_teams = options.boolean("with_teams")
    window = _date_range(options)
    if email is not None:
        found = state.learner(email)
        selected: Iterable[Learner] = [found] if found else []
    else:
        selected = state.learners.values()
    if window is not None:
        selected = [lr for lr in selected if window[0] <= lr.registered_at <= window[1]]
    rows = []
    for learner in selected:
        # `id` is not in the doc's field list, but deleteLearners takes ids and no other
        # action reveals them, so the sandbox (like the service's UI) shows it here.
        row = b'{"id":' + php_json(learner.id) + b"," + learner_json(state, learner)[1:]
        if with_academy or with_teams:
            tail: dict[str, Any] = {}
            if with_academy:
                tail["academy"] = academy_ref(state, learner)
            if with_teams:
                tail["teams"] = team_refs(state, learner)
            row = splice(row, tail=tail)
        rows.append(row)
    return rows_json(rows)


def courses(state: AcademyState, options: Options) -> list[dict[str, Any]]:
    # Courses inside groups are listed with is_in_group=true, and groups themselves too
    # ("name: Course/Group name"), unpublished ones included: this is the admin's catalogue.
    return [
        {
            "id": unit.id,
            "slug": unit.slug,
            "name": unit.name,
            "description": unit.description,
            "img": unit.img,
            "course_open_url": open_url(state, unit),
            "is_in_group": unit.group_id is not None,
            "is_scorm": unit.is_scorm,
            "is_ribbon_enabled": unit.is_ribbon_enabled,
            "ribbon_text": unit.ribbon_text if unit.is_ribbon_enabled else None,
        }
        for unit in state.units.values()
    ]


def certificates(state: AcademyState, options: Options) -> list[dict[str, Any]]:
    email = options.email("email")
    learner = state.learner(email or "")
    if learner is None:
        return []  # the doc: "or an empty array"
    rows = []
    for unit, issued_at in sorted(state.certificates(learner), key=lambda pair: pair[1]):
        code = certificate_code(learner, unit)
        rows.append(
            {
                "issued_date": atom(issued_at),
                "course_name": unit.name,
                "url_to_pdf": f"{state.base_url}/public/certificates/{code}.pdf",
                "url_to_image": f"{state.base_url}/public/certificates/{code}.png",
            }
        )
    return rows


def _unit_option(state: AcademyState, options: Options, name: str = "course_id", *, required: bool = True) -> Unit:
    ref = options.string(name, required=required)
    unit = state.find_unit(ref or "")
    if unit is None:
        raise not_found(name, ref)
    return unit


def _available(state: AcademyState, learner: Learner, unit: Unit) -> bool:
    top = state.units[unit.group_id] if unit.group_id else unit
    return top in state.available(learner).units


def _unit_team_names(state: AcademyState, unit: Unit) -> list[str]:
    top = state.units[unit.group_id] if unit.group_id else unit
    names = ["No Team"] if top.is_public else []
    return names + [team.name for team in state.unit_teams(unit)]


def learners_progress_by_course(state: AcademyState, options: Options) -> list[dict[str, Any]]:
    # course_id and course_slug are each "required": one of them is enough. Given both,
    # they must name the same course. Started learners come first (by start), then, with
    # show_not_started_learners, those who have the course available but never opened it.
    if not options.present("course_id") and not options.present("course_slug"):
        raise invalid("The course_id field is required when course_slug is not present.")
    unit = _unit_option(state, options, "course_id") if options.present("course_id") else None
    if options.present("course_slug"):
        slug = options.string("course_slug", required=True) or ""
        by_slug = next((u for u in state.units.values() if u.slug == slug), None)
        if by_slug is None:
            raise not_found("course_slug", slug)
        if unit is not None and unit is not by_slug:
            raise invalid("The course_id and course_slug fields must refer to the same course.")
        unit = by_slug
    assert unit is not None
    page = options.integer("page", default=1, minimum=1) or 1
    amount = options.integer("amount", default=10, minimum=1) or 10
    show_not_started = options.boolean("show_not_started_learners")
    content_ids = [content.id for content in unit.contents]
    started: list[tuple[int, Learner]] = []
    waiting: list[Learner] = []
    for learner in state.learners_in(unit.academy_id):
        progress = learner.progress
        starts = [progress[cid].started_at for cid in content_ids if cid in progress]
        if starts:
            started.append((min(starts), learner))
        elif show_not_started and _available(state, learner, unit):
            waiting.append(learner)
    started.sort(key=lambda pair: pair[0])
    ordered = [learner for _, learner in started] + waiting
    teams = _unit_team_names(state, unit)
    rows = []
    for learner in ordered[(page - 1) * amount : page * amount]:
        standing = state.unit_progress(learner, unit)
        status = "Completed" if standing.completed else "In progress" if standing.started_at else "Not started"
        rows.append(
            {
                "email": learner.email,
                "full_name": learner.name,
                "first_name": learner.first_name,
                "last_name": learner.last_name,
                "startDate": us_date(standing.started_at),
                "startTime": clock12(standing.started_at),
                "completionDate": us_date(standing.finished_at),
                "completionTime": clock12(standing.finished_at),
                "status": status,
                "duration": hms(unit.duration),
                "viewTime": hms(standing.view_time),
                "totalAmount": standing.total,
                "passedAmount": str(standing.passed_amount),  # a string in the doc's sample
                "courseScore": standing.passed_amount * 100 // standing.total if standing.total else 0,
                "teams": teams,
            }
        )
    return [{"learners": rows}]


def _content_progress(learner: Learner, content: Content) -> dict[str, Any]:
    progress = learner.progress.get(content.id)
    is_passed = progress is not None and passed(content, progress)
    row: dict[str, Any] = {
        "id": content.id,
        "type": content.kind,
        "name": content.name,
        "is_passed": is_passed,
        "started_at": atom(progress.started_at) if progress else None,
        "passed_at": atom(progress.finished_at) if progress and is_passed else None,
        "pass_time_sec": progress.time_sec if progress and is_passed else None,
    }
    if content.kind == "quiz":
        score = progress.score if progress else None
        row.update(
            score=None if score is None else str(score),  # a string in the doc's sample
            passing_score=content.passing_score,
            is_need_manual_approve=content.is_need_manual_approve,
            is_timer_on=content.is_timer_on,  # the field table's name ...
            is_time_on=None,  # ... and the sample's misspelt, always-null one: both, as served
            is_timer_expired=False,
            timer_minutes=content.timer_minutes,
        )
    return row


_COURSE_TYPES = {"all": "all", "published": "published", "unpublished": "unpublished",
                 "1": "available", "true": "available", "0": "available", "false": "available"}


def course_progress(state: AcademyState, options: Options) -> list[dict[str, Any]]:
    # course_type is documented both as a bool ("Search for available for a user courses")
    # and as all/published/unpublished. Absent (or a bool): the units available to the
    # learner. all: every course and group of the learner's academy; published/unpublished:
    # those of the academy in that state. only_displayed_courses (undocumented, seen in the
    # wild) drops units hidden from the academy's catalogue. Courses inside groups are
    # reported through their group, as in the doc's sample. Unknown email: [] (as
    # certificates documents for the same case).
    email = options.email("email")
    raw_type = options.raw.get("course_type")
    course_type = "available"
    if isinstance(raw_type, bool):
        raw_type = "1" if raw_type else "0"
    if raw_type not in (None, ""):
        if not isinstance(raw_type, str | int) or str(raw_type).lower() not in _COURSE_TYPES:
            raise invalid("The selected course_type is invalid.")
        course_type = _COURSE_TYPES[str(raw_type).lower()]
    with_academy = options.boolean("with_academy")
    with_teams = options.boolean("with_teams")
    only_displayed = options.boolean("only_displayed_courses")
    learner = state.learner(email or "")
    if learner is None:
        return []
    if course_type == "available":
        units: Iterable[Unit] = state.available(learner).units
    else:
        units = [
            u
            for u in state.top_units(learner.academy_id)
            if course_type == "all" or u.is_published == (course_type == "published")
        ]
    rows = []
    for unit in units:
        if only_displayed and not unit.is_displayed:
            continue
        standing = state.unit_progress(learner, unit)
        date = iso_date if unit.kind == "group" else atom  # groups: bare dates, as sampled
        row: dict[str, Any] = {
            "course_id": unit.id,
            "course_name": unit.name,
            "course_description": unit.description,
            "course_img": unit.img,
            "course_open_url": open_url(state, unit),
            "start_date": date(standing.started_at),
            "finish_date": date(standing.finished_at),
            "lessons_amount": standing.total,
            "progress_amount": standing.passed_amount,
            "progress": round(standing.passed_amount * 100 / standing.total, 2) if standing.total else 0.0,
            "content_progress": [_content_progress(learner, content) for content in unit.contents],
        }
        if with_academy:
            row["academy"] = academy_ref(state, learner)
        if with_teams:
            row["teams"] = team_refs(state, learner)
        rows.append(row)
    return rows


def _country(options: Options, *, required: bool) -> str | None:
    code = options.string("country_iso_code", required=required)
    if code is None:
        return None
    code = code.upper()
    if len(code) != 2 or not code.isalpha():
        raise invalid("The country_iso_code field must be 2 characters.")
    return code


def learners_amount_from_countries(state: AcademyState, options: Options) -> list[dict[str, Any]]:
    code = _country(options, required=False)
    counts = Counter(learner.country_iso for learner in state.learners.values())
    if code is not None:
        return [{"country_iso_code": code, "country": COUNTRY_NAMES.get(code), "amount": counts.get(code, 0)}]
    return [
        {"country_iso_code": iso, "country": COUNTRY_NAMES.get(iso, iso), "amount": amount}
        for iso, amount in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def learners_from_country(state: AcademyState, options: Options) -> RawJSON:
    code = _country(options, required=True) or ""
    members = [learner for learner in state.learners.values() if learner.country_iso == code]
    head = php_json({"country_iso_code": code, "country": COUNTRY_NAMES.get(code), "amount": len(members)})
    return RawJSON(head[:-1] + b',"learners":' + _rows(state, members).data + b"}")


def learners_with_score(state: AcademyState, options: Options) -> RawJSON:
    score = options.integer("score", required=True, minimum=0, maximum=100)
    compare = _operator(options)
    return _rows(state, (lr for lr in state.learners.values() if compare(state.stats(lr).score, score)))


def learners_registered_at(state: AcademyState, options: Options) -> RawJSON:
    # `dates` wins over `date` (documented). A `date` without a time compares calendar
    # days (date=2017-09-24 with "=" means that whole day); with a time, to the second.
    window = _date_range(options)
    if window is not None:
        return _rows(state, (lr for lr in state.learners.values() if window[0] <= lr.registered_at <= window[1]))
    text = options.string("date", required=True) or ""
    parsed = parse_date(text)
    if parsed is None:
        raise invalid("The date field must be a valid date.")
    compare = _operator(options)
    ts, has_time = parsed
    if has_time:
        return _rows(state, (lr for lr in state.learners.values() if compare(lr.registered_at, ts)))
    day = ts // _DAY
    return _rows(state, (lr for lr in state.learners.values() if compare(lr.registered_at // _DAY, day)))


def learners_course_complete(state: AcademyState, options: Options) -> list[dict[str, Any]]:
    unit = _unit_option(state, options)  # "You can use either Course URL or Course ID"
    done: list[tuple[int, Learner]] = []
    for learner in state.learners_in(unit.academy_id):
        if unit.contents and all(c.id in learner.progress for c in unit.contents):
            standing = state.unit_progress(learner, unit)
            if standing.completed and standing.finished_at is not None:
                done.append((standing.finished_at, learner))
    done.sort(key=lambda pair: pair[0])
    rows = []
    for finished_at, learner in done:
        stats = state.stats(learner)
        rows.append(
            {
                "date_of_passing": atom(finished_at),
                "name": learner.name,
                "score": stats.score,
                "courses_completed": stats.courses_completed,
                "spent_time_in_academy": stats.spent_time,
                "certificates_amount": stats.certificates_amount,
                "company": learner.company,
            }
        )
    return rows


def passive_learners(state: AcademyState, options: Options) -> list[dict[str, Any]]:
    return [
        {"registered_at": atom(lr.registered_at), "name": lr.name, "email": lr.email, "company": lr.company}
        for lr in state.learners.values()
        if not lr.progress
    ]


CHURN_AFTER = 7 * _DAY


def learners_churn_at_content(state: AcademyState, options: Options) -> list[dict[str, Any]]:
    # Churned at a content: started the course, did not finish it, this content is the
    # last one they touched in it, and they have not touched the course for 7 days.
    unit = _unit_option(state, options)
    ref = options.string("content_id", required=True) or ""
    content = state.find_content(unit, ref)
    if content is None:
        raise not_found("content_id", ref)
    now = state.now()
    rows: list[tuple[int, dict[str, Any]]] = []
    for learner in state.learners_in(unit.academy_id):
        progress = learner.progress.get(content.id)
        if progress is None:
            continue
        standing = state.unit_progress(learner, unit)
        if standing.completed or standing.last_content is not content:
            continue
        churned_at = progress.finished_at or progress.started_at
        if now - churned_at < CHURN_AFTER:
            continue
        rows.append(
            (
                churned_at,
                {
                    "churn_date": atom(churned_at),
                    "email": learner.email,
                    "name": learner.name,
                    "spent_time_in_academy": state.stats(learner).spent_time,
                    "spent_time_in_content": progress.time_sec,
                    "registered_at": atom(learner.registered_at),
                },
            )
        )
    rows.sort(key=lambda pair: pair[0])
    return [row for _, row in rows]


def learners_repeated_log_ins(state: AcademyState, options: Options) -> RawJSON:
    return rows_json(
        learner_json(state, lr)[:-1] + b',"log_ins_amount":%d}' % lr.log_ins_amount
        for lr in state.learners.values()
        if lr.log_ins_amount > 1
    )


def academies(state: AcademyState, options: Options) -> list[dict[str, Any]]:
    members = Counter(learner.academy_id for learner in state.learners.values())
    units = Counter(unit.academy_id for unit in state.units.values())
    return [
        {
            "id": academy.id,
            "name": academy.name,
            "slug": academy.slug,
            "is_cname_enabled": academy.is_cname_enabled,
            "cname_domain": academy.cname_domain,
            "is_private": academy.is_private,
            "is_published": academy.is_published,
            "learners_amount": members.get(academy.id, 0),
            "created_at": atom(academy.created_at),
            "content_amount": units.get(academy.id, 0),
            "access_request_amount": academy.access_request_amount,
        }
        for academy in state.academies.values()
    ]


def get_teams(state: AcademyState, options: Options) -> list[dict[str, Any]]:
    records = options.string("records")
    if records not in (None, "course"):
        raise invalid("The selected records is invalid.")
    rows = []
    for team in state.teams.values():
        row: dict[str, Any] = {"id": team.id, "name": team.name}
        if records == "course":
            # Integer ids here, unlike everywhere else: as documented.
            row["courses"] = [{"id": state.units[uid].number, "name": state.units[uid].name} for uid in team.unit_ids]
        rows.append(row)
    return rows


def _records(options: Options) -> dict[str, list[str]]:
    """``records``: learner email -> list of names or ids."""
    records = options.mapping("records", required=True)
    parsed: dict[str, list[str]] = {}
    for email, names in records.items():
        if not is_email(email):
            raise invalid(f"The records.{email} key must be a valid email address.")
        if isinstance(names, dict) and all(k.isdigit() for k in names):
            names = [names[k] for k in sorted(names, key=int)]
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not names:
            raise invalid(f"The records.{email} field must be an array.")
        for index, name in enumerate(names):
            if isinstance(name, bool) or not isinstance(name, str | int) or name == "":
                raise invalid(f"The records.{email}.{index} field must be a string.")
        parsed[email] = [str(name) for name in names]
    return parsed


def get_learner_variable(state: AcademyState, options: Options) -> dict[str, dict[str, Any]]:
    # Every requested email is a key; a learner we do not know, or variables not defined
    # in their academy, simply give nothing ("variables found and their values"). A defined
    # variable never set for the learner reports its default value.
    answer: dict[str, dict[str, Any]] = {}
    for email, names in _records(options).items():
        learner = state.learner(email)
        found: dict[str, Any] = {}
        if learner is not None:
            defined = state.academies[learner.academy_id].variables
            values = learner.variables or {}
            for name in names:
                if name in values:
                    found[name] = values[name]
                elif name in defined:
                    found[name] = defined[name].default_value
        answer[email] = found
    return answer


def _quiz_statistic(learner: Learner, quiz: Content) -> dict[str, Any]:
    progress = learner.progress[quiz.id]
    score = progress.score or 0
    finished = progress.finished_at
    # Which questions were right is not stored: it is derived from the score, the same
    # way every time, so repeated reads agree.
    rng = random.Random(f"{learner.id}/{quiz.id}/{progress.attempts}")
    right = set(rng.sample(range(quiz.max_score), min(score, quiz.max_score)))
    per_question = progress.time_sec // max(1, quiz.max_score)
    questions = []
    for number, question in enumerate(quiz.questions, start=1):
        correct = number - 1 in right
        answer = question.right_answer if correct else question.wrong_answer
        questions.append(
            {
                "id": question.id,
                "name": question.name,
                "number": number,
                "type": question.type,
                "isHasImage": False,
                "imageUrl": "",
                "is_passed": correct,
                "isExpired": False,
                "checkerComment": "",
                "time_spent": hms(per_question),
                "answers": {
                    "selected": [{"answer": answer, "is_right": correct, "isHasImage": False, "imageUrl": ""}],
                    "missed": [] if correct else [
                        {"answer": question.right_answer, "is_right": True, "isHasImage": False, "imageUrl": ""}
                    ],
                },
            }
        )
    return {
        "name": quiz.name,
        "score": score,
        "passing_score": quiz.passing_score,
        "is_passed": score >= quiz.passing_score,
        "spent_time": hms(progress.time_sec),
        "spent_time_seconds": progress.time_sec,
        "pass_date": us_date(finished),
        "pass_time": clock12(finished, pad=True),
        "is_timer_on": quiz.is_timer_on,
        "is_expired": False,
        "is_manual_approve_on": quiz.is_need_manual_approve,
        "globalComment": None,
        "pass_percent": score * 100 // quiz.max_score if quiz.max_score else 0,
        "questions": questions,
    }


def get_learners_quiz_statistic(state: AcademyState, options: Options) -> dict[str, dict[str, Any]]:
    # Unknown quiz ids are an error (422); a quiz the learner never finished an attempt of,
    # or a learner we do not know, contributes nothing under that email.
    records = _records(options)
    for email, quiz_ids in records.items():
        for index, quiz_id in enumerate(quiz_ids):
            if state.quiz(quiz_id) is None:
                raise not_found(f"records.{email}.{index}", quiz_id)
    answer: dict[str, dict[str, Any]] = {}
    for email, quiz_ids in records.items():
        learner = state.learner(email)
        found: dict[str, Any] = {}
        for quiz_id in quiz_ids:
            progress = learner.progress.get(quiz_id) if learner else None
            if learner is not None and progress is not None and progress.attempts:
                quiz = state.quiz(quiz_id)
                assert quiz is not None
                found[quiz_id] = _quiz_statistic(learner, quiz)
        answer[email] = found
    return answer


def check_learner_invite(state: AcademyState, options: Options) -> dict[str, dict[str, Any]]:
    answer: dict[str, dict[str, Any]] = {}
    for email in options.strings("emails", required=True, emails=True):
        invite = state.invites.get(email.lower())
        answer[email] = {
            "is_found": invite is not None,
            "is_used": None if invite is None else invite.used_at is not None,
            "used_at": atom(invite.used_at) if invite else None,
        }
    return answer


def course_certificate_variables(state: AcademyState, options: Options) -> dict[str, Any]:
    ref = options.string("course_id", required=True) or ""
    unit = state.find_unit(ref, slug_ok=False)  # "hashed course id": ids only
    if unit is None:
        raise not_found("course_id", ref)
    return {
        "template_id": unit.template_id,
        "certificate_variables": [
            {"code": v.code, "name": v.name, "type": v.type, "value": v.value} for v in unit.certificate_variables
        ],
    }


READS: dict[str, Callable[[AcademyState, Options], Any]] = {
    "academies": academies,
    "certificates": certificates,
    "checkLearnerInvite": check_learner_invite,
    "courseCertificateVariables": course_certificate_variables,
    "courseProgress": course_progress,
    "courses": courses,
    "getLearnerVariable": get_learner_variable,
    "getLearnersQuizStatistic": get_learners_quiz_statistic,
    "getTeams": get_teams,
    "learners": learners,
    "learnersAmountFromCountries": learners_amount_from_countries,
    "learnersChurnAtContent": learners_churn_at_content,
    "learnersCourseComplete": learners_course_complete,
    "learnersFromCountry": learners_from_country,
    "learnersProgressByCourse": learners_progress_by_course,
    "learnersRegisteredAt": learners_registered_at,
    "learnersRepeatedLogIns": learners_repeated_log_ins,
    "learnersWithScore": learners_with_score,
    "passiveLearners": passive_learners,
}
