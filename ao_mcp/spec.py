"""How a tool is declared: once, as data, from which everything else is derived.

A ``ToolSpec`` names the tool, its input and output models, its safety hints and
toolset, and either the AcademyOcean ``action`` it calls (the generic handler in
``ao_mcp.tools`` sends it) or a ``run`` coroutine for tools served from local
state (the webhook event buffer). The MCP tool, its ``tool_schemas/`` snapshot
and its README row are all generated from this one declaration.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from ao_mcp.client import AcademyOceanClient
    from ao_mcp.config import Settings
    from ao_mcp.webhooks.hub import EventHub

__all__ = ["LOCAL_ARGUMENTS", "ListOutput", "Runtime", "ToolInput", "ToolOutput", "ToolSpec"]

#: Conveniences a tool may add; they shape our answer and are never sent to the API.
LOCAL_ARGUMENTS = frozenset({"max_items", "confirm"})


class ToolInput(BaseModel):
    """Base of every tool's input model.

    Unknown arguments are rejected, and an object or array that a client sent as
    a JSON string (a habit of some clients) is parsed before validation.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _parse_json_strings(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        parsed = dict(data)
        for name, value in data.items():
            if isinstance(value, str) and value.lstrip()[:1] in ("{", "[") and name in cls.model_fields:
                try:
                    parsed[name] = json.loads(value)
                except ValueError:
                    pass  # left as is: validation reports the field with its own message
        return parsed

    def to_options(self) -> dict[str, Any]:
        """The API ``options``: documented fields only, ``None`` left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude=set(LOCAL_ARGUMENTS))


class ToolOutput(BaseModel):
    """Base of every tool's output model: lenient to drift, extra fields kept."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)



class ListOutput(ToolOutput):
    """Base of outputs that carry one capped list (named by ``ToolSpec.list_field``).

    The generic handler fills these three fields; a model that sees
    ``truncated`` knows to ask again with a larger ``max_items`` or a filter.
    """

    count: int = Field(description="Items returned here.")
    total: int = Field(description="Items the API returned before the cap.")
    truncated: bool = Field(description="True when items were left out to fit the cap; raise max_items to see more.")


LocalRun = Callable[[Any, "Runtime"], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, kw_only=True)
class ToolSpec:
    """One tool, declared once.

    Exactly one of ``action`` (an AcademyOcean API action, e.g. ``"learnersWithScore"``)
    and ``run`` (a coroutine ``run(arguments, runtime) -> dict``) is set.
    ``list_field`` names the list in the output that the context budget caps;
    ``shape`` turns the API's raw answer into the output dict (for list answers
    the default wraps them as ``{list_field: [...]}``).
    """

    name: str
    title: str
    description: str
    toolset: str
    input: type[ToolInput]
    output: type[BaseModel]
    read_only: bool
    destructive: bool
    idempotent: bool
    open_world: bool = True
    action: str | None = None
    run: LocalRun | None = None
    confirm: bool = False
    list_field: str | None = None
    shape: Callable[[Any, Any], dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        if (self.action is None) == (self.run is None):
            raise TypeError(f"tool {self.name}: set exactly one of action and run")
        if self.read_only and self.destructive:
            raise TypeError(f"tool {self.name}: a read-only tool cannot be destructive")


@dataclass
class Runtime:
    """What tool handlers share for the life of one server: built by the server's lifespan.

    The API client is made on first use (``client_factory``), so that starting
    the server and answering ``tools/list`` never pays for HTTP machinery.
    """

    settings: Settings
    client_factory: Callable[[], AcademyOceanClient]
    events: EventHub | None = None
    simulated: bool = False
    _client: AcademyOceanClient | None = field(default=None, repr=False)

    @property
    def client(self) -> AcademyOceanClient:
        if self._client is None:
            self._client = self.client_factory()
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
