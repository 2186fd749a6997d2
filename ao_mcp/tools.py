"""From ``ToolSpec`` declarations to a running tool: filters and one generic handler.

``Catalog`` decides which tools are listed (one filter, in a fixed order: read-only
mode, toolsets, single tools added, single tools excluded); ``ao_mcp.schemas``
renders each as an MCP ``Tool``. ``execute`` runs any of them: validate the arguments with the input
model (bad input never reaches the API), confirm destructive actions, call the
API through the shared client (or a local ``run``), shape and cap the answer,
check it against the output model and return a structured result. Every failure
becomes an ``isError`` result whose text says what went wrong.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from mcp_types import CallToolResult, InputRequiredResult, TextContent
from mcp_types import Tool as MCPTool
from pydantic import BaseModel, ValidationError

from ao_mcp.errors import AOError, ConfigError
from ao_mcp.shapes import as_dict, as_list
from ao_mcp.spec import ListOutput, Runtime, ToolSpec

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

    from ao_mcp.config import Settings

__all__ = ["Catalog", "ToolInfo", "execute", "format_validation_error", "shape_answer"]

logger = logging.getLogger("ao_mcp.tools")

SIMULATED_NOTE = (
    "Simulated data from the ao-mcp sandbox, not a real academy. "
    "Set ACADEMYOCEAN_CLIENT_ID and ACADEMYOCEAN_CLIENT_SECRET to use your own."
)


# -- which tools are on ------------------------------------------------------------------


@dataclass(frozen=True)
class ToolInfo:
    """What deciding and listing needs to know of a tool, without importing its models."""

    name: str
    title: str
    toolset: str
    read_only: bool
    destructive: bool

    @classmethod
    def of(cls, spec: ToolSpec) -> ToolInfo:
        return cls(spec.name, spec.title, spec.toolset, spec.read_only, spec.destructive)


class Catalog:
    """The declared tools and the subset this configuration enables.

    Built from ``ToolInfo`` records, so a server can start and answer ``tools/list``
    from the reviewed ``tool_schemas/`` snapshot (see ``Catalog.load``) and import
    the pydantic models only when a tool is first called.
    """

    def __init__(
        self,
        infos: Sequence[ToolInfo],
        settings: Settings,
        *,
        specs: Callable[[], Sequence[ToolSpec]],
        documents: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self.all = {info.name: info for info in infos}
        self.settings = settings
        self.toolsets = sorted({info.toolset for info in infos})
        self._load_specs = specs
        self._specs: dict[str, ToolSpec] | None = None
        self._documents = documents
        self._check_names()
        self.enabled = {info.name: info for info in infos if self._is_enabled(info)}

    @classmethod
    def from_specs(cls, specs: Sequence[ToolSpec], settings: Settings) -> Catalog:
        return cls([ToolInfo.of(spec) for spec in specs], settings, specs=lambda: specs)

    @classmethod
    def load(cls, settings: Settings) -> Catalog:
        """The snapshot's catalog when it is current for this source tree, else one built from the models."""
        from ao_mcp.schemas import load_snapshot
        from ao_mcp.server import all_tool_specs

        snapshot = load_snapshot()
        if snapshot is None:
            return cls.from_specs(all_tool_specs(), settings)
        infos, documents = snapshot
        return cls(infos, settings, specs=all_tool_specs, documents=documents)

    def spec(self, name: str) -> ToolSpec:
        if self._specs is None:
            self._specs = {spec.name: spec for spec in self._load_specs()}
        return self._specs[name]

    def _check_names(self) -> None:
        s = self.settings
        unknown_sets = [name for name in s.toolsets if name != "all" and name not in self.toolsets]
        if unknown_sets:
            raise ConfigError(
                f"AO_MCP_TOOLSETS names unknown toolset(s) {', '.join(unknown_sets)}; "
                f"known: all, {', '.join(self.toolsets)}."
            )
        for env, names in (("AO_MCP_TOOLS", s.tools), ("AO_MCP_EXCLUDE_TOOLS", s.exclude_tools)):
            unknown = [name for name in names if name not in self.all]
            if unknown:
                raise ConfigError(f"{env} names unknown tool(s) {', '.join(unknown)}; run `ao-mcp tools` for the list.")

    def _is_enabled(self, info: ToolInfo) -> bool:
        s = self.settings
        if s.read_only and not info.read_only:
            return False
        if info.name in s.exclude_tools:
            return False
        return "all" in s.toolsets or info.toolset in s.toolsets or info.name in s.tools

    def why_disabled(self, name: str) -> str:
        info = self.all.get(name)
        if info is None:
            return f"Unknown tool {name!r}."
        if self.settings.read_only and not info.read_only:
            return f"Tool {name} changes data and the server runs in read-only mode (AO_MCP_READ_ONLY); nothing was sent."
        return f"Tool {name} is not enabled in this server's configuration (AO_MCP_TOOLSETS / AO_MCP_TOOLS / AO_MCP_EXCLUDE_TOOLS)."

    @cached_property
    def mcp_tools(self) -> list[MCPTool]:
        from ao_mcp.schemas import document_to_mcp_tool, to_mcp_tool

        if self._documents is not None:
            return [document_to_mcp_tool(self._documents[name]) for name in self.enabled]
        return [to_mcp_tool(self.spec(name)) for name in self.enabled]


# -- running one tool --------------------------------------------------------------------


def format_validation_error(tool: str, error: ValidationError) -> str:
    """One line per offending field, in words a model can act on."""
    lines = []
    for item in error.errors(include_url=False):
        loc = ".".join(str(part) for part in item["loc"] if part != "__root__") or "arguments"
        kind = item["type"]
        if kind == "extra_forbidden":
            message = "unknown argument (not an option of this tool)"
        elif kind == "missing":
            message = "required"
        else:
            message = item["msg"].removeprefix("Value error, ")
        lines.append(f"- {loc}: {message}")
    return f"Invalid arguments for {tool}; nothing was sent:\n" + "\n".join(lines)


def _error(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


async def execute(
    spec: ToolSpec, arguments: dict[str, Any] | None, runtime: Runtime, context: Context[Any, Any] | None
) -> CallToolResult | InputRequiredResult:
    """Run one tool call from raw arguments to a result; never raises for bad input or API failures."""
    try:
        args = spec.input.model_validate(arguments or {})
    except ValidationError as exc:
        return _error(format_validation_error(spec.name, exc))

    if spec.confirm and runtime.settings.confirm_destructive:
        from ao_mcp.confirm import confirm_call  # deferred: only destructive calls need it

        refusal = await confirm_call(spec, args, context)
        if refusal is not None:
            return refusal

    try:
        if spec.run is not None:
            data = await spec.run(args, runtime)  # local tools answer in their output's shape
        else:
            assert spec.action is not None
            raw = await runtime.client.call(spec.action, args.to_options(), write=not spec.read_only)
            data = _cap(spec, shape_answer(spec, raw, args), args, runtime.settings)
        output = spec.output.model_validate(data)
    except AOError as exc:  # our texts and AcademyOcean's messages are safe to show as they are
        return _error(str(exc))
    except ValidationError as exc:
        # Our own model disagrees with what we built: a bug here or drift in the API.
        logger.error("Output of %s failed its schema: %s", spec.name, exc.errors(include_url=False, include_input=False))
        return _error(
            f"ao-mcp could not read AcademyOcean's answer to {spec.name}: it does not match the expected shape "
            f"({_first_error(exc)}). This is a bug in ao-mcp or a change in the API; please report it."
        )

    structured = output.model_dump(mode="json", by_alias=True)
    content = [TextContent(type="text", text=json.dumps(structured, ensure_ascii=False, separators=(",", ":")))]
    if runtime.simulated:
        structured["simulated"] = True
        content.append(TextContent(type="text", text=SIMULATED_NOTE))
    return CallToolResult(content=content, structured_content=structured)


def _first_error(exc: ValidationError) -> str:
    item = exc.errors(include_url=False, include_input=False)[0]
    loc = ".".join(str(part) for part in item["loc"]) or "answer"
    return f"{loc}: {item['msg']}"


def shape_answer(spec: ToolSpec, raw: Any, args: BaseModel) -> dict[str, Any]:
    """The answer as the output model's dict: the spec's shaper, else wrap a list or take an object."""
    if spec.shape is not None:
        return spec.shape(raw, args)
    action = spec.action or spec.name
    if spec.list_field is not None:
        return {spec.list_field: as_list(action, raw, spec.list_field)}
    return as_dict(action, raw)


def _cap(spec: ToolSpec, data: dict[str, Any], args: BaseModel, settings: Settings) -> dict[str, Any]:
    """Keep a list answer within ``max_items`` and the result budget, and say so."""
    if spec.list_field is None or not issubclass(spec.output, ListOutput):
        return data
    items = data.get(spec.list_field)
    if not isinstance(items, list):
        return data
    total = len(items)
    limit = getattr(args, "max_items", None) or settings.max_items
    kept = items[:limit]
    budget = settings.max_result_chars
    # Measure the answer without its list, then the kept items: never serialise the whole answer.
    size = _json_len({**data, spec.list_field: []}) - 2 + _json_len(kept)
    if size > budget and kept:
        kept = _fit(kept, budget - (size - _json_len(kept)))
    return {**data, spec.list_field: kept, "count": len(kept), "total": total, "truncated": len(kept) < total}


def _json_len(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))


def _fit(items: list[Any], budget: int) -> list[Any]:
    """The longest prefix of ``items`` whose JSON fits in ``budget`` characters."""
    used, keep = 2, 0
    for item in items:
        used += _json_len(item) + 1
        if used > budget:
            break
        keep += 1
    return items[:keep]

