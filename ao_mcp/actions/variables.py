"""Toolset "variables": per-learner lesson variables (values shown inside lessons)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from ao_mcp.actions._types import (
    ActionInput,
    DoneOutput,
    Email,
    Item,
    MaxItems,
    SnakeKey,
    Text,
)
from ao_mcp.shapes import as_dict, done_shape, wrong_kind
from ao_mcp.spec import ListOutput, ToolOutput, ToolSpec

TOOLSET = "variables"


def _number_as_text(value: Any) -> Any:
    # Values are documented as strings; a Number variable's value often arrives as 5.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


class LessonVariable(Item):
    key: SnakeKey = Field(description="Variable key, snake_case; created if new")
    value: Annotated[str, BeforeValidator(_number_as_text)] = Field(description="Value for this learner")
    type: int | None = Field(
        None, ge=0, le=4, description="If new: 0 string, 1 paragraph, 2 number, 3 HTML, 4 markdown"
    )
    default_value: str | None = Field(None, description="For a new variable: its default value")


class SetVariablesInput(ActionInput):
    academy_id: Text = Field(description="Academy id, from `academies`")
    records: dict[Email, Annotated[list[LessonVariable], Field(min_length=1)]] = Field(
        min_length=1, description="Learner email -> variables to set"
    )
    is_invite_learner_if_not_found: bool | None = Field(None, description="Invite unknown emails and keep their values")


class GetVariableInput(ActionInput):
    records: dict[Email, Annotated[list[Text], Field(min_length=1)]] = Field(
        min_length=1, description="Learner email -> variable names to read"
    )
    max_items: MaxItems = None


class LearnerVariables(ToolOutput):
    email: str = Field(description="Learner email.")
    variables: dict[str, Any] = Field(description="Variable name -> current value, for variables found.")


class GetVariableOutput(ListOutput):
    learners: list[LearnerVariables] = Field(description="Variables per learner.")


def _shape_variables(raw: Any, args: Any) -> dict[str, Any]:
    # The answer is keyed by email; a list of {email, variables} can be capped.
    action = "getLearnerVariable"
    learners = []
    for email, variables in as_dict(action, raw).items():
        if variables == []:  # PHP's empty associative array
            variables = {}
        if not isinstance(variables, dict):
            raise wrong_kind(action, variables, f"object for {email}")
        learners.append({"email": email, "variables": variables})
    return {"learners": learners}


TOOLS = [
    ToolSpec(
        name="set_lesson_variables",
        title="Set lesson variables",
        description=(
            "Sets per-learner lesson variables, creating variables that do not exist yet.\n"
            "Use to personalise lessons; academy_id comes from `academies`."
        ),
        toolset=TOOLSET,
        # Documented under the heading "set/createLessonVariables"; the sample sends this.
        action="setLessonVariables",
        input=SetVariablesInput,
        output=DoneOutput,
        shape=done_shape("setLessonVariables"),
        read_only=False,
        destructive=False,
        # Setting the same values again leaves the same state.
        idempotent=True,
    ),
    ToolSpec(
        name="get_learner_variable",
        title="Read lesson variables",
        description=(
            "Current values of named lesson variables for one or more learners.\n"
            "Use to read what set_lesson_variables stored; unknown names are left out."
        ),
        toolset=TOOLSET,
        action="getLearnerVariable",
        input=GetVariableInput,
        output=GetVariableOutput,
        list_field="learners",
        shape=_shape_variables,
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
]
