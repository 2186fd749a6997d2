"""Toolset "teams": teams, their members, and learners' access to the academy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ao_mcp.actions._types import (
    ActionInput,
    Confirm,
    DoneOutput,
    Email,
    Item,
    MaxItems,
    Text,
)
from ao_mcp.shapes import done_shape
from ao_mcp.spec import ListOutput, ToolOutput, ToolSpec

TOOLSET = "teams"

# --------------------------------------------------------------------------- getTeams


class GetTeamsInput(ActionInput):
    # Documented as `options[records] = course`: the one value the API knows.
    records: Literal["course"] | None = Field(None, description="course: add each team's courses")
    max_items: MaxItems = None


class TeamCourse(ToolOutput):
    id: int | str = Field(description="Course id.")
    name: str | None = Field(None, description="Course or group name.")


class Team(ToolOutput):
    id: str = Field(description="Team id.")
    name: str | None = Field(None, description="Team name.")
    courses: list[TeamCourse] | None = Field(None, description="Courses available to the team (records=course).")


class TeamsOutput(ListOutput):
    teams: list[Team] = Field(description="Teams of the academy.")


# --------------------------------------------------------------------------- membership


class AddToTeamsInput(ActionInput):
    teams: list[Text] = Field(min_length=1, description="Team ids to add the learners to")
    learners: list[Email] = Field(min_length=1, description="Learner emails")
    send_invites: bool | None = Field(None, description="Invite emails not registered yet")


class TeamRemoval(Item):
    email: Email = Field(description="Learner email")
    teams: list[Text] = Field(min_length=1, description="Team ids to remove from")


class RemoveFromTeamsInput(ActionInput):
    learners: list[TeamRemoval] = Field(min_length=1, description="Learners and their teams to leave")


class LearnerEmailsInput(ActionInput):
    learners: list[Email] = Field(min_length=1, description="Learner emails")


class RevokeAccessInput(LearnerEmailsInput):
    confirm: Confirm = None


# --------------------------------------------------------------------------- specs

TOOLS = [
    ToolSpec(
        name="get_teams",
        title="List teams",
        description=(
            "Teams of the academy with their ids, optionally each team's courses.\n"
            "Use to find team ids for invitations and membership changes."
        ),
        toolset=TOOLSET,
        action="getTeams",
        input=GetTeamsInput,
        output=TeamsOutput,
        list_field="teams",
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="add_learners_to_teams",
        title="Add learners to teams",
        description=(
            "Adds learners to teams (every learner to every team), optionally inviting unknown emails.\n"
            "Use to grant team courses; find team ids with get_teams."
        ),
        toolset=TOOLSET,
        action="addLearnersToTeams",
        input=AddToTeamsInput,
        output=DoneOutput,
        shape=done_shape("addLearnersToTeams"),
        read_only=False,
        destructive=False,
        # Membership is a set: adding a member again changes nothing.
        idempotent=True,
    ),
    ToolSpec(
        name="remove_learners_from_teams",
        title="Remove learners from teams",
        description=(
            "Removes learners, or their pending invites, from the teams given for each.\n"
            "Use when someone leaves a team; they lose that team's courses."
        ),
        toolset=TOOLSET,
        action="removeLearnersFromTeams",
        input=RemoveFromTeamsInput,
        output=DoneOutput,
        shape=done_shape("removeLearnersFromTeams"),
        read_only=False,
        destructive=True,
        # Removing a non-member changes nothing.
        idempotent=True,
    ),
    ToolSpec(
        name="revoke_learners_access",
        title="Revoke academy access",
        description=(
            "Blocks learners from the academy; their progress is kept.\n"
            "Use to suspend access; return_learners_access undoes it."
        ),
        toolset=TOOLSET,
        action="revokeLearnersAccess",
        input=RevokeAccessInput,
        output=DoneOutput,
        shape=done_shape("revokeLearnersAccess"),
        read_only=False,
        destructive=True,
        # A blocked learner stays blocked.
        idempotent=True,
        confirm=True,
    ),
    ToolSpec(
        name="return_learners_access",
        title="Restore academy access",
        description=(
            "Gives blocked learners their access back, with their progress.\n"
            "Use to undo revoke_learners_access."
        ),
        toolset=TOOLSET,
        action="returnLearnersAccess",
        input=LearnerEmailsInput,
        output=DoneOutput,
        shape=done_shape("returnLearnersAccess"),
        read_only=False,
        destructive=False,
        # An unblocked learner stays unblocked.
        idempotent=True,
    ),
]
