"""The 30 documented AcademyOcean API actions, each declared once as a ``ToolSpec``.

One module per toolset; ``API_TOOLS`` lists them in the documentation's order and
``TOOLSETS`` describes each toolset in one line.
"""

from __future__ import annotations

from ao_mcp.actions import academies, certificates, invites, learners, progress, quizzes, teams, variables
from ao_mcp.spec import ToolSpec

__all__ = ["API_TOOLS", "TOOLSETS"]

TOOLSETS: dict[str, str] = {
    learners.TOOLSET: "Find learners by email, score, date or country; count them by country; delete them.",
    progress.TOOLSET: "The course catalogue and learners' progress, completion and churn in it.",
    invites.TOOLSET: "Invitations to a private academy: create, check, delete.",
    teams.TOOLSET: "Teams and their members; revoke or restore learners' access.",
    variables.TOOLSET: "Per-learner lesson variables: set and read.",
    quizzes.TOOLSET: "Quiz results in detail; extra quiz attempts.",
    certificates.TOOLSET: "Learners' certificates and course certificate template variables.",
    academies.TOOLSET: "The account's academies and one-time login links into them.",
}

# The order of "Description of Available Functions" in the API documentation.
_DOCUMENTATION_ORDER = (
    "learners",
    "courses",
    "certificates",
    "learners_progress_by_course",
    "course_progress",
    "learners_amount_from_countries",
    "learners_from_country",
    "learners_with_score",
    "learners_registered_at",
    "learners_course_complete",
    "passive_learners",
    "invite_learners",
    "check_learner_invite",
    "learners_churn_at_content",
    "learners_repeated_log_ins",
    "academies",
    "create_login_token",
    "set_lesson_variables",
    "get_learner_variable",
    "get_teams",
    "add_learners_to_teams",
    "remove_learners_from_teams",
    "revoke_learners_access",
    "return_learners_access",
    "get_learners_quiz_statistic",
    "add_learner_quiz_attempts",
    "delete_learner_invite",
    "delete_learners",
    "course_certificate_variables",
    "update_course_certificate_variables",
)

_BY_NAME = {
    spec.name: spec
    for module in (learners, progress, invites, teams, variables, quizzes, certificates, academies)
    for spec in module.TOOLS
}

API_TOOLS: list[ToolSpec] = [_BY_NAME[name] for name in _DOCUMENTATION_ORDER]
