"""Toolset "invites": invitations to a private academy."""

from __future__ import annotations

from typing import Any, Literal

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
from ao_mcp.shapes import as_dict, count_shape, done_shape, wrong_kind
from ao_mcp.spec import ListOutput, ToolOutput, ToolSpec

TOOLSET = "invites"

# --------------------------------------------------------------------------- inviteLearners


class InvitedLearner(Item):
    email: Email = Field(description="Email to invite")
    name: Text = Field(description="Learner name")
    type: Literal["learner", "manager"] = Field(description="Role: learner or manager")
    teams: list[Text] | None = Field(None, min_length=1, description="Team ids to join")


class InviteLearnersInput(ActionInput):
    learners: list[InvitedLearner] = Field(min_length=1, description="People to invite")
    # Documented as a 'True/False' string; it is a boolean the encoder sends as 1/0,
    # which Laravel's boolean rule accepts.
    is_send_email: bool | None = Field(None, description="Email the invitation to each learner")


class InvitedOutput(ToolOutput):
    invited: int = Field(description="Invitations created; fewer than sent if some failed or existed.")


# --------------------------------------------------------------------------- checkLearnerInvite


class CheckInviteInput(ActionInput):
    emails: list[Email] = Field(min_length=1, description="Emails to check")
    max_items: MaxItems = None


class InviteStatus(ToolOutput):
    email: str = Field(description="Email checked.")
    is_found: bool | None = Field(None, description="True when an invitation exists.")
    is_used: bool | None = Field(None, description="True when it was accepted; null when none.")
    used_at: str | None = Field(None, description="Accepted, ISO 8601 UTC, or null.")


class CheckInviteOutput(ListOutput):
    invites: list[InviteStatus] = Field(description="One status per email.")


def _shape_invites(raw: Any, args: Any) -> dict[str, Any]:
    # The answer is keyed by email; a list of objects reads better and can be capped.
    action = "checkLearnerInvite"
    if isinstance(raw, list) and all(isinstance(item, dict) and "email" in item for item in raw):
        return {"invites": raw}
    invites = []
    for email, status in as_dict(action, raw).items():
        if not isinstance(status, dict):
            raise wrong_kind(action, status, f"object for {email}")
        invites.append({"email": email, **status})
    return {"invites": invites}


# --------------------------------------------------------------------------- deleteLearnerInvite


class DeleteInviteInput(ActionInput):
    emails: list[Email] = Field(min_length=1, description="Emails whose pending invites to delete")
    # Documented as a 'True/False' string: a boolean, sent as 1/0.
    is_delete_users: bool | None = Field(None, description="Also delete existing learners with these emails")
    confirm: Confirm = None


# --------------------------------------------------------------------------- specs

TOOLS = [
    ToolSpec(
        name="invite_learners",
        title="Invite learners",
        description=(
            "Creates invitations to the private academy, optionally emailed; returns how many were created.\n"
            "Use to give new people access; check_learner_invite shows their status."
        ),
        toolset=TOOLSET,
        action="inviteLearners",
        input=InviteLearnersInput,
        output=InvitedOutput,
        shape=count_shape("inviteLearners", "invited"),
        read_only=False,
        destructive=False,
        idempotent=False,
    ),
    ToolSpec(
        name="check_learner_invite",
        title="Check invitations",
        description=(
            "Whether each email has an invitation, and whether and when it was accepted.\n"
            "Use before inviting again or to follow up on pending invites."
        ),
        toolset=TOOLSET,
        action="checkLearnerInvite",
        input=CheckInviteInput,
        output=CheckInviteOutput,
        list_field="invites",
        shape=_shape_invites,
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="delete_learner_invite",
        title="Delete invitations",
        description=(
            "Deletes pending invitations; with is_delete_users also the learners with those emails.\n"
            "Use to withdraw invites that were not accepted."
        ),
        toolset=TOOLSET,
        action="deleteLearnerInvite",
        input=DeleteInviteInput,
        output=DoneOutput,
        shape=done_shape("deleteLearnerInvite"),
        read_only=False,
        destructive=True,
        # Deleting again finds nothing left to delete.
        idempotent=True,
        confirm=True,
    ),
]
