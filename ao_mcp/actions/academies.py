"""Toolset "academies": the account's academies, and one-time login links into them."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from ao_mcp.actions._types import ActionInput, Email, Text
from ao_mcp.shapes import wrong_kind
from ao_mcp.actions.learners import NoOptionsListInput
from ao_mcp.spec import ListOutput, ToolOutput, ToolSpec

TOOLSET = "academies"


class Academy(ToolOutput):
    id: str = Field(description="Academy id.")
    name: str | None = Field(None, description="Academy name.")
    slug: str | None = Field(None, description="Subdomain on academyocean.com.")
    is_cname_enabled: bool | None = Field(None, description="True when published on its own domain.")
    cname_domain: str | None = Field(None, description="Own domain, if any.")
    is_private: bool | None = Field(None, description="True in private mode (invitation only).")
    is_published: bool | None = Field(None, description="True when published.")
    learners_amount: int | None = Field(None, description="Learners.")
    created_at: str | None = Field(None, description="Created, ISO 8601 UTC.")
    content_amount: int | None = Field(None, description="Courses and groups.")
    access_request_amount: int | None = Field(None, description="Access requests awaiting approval.")


class AcademiesOutput(ListOutput):
    academies: list[Academy] = Field(description="Academies of the account.")


class LoginTokenInput(ActionInput):
    academy_id: Text = Field(description="Academy id, from `academies`")
    email: Email = Field(description="Learner email; registered if new")
    first_name: str | None = Field(None, description="First name")
    last_name: str | None = Field(None, description="Last name")
    course: Text | None = Field(None, description="Course slug to open after login")
    lesson: Text | None = Field(None, description="Lesson slug in course to open")
    quiz: Text | None = Field(None, description="Quiz slug in course to open")
    ignore_academy_privacy_mode: bool | None = Field(None, description="Let in despite private mode; API default true")
    course_id: Text | None = Field(None, description="Course id to open after login")
    content_id: Text | None = Field(None, description="Lesson/quiz id in course_id to open")
    # Documented with no description beyond an id-like example.
    teams: list[Text] | None = Field(None, min_length=1, description="Team ids for the learner")

    @model_validator(mode="after")
    def _redirect(self) -> LoginTokenInput:
        # The redirect is named either by slugs (course, lesson, quiz) or by ids
        # (course_id, content_id), never by a mix; the inner part needs its course.
        if (self.lesson or self.quiz) and not self.course:
            raise ValueError("lesson and quiz need course (the course slug)")
        if self.content_id and not self.course_id:
            raise ValueError("content_id needs course_id")
        if (self.course or self.lesson or self.quiz) and (self.course_id or self.content_id):
            raise ValueError("use either course/lesson/quiz (slugs) or course_id/content_id (ids), not both")
        return self


class LoginLinkOutput(ToolOutput):
    link: str = Field(description="One-time login URL; it works once.")


def _shape_link(raw: Any, args: Any) -> dict[str, Any]:
    if isinstance(raw, dict) and isinstance(raw.get("link"), str):
        return raw
    if isinstance(raw, str) and raw.startswith("http"):
        return {"link": raw}
    raise wrong_kind("createLoginToken", raw, "object with a link")


TOOLS = [
    ToolSpec(
        name="academies",
        title="List academies",
        description=(
            "Academies of the account: id, name, domain, privacy, learner and content counts.\n"
            "Use first to find the academy_id other tools need."
        ),
        toolset=TOOLSET,
        action="academies",
        input=NoOptionsListInput,
        output=AcademiesOutput,
        list_field="academies",
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="create_login_token",
        title="Create a login link",
        description=(
            "A one-time URL that logs a learner in (registering a new one), optionally opening a course or lesson.\n"
            "Use for single sign-on from another app; every call makes a new link."
        ),
        toolset=TOOLSET,
        action="createLoginToken",
        input=LoginTokenInput,
        output=LoginLinkOutput,
        shape=_shape_link,
        read_only=False,
        destructive=False,
        idempotent=False,
    ),
]
