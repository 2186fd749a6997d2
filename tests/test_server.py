"""The server as a client sees it: which tools are listed, confirmation, both protocol eras."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from mcp import Client
from mcp_types import ElicitResult

from ao_mcp.config import Settings
from ao_mcp.sandbox import Sandbox, SandboxConfig
from ao_mcp.server import all_tool_specs, build_server
from ao_mcp.errors import ConfigError

pytestmark = pytest.mark.anyio

SETTINGS = Settings(sandbox=True, sandbox_activity=0.0, sandbox_reason="requested")
READ_ONLY = {spec.name for spec in all_tool_specs() if spec.read_only}


def server_with(sandbox: Sandbox | None = None, **changes: Any):
    return build_server(replace(SETTINGS, **changes), sandbox=sandbox or Sandbox(SandboxConfig(activity_interval=0.0)))


async def names(server) -> set[str]:
    async with Client(server) as client:
        return {tool.name for tool in (await client.list_tools()).tools}


async def test_all_tools_are_listed_with_titles_and_all_four_hints():
    async with Client(server_with()) as client:
        tools = (await client.list_tools()).tools
    assert len(tools) == 32
    for tool in tools:
        hints = tool.annotations
        assert tool.title and tool.description
        assert None not in (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint)
        assert tool.input_schema["type"] == "object" and tool.output_schema["type"] == "object"
    destructive = {tool.name for tool in tools if tool.annotations.destructive_hint}
    assert destructive == {"delete_learners", "delete_learner_invite", "revoke_learners_access",
                           "remove_learners_from_teams", "update_course_certificate_variables"}
    assert len({tool.name for tool in tools if tool.annotations.read_only_hint} - {"webhook_events", "wait_for_webhook_event"}) == 19


async def test_read_only_mode_hides_and_refuses_write_tools():
    sandbox = Sandbox(SandboxConfig(activity_interval=0.0))
    server = server_with(sandbox, read_only=True)
    assert await names(server) == READ_ONLY
    async with Client(server) as client:
        result = await client.call_tool("delete_learners", {"emails": ["a@example.com"], "confirm": True})
    assert result.is_error and "read-only mode" in result.content[0].text
    assert not [r for r in sandbox.requests if r.action == "deleteLearners"]


async def test_toolsets_single_tools_and_exclusions():
    server = server_with(toolsets=("teams",), tools=("academies",), exclude_tools=("return_learners_access",))
    assert await names(server) == {"get_teams", "add_learners_to_teams", "remove_learners_from_teams",
                                   "revoke_learners_access", "academies"}


@pytest.mark.parametrize(("changes", "words"), [
    ({"toolsets": ("nonsense",)}, "AO_MCP_TOOLSETS names unknown toolset(s) nonsense"),
    ({"tools": ("nope",)}, "AO_MCP_TOOLS names unknown tool(s) nope"),
])
def test_unknown_names_in_the_configuration_are_errors(changes, words):
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        server_with(**changes)


async def test_sandbox_mode_says_so_in_name_instructions_and_results():
    server = server_with()
    assert "sandbox" in server.name and "SANDBOX MODE" in server.instructions
    async with Client(server) as client:
        result = await client.call_tool("academies", {})
    assert result.structured_content["simulated"] is True
    assert any("Simulated data" in block.text for block in result.content)


async def test_destructive_call_without_elicitation_needs_confirm_true():
    sandbox = Sandbox(SandboxConfig(activity_interval=0.0))
    email = sandbox.state.learner_list()[0].email
    async with Client(server_with(sandbox)) as client:
        refused = await client.call_tool("delete_learners", {"emails": [email]})
        assert refused.is_error and "confirm: true" in refused.content[0].text
        assert not [r for r in sandbox.requests if r.action == "deleteLearners"]
        done = await client.call_tool("delete_learners", {"emails": [email], "confirm": True})
    assert not done.is_error and done.structured_content["deleted"] == 1


async def test_confirmation_setting_off_for_pipelines():
    sandbox = Sandbox(SandboxConfig(activity_interval=0.0))
    email = sandbox.state.learner_list()[0].email
    async with Client(server_with(sandbox, confirm_destructive=False)) as client:
        done = await client.call_tool("revoke_learners_access", {"learners": [email]})
    assert not done.is_error


@pytest.mark.parametrize("mode", ["legacy", "auto"])
@pytest.mark.parametrize(("action", "deleted"), [("accept", True), ("decline", False), ("cancel", False)])
async def test_clients_with_elicitation_ask_the_user_in_both_eras(mode, action, deleted):
    sandbox = Sandbox(SandboxConfig(activity_interval=0.0))
    email = sandbox.state.learner_list()[0].email
    asked: list[str] = []

    async def elicit(context, params) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action=action, content={"confirm": True} if action == "accept" else None)

    async with Client(server_with(sandbox), mode=mode, elicitation_callback=elicit) as client:
        # confirm: true from the model does not replace asking a person who can be asked
        result = await client.call_tool("delete_learners", {"emails": [email], "confirm": True})
    assert len(asked) == 1 and email in asked[0] and "delete_learners" in asked[0]
    sent = [r for r in sandbox.requests if r.action == "deleteLearners"]
    if deleted:
        assert not result.is_error and len(sent) == 1
    else:
        assert result.is_error and "nothing was sent" in result.content[0].text and not sent


async def test_unknown_tool_is_an_error_result():
    async with Client(server_with()) as client:
        result = await client.call_tool("drop_database", {})
    assert result.is_error and "Unknown tool" in result.content[0].text


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_both_protocol_eras_list_and_call(mode):
    async with Client(server_with(), mode=mode) as client:
        assert len((await client.list_tools()).tools) == 32
        result = await client.call_tool("courses", {"max_items": 2})
    assert result.structured_content["count"] == 2


async def test_sandbox_activity_arrives_signed_in_the_event_buffer():
    import anyio

    sandbox = Sandbox(SandboxConfig(activity_interval=0.0))
    async with Client(server_with(sandbox)) as client:
        emitted = await sandbox.simulate_activity(5)
        with anyio.fail_after(5):
            await sandbox.webhooks.wait_idle()
        result = await client.call_tool("webhook_events", {"max_items": 100})
        listed = await client.read_resource("academyocean://webhooks/events")
    assert emitted and sandbox.webhooks.delivered == len(emitted) and sandbox.webhooks.dropped == 0
    ids = {event["id"] for event in result.structured_content["events"]}
    assert ids == {payload["id"] for payload in emitted}
    assert all(payload["id"] in listed.contents[0].text for payload in emitted[-3:])


async def test_an_unavailable_event_store_is_a_readable_error_and_tools_keep_working():
    from ao_mcp.webhooks.store import StoreUnavailable

    server = server_with()

    async def broken(*args, **kwargs):
        raise StoreUnavailable("the Redis event store failed: ConnectionError")

    server.parts.hub.store.recent = broken
    server.parts.hub.store.newest_seq = broken
    async with Client(server) as client:
        events = await client.call_tool("webhook_events", {})
        courses = await client.call_tool("courses", {"max_items": 1})
    assert events.is_error and events.content[0].text == "the Redis event store failed: ConnectionError"
    assert not courses.is_error
