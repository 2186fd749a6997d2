"""Write actions about content: lesson variables, quiz attempts, certificate variables."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ao_mcp.sandbox.actions.people import DONE
from ao_mcp.sandbox.state import AcademyState, Invite, VariableDef
from ao_mcp.sandbox.validation import Options, invalid, is_email, not_found

__all__ = ["CONTENT"]

_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_NUMBER = 2  # variable types: 0 string, 1 paragraph, 2 number, 3 HTML, 4 markdown string


def _number(text: str) -> int | float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def set_lesson_variables(state: AcademyState, options: Options) -> list[str]:
    # A variable is created in the academy on first use with the given type (default 0,
    # string) and default_value; later calls only set values. Values of number variables
    # must be numeric and are stored (and read back) as numbers, as getLearnerVariable's
    # sample shows. An email that is no learner of this academy is skipped unless
    # is_invite_learner_if_not_found, which invites it (pending) and parks the values on
    # the invitation until sign-up. An empty string is a value; an absent one is not.
    academy_id = options.string("academy_id", required=True) or ""
    academy = state.academies.get(academy_id)
    if academy is None:
        raise not_found("academy_id", academy_id)
    records = options.mapping("records", required=True)
    invite_missing = options.boolean("is_invite_learner_if_not_found")
    planned: list[tuple[str, list[tuple[str, Any, VariableDef]]]] = []
    new_defs: dict[str, VariableDef] = {}
    for email, items in records.items():
        if not is_email(email):
            raise invalid(f"The records.{email} key must be a valid email address.")
        items_list = Options({"items": items}).array("items", required=True, field=f"records.{email}")
        values: list[tuple[str, Any, VariableDef]] = []
        for index, item in enumerate(items_list):
            where = f"records.{email}.{index}"
            if not isinstance(item, dict):
                raise invalid(f"The {where} field must be an array.")
            entry = Options(item)
            key = entry.string("key", required=True, field=f"{where}.key") or ""
            if not _SNAKE.match(key):
                raise invalid(f"The {where}.key field must be in snake case.")
            if item.get("value") is None:
                raise invalid(f"The {where}.value field is required.")
            value = entry.string("value", field=f"{where}.value") or ""
            kind = entry.integer("type", default=0, minimum=0, maximum=4, field=f"{where}.type")
            default = entry.string("default_value", field=f"{where}.default_value")
            definition = academy.variables.get(key) or new_defs.setdefault(key, VariableDef(key, kind or 0, default))
            stored: Any = value
            if definition.type == _NUMBER:
                stored = _number(value)
                if stored is None:
                    raise invalid(f"The {where}.value field must be a number.")
            values.append((key, stored, definition))
        planned.append((email, values))
    academy.variables.update(new_defs)
    for email, values in planned:
        learner = state.learner(email)
        pairs = {key: value for key, value, _ in values}
        if learner is not None and learner.academy_id == academy.id:
            learner.variables = {**(learner.variables or {}), **pairs}
            state.touch(learner)
            continue
        if not invite_missing:
            continue
        invite = state.invites.get(email.lower())
        if invite is None or invite.used_at is not None or invite.academy_id != academy.id:
            invite = state.invites[email.lower()] = Invite(
                email=email.lower(),
                name=email.split("@")[0],
                type="learner",
                academy_id=academy.id,
                teams=[],
                created_at=state.now(),
            )
        invite.variables.update(pairs)
    state.touch()
    return DONE


def add_learner_quiz_attempts(state: AcademyState, options: Options) -> list[str]:
    # One more attempt than the quiz allows, for this learner. An unknown learner is a 422
    # (the call names exactly one learner, so silently doing nothing would mislead).
    quiz_id = options.string("quiz_id", required=True) or ""
    email = options.email("email") or ""
    quiz = state.quiz(quiz_id)
    if quiz is None:
        raise not_found("quiz_id", quiz_id)
    learner = state.learner(email)
    if learner is None:
        raise not_found("email", email)
    extra = learner.extra_attempts = learner.extra_attempts or {}
    extra[quiz.id] = extra.get(quiz.id, 0) + 1
    state.touch(learner)
    return DONE


_CERTIFICATE_TYPES = {"text": "text", "image_url": "image_url", "img_url": "image_url"}


def update_course_certificate_variables(state: AcademyState, options: Options) -> list[str]:
    # The field table says type is text or img_url, the sample sends image_url and
    # courseCertificateVariables reports image_url: both are accepted, stored as image_url.
    # value "must be present, but can be null"; a PHP form cannot send null (it drops the
    # key), so an absent value means null. Codes must exist in the course's template.
    ref = options.string("course_id", required=True) or ""
    unit = state.find_unit(ref, slug_ok=False)
    if unit is None:
        raise not_found("course_id", ref)
    items = options.array("certificate_variables", required=True)
    known = {variable.code: variable for variable in unit.certificate_variables}
    planned = []
    for index, item in enumerate(items):
        where = f"certificate_variables.{index}"
        if not isinstance(item, dict):
            raise invalid(f"The {where} field must be an array.")
        entry = Options(item)
        code = entry.string("code", required=True, field=f"{where}.code") or ""
        if code not in known:
            raise not_found(f"{where}.code", code)
        name = entry.string("name", required=True, field=f"{where}.name") or ""
        kind = entry.string("type", required=True, field=f"{where}.type") or ""
        if kind not in _CERTIFICATE_TYPES:
            raise invalid(f"The selected {where}.type is invalid.")
        value = item.get("value")
        if value is not None and (isinstance(value, bool) or not isinstance(value, str | int | float)):
            raise invalid(f"The {where}.value field must be a string.")
        planned.append((known[code], name, _CERTIFICATE_TYPES[kind], None if value is None else str(value)))
    for variable, name, kind, value in planned:
        variable.name, variable.type, variable.value = name, kind, value
    state.touch()
    return DONE


CONTENT: dict[str, Callable[[AcademyState, Options], Any]] = {
    "addLearnerQuizAttempts": add_learner_quiz_attempts,
    "setLessonVariables": set_lesson_variables,
    "updateCourseCertificateVariables": update_course_certificate_variables,
}
