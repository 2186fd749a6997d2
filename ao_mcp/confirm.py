"""Asking the user before a destructive call, in both protocol eras.

A client that supports elicitation is asked, whatever the model passed as
``confirm``: the point is that a person agrees, not the model. The SDK's resolver
machinery carries the question: a standalone ``elicitation/create`` request in
the legacy era, an ``InputRequiredResult`` round trip in the current one. A
client that cannot be asked must pass ``confirm: true`` after asking its user
itself; otherwise nothing is sent and the result says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.resolve import (
    AcceptedElicitation,
    Elicit,
    Resolve,
    build_resolver_plans,
    resolve_arguments,
)
from mcp_types import CallToolResult, InputRequiredResult, TextContent
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

    from ao_mcp.spec import ToolInput, ToolSpec

__all__ = ["Confirmation", "confirm_call"]


class Confirmation(BaseModel):
    """What the user is shown; accepting with ``confirm`` true lets the call go ahead."""

    confirm: bool = Field(description="Go ahead?")


def ask_user(message: str) -> Elicit[Confirmation]:
    return Elicit(message, Confirmation)


_PARAMS = {"confirmation": (Resolve(ask_user), True)}
_PLANS = build_resolver_plans(_PARAMS, {"message"})


def describe(spec: ToolSpec, args: ToolInput) -> str:
    """A one-paragraph account of what the call will do, for a person to approve."""
    parts = []
    for name, value in args.to_options().items():
        if isinstance(value, list):
            shown = ", ".join(str(item) for item in value[:10]) + (f" and {len(value) - 10} more" if len(value) > 10 else "")
        else:
            shown = str(value)
        parts.append(f"{name}: {shown}")
    detail = "; ".join(parts) or "no options"
    return f"{spec.title} ({spec.name}) with {detail}. This changes your AcademyOcean academy. Go ahead?"


def _can_elicit(context: Context[Any, Any] | None) -> bool:
    if context is None:
        return False
    try:
        capabilities = context.client_capabilities
    except ValueError:
        return False
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def _refusal(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


async def confirm_call(
    spec: ToolSpec, args: ToolInput, context: Context[Any, Any] | None
) -> CallToolResult | InputRequiredResult | None:
    """``None`` when the call may proceed; otherwise the result to return instead of calling."""
    if not _can_elicit(context):
        if getattr(args, "confirm", None) is True:
            return None
        return _refusal(
            f"{spec.name} needs the user's confirmation and this client cannot ask them. Ask the user, then "
            "call again with confirm: true. Nothing was sent."
        )
    assert context is not None
    outcome = await resolve_arguments(_PARAMS, _PLANS, {"message": describe(spec, args)}, context)
    if isinstance(outcome, InputRequiredResult):
        return outcome
    answer = outcome["confirmation"]
    if isinstance(answer, AcceptedElicitation) and answer.data.confirm:
        return None
    if isinstance(answer, AcceptedElicitation):
        verb = "did not confirm"
    else:
        verb = "declined" if answer.action == "decline" else "cancelled"
    return _refusal(f"The user {verb} {spec.name}; nothing was sent.")
