"""Write actions about people: invites, teams, access, deletion and login links.

Every action validates all of its input before changing anything, as Laravel's
request validation does, so a 422 never leaves a half-applied change behind.
Bulk actions skip emails they do not know rather than failing the whole batch.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from ao_mcp.sandbox import ops
from ao_mcp.sandbox.state import Academy, AcademyState, Invite, Learner, LoginToken, Team
from ao_mcp.sandbox.validation import Options, invalid, is_email, not_found

__all__ = ["DONE", "PEOPLE"]

#: What the service answers where the doc gives no output (deleteLearnerInvite's sample).
DONE = ["done"]


def _teams(state: AcademyState, ids: list[str], field: str) -> list[Team]:
    teams = []
    for index, team_id in enumerate(ids):
        team = state.teams.get(team_id)
        if team is None:
            raise not_found(f"{field}.{index}", team_id)
        teams.append(team)
    return teams


def _default_academy(state: AcademyState, teams: list[Team]) -> Academy:
    """Where an invite without academy_id goes: its first team's academy, else the account's first."""
    if teams:
        return state.academies[teams[0].academy_id]
    return next(iter(state.academies.values()))


def _new_invite(state: AcademyState, email: str, name: str, kind: str, teams: list[Team]) -> Invite:
    return Invite(
        email=email.lower(),
        name=name,
        type=kind,
        academy_id=_default_academy(state, teams).id,
        teams=[team.id for team in teams],
        created_at=state.now(),
    )


def invite_learners(state: AcademyState, options: Options) -> dict[str, int]:
    # Not counted (the doc: "fewer invited users than you sent"): emails already registered,
    # emails with a pending invitation, and repeats within the request. is_send_email only
    # decides whether mail goes out, which a sandbox has nowhere to send.
    items = options.array("learners", required=True)
    options.boolean("is_send_email")
    planned: list[tuple[str, str, str, list[Team]]] = []
    for index, item in enumerate(items):
        entry = Options(item) if isinstance(item, dict) else None
        if entry is None:
            raise invalid(f"The learners.{index} field must be an array.")
        email = entry.string("email", required=True, field=f"learners.{index}.email") or ""
        if not is_email(email):
            raise invalid(f"The learners.{index}.email field must be a valid email address.")
        name = entry.string("name", required=True, field=f"learners.{index}.name") or ""
        kind = entry.string("type", required=True, field=f"learners.{index}.type") or ""
        if kind not in ("learner", "manager"):
            raise invalid(f"The selected learners.{index}.type is invalid.")
        team_ids = entry.strings("teams", field=f"learners.{index}.teams")
        planned.append((email, name, kind, _teams(state, team_ids, f"learners.{index}.teams")))
    invited = 0
    for email, name, kind, teams in planned:
        key = email.lower()
        existing = state.invites.get(key)
        if state.learner(key) is not None or (existing is not None and existing.used_at is None):
            continue
        state.invites[key] = _new_invite(state, email, name, kind, teams)
        invited += 1
    if invited:
        state.touch()
    return {"invited": invited}


def delete_learner_invite(state: AcademyState, options: Options) -> list[str]:
    # Only pending invitations are deleted ("invites that have not yet been accepted");
    # is_delete_users also deletes (not permanently) the learners with those emails.
    emails = options.strings("emails", required=True, emails=True)
    delete_users = options.boolean("is_delete_users")
    for email in emails:
        invite = state.invites.get(email.lower())
        if invite is not None and invite.used_at is None:
            del state.invites[email.lower()]
        learner = state.learner(email)
        if delete_users and learner is not None:
            state.remove_learner(learner, permanently=False)
    state.touch()
    return DONE


def delete_learners(state: AcademyState, options: Options) -> dict[str, int]:
    emails = options.strings("emails", emails=True)
    ids = options.strings("ids")
    if not emails and not ids:
        raise invalid("The emails field is required when ids is not present.")
    permanently = options.boolean("is_permanently_delete")
    doomed: dict[str, Learner] = {}
    for email in emails:
        learner = state.learner(email)
        if learner is not None:
            doomed[learner.id] = learner
    for learner_id in ids:
        if learner_id in state.learners:
            doomed[learner_id] = state.learners[learner_id]
    for learner in doomed.values():
        state.remove_learner(learner, permanently=permanently)
    return {"deleted": len(doomed)}


def create_login_token(state: AcademyState, options: Options) -> dict[str, str]:
    # The doc's rules, read together: lesson/quiz (slugs) need course (a slug); content_id
    # needs course_id and must be content of that course; course and course_id cannot be
    # mixed, nor course_id with lesson/quiz, nor course with content_id. course_id alone is
    # fine ("If you specify only course/course_id ..."). A revoked learner gets no link; with
    # ignore_academy_privacy_mode=false a private academy only links its learners and invitees.
    academy_id = options.string("academy_id", required=True) or ""
    academy = state.academies.get(academy_id)
    if academy is None:
        raise not_found("academy_id", academy_id)
    email = options.email("email") or ""
    options.string("first_name")
    options.string("last_name")
    course_ref, lesson_ref, quiz_ref = options.string("course"), options.string("lesson"), options.string("quiz")
    course_id, content_id = options.string("course_id"), options.string("content_id")
    ignore_privacy = options.boolean("ignore_academy_privacy_mode", default=True)
    teams = _teams(state, options.strings("teams"), "teams")
    if course_ref and course_id:
        raise invalid("The course field prohibits course_id from being present.")
    for name, value in (("lesson", lesson_ref), ("quiz", quiz_ref)):
        if value and course_id:
            raise invalid(f"The {name} field prohibits course_id from being present; use content_id.")
        if value and not course_ref:
            raise invalid(f"The course field is required when {name} is present.")
    if content_id and not course_id:
        raise invalid("The course_id field is required when content_id is present.")
    redirect = "/courses"
    if course_ref:
        course = state.find_unit(course_ref)
        if course is None or course.academy_id != academy.id:
            raise not_found("course", course_ref)
        redirect = f"/course/{course.slug}"
        for name, value in (("lesson", lesson_ref), ("quiz", quiz_ref)):
            if value:
                content = next((c for c in course.contents if c.slug == value and c.kind == name), None)
                if content is None:
                    raise not_found(name, value)
                redirect += f"/{name}/{content.slug}"
    if course_id:
        course = state.find_unit(course_id, slug_ok=False)
        if course is None or course.academy_id != academy.id:
            raise not_found("course_id", course_id)
        redirect = f"/course/{course.slug}"
        if content_id:
            found = next((c for c in course.contents if c.id == content_id), None)
            if found is None:
                raise invalid(f'The content_id "{content_id}" is not content of the course {course_id}.')
            redirect += f"/{found.kind}/{found.slug}"
    for index, team in enumerate(teams):
        if team.academy_id != academy.id:
            raise not_found(f"teams.{index}", team.id)
    learner = state.learner(email)
    if learner is not None and learner.academy_id == academy.id and learner.revoked:
        raise invalid(f"Access to the academy has been revoked for {email}.")
    if academy.is_private and not ignore_privacy:
        invite = state.invites.get(email.lower())
        member = learner is not None and learner.academy_id == academy.id
        if not member and (invite is None or invite.academy_id != academy.id):
            raise invalid(f"The academy is in private mode and {email} has no invitation.")
    token = secrets.token_urlsafe(32)
    state.login_tokens[token] = LoginToken(
        token=token,
        academy_id=academy.id,
        email=email,
        redirect=redirect,
        teams=tuple(team.id for team in teams),
        created_at=state.now(),
    )
    return {"link": f"https://{academy.slug}.academyocean.com/auth/token/{token}"}


def add_learners_to_teams(state: AcademyState, options: Options) -> list[str]:
    # Registered learners join (a team of another academy than theirs is skipped); an email
    # with a pending invitation gets the teams on the invitation; any other email gets a new
    # invitation only with send_invites.
    teams = _teams(state, options.strings("teams", required=True), "teams")
    emails = options.strings("learners", required=True, emails=True)
    send_invites = options.boolean("send_invites")
    members: list[Learner] = []
    for email in emails:
        learner = state.learner(email)
        if learner is not None:
            if learner not in members:
                members.append(learner)
            continue
        invite = state.invites.get(email.lower())
        if invite is not None and invite.used_at is None:
            invite.teams = list(dict.fromkeys([*invite.teams, *(team.id for team in teams)]))
        elif send_invites:
            state.invites[email.lower()] = _new_invite(state, email, email.split("@")[0], "learner", teams)
    state.touch()
    ops.add_to_teams(state, members, teams)
    return DONE


def remove_learners_from_teams(state: AcademyState, options: Options) -> list[str]:
    items = options.array("learners", required=True)
    planned: list[tuple[str, set[str]]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid(f"The learners.{index} field must be an array.")
        entry = Options(item)
        email = entry.string("email", required=True, field=f"learners.{index}.email") or ""
        if not is_email(email):
            raise invalid(f"The learners.{index}.email field must be a valid email address.")
        team_ids = entry.strings("teams", required=True, field=f"learners.{index}.teams")
        planned.append((email, {team.id for team in _teams(state, team_ids, f"learners.{index}.teams")}))
    for email, leaving in planned:
        learner = state.learner(email)
        if learner is not None:
            learner.teams = tuple(tid for tid in learner.teams if tid not in leaving)
            state.touch(learner)
        invite = state.invites.get(email.lower())
        if invite is not None and invite.used_at is None:
            invite.teams = [tid for tid in invite.teams if tid not in leaving]
    state.touch()
    return DONE


def _set_revoked(revoked: bool) -> Callable[[AcademyState, Options], list[str]]:
    def handler(state: AcademyState, options: Options) -> list[str]:
        for email in options.strings("learners", required=True, emails=True):
            learner = state.learner(email)
            if learner is not None:
                learner.revoked = revoked
                state.touch(learner)
        return DONE

    handler.__doc__ = "Block learners (progress kept)." if revoked else "Give blocked learners access back."
    return handler


PEOPLE: dict[str, Callable[[AcademyState, Options], Any]] = {
    "addLearnersToTeams": add_learners_to_teams,
    "createLoginToken": create_login_token,
    "deleteLearnerInvite": delete_learner_invite,
    "deleteLearners": delete_learners,
    "inviteLearners": invite_learners,
    "removeLearnersFromTeams": remove_learners_from_teams,
    "returnLearnersAccess": _set_revoked(False),
    "revokeLearnersAccess": _set_revoked(True),
}
