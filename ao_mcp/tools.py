"""From ``ToolSpec`` declarations to MCP tools: schemas, filters and one generic handler.

``Catalog`` decides which tools are listed (one filter, in a fixed order: read-only
mode, toolsets, single tools added, single tools excluded) and renders each as an
MCP ``Tool``. ``execute`` runs any of them: validate the arguments with the input
model (bad input never reaches the API), confirm destructive actions, call the
API through the shared client (or a local ``run``), shape and cap the answer,
check it against the output model and return a structured result. Every failure
becomes an ``isError`` result whose text says what went wrong.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from mcp_types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from mcp_types import Tool as MCPTool
from pydantic import BaseModel, ValidationError

from ao_mcp.errors import AOError, APIError, ConfigError
from ao_mcp.shapes import as_dict, as_list
from ao_mcp.spec import ListOutput, Runtime, ToolSpec

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

    from ao_mcp.config import Settings

__all__ = ["Catalog", "compact_schema", "execute", "format_validation_error", "input_schema", "output_schema", "shape_answer"]

logger = logging.getLogger("ao_mcp.tools")

SIMULATED_NOTE = (
    "Simulated data from the ao-mcp sandbox, not a real academy. "
    "Set ACADEMYOCEAN_CLIENT_ID and ACADEMYOCEAN_CLIENT_SECRET to use your own."
)


# -- schemas ----------------------------------------------------------------------------


def compact_schema(schema: dict[str, Any], *, optional_null: bool = False) -> dict[str, Any]:
    """A JSON schema with what costs tokens and tells a model nothing removed.

    Drops ``title`` keywords, ``default: null`` and ``additionalProperties: true``. With ``optional_null`` (input
    schemas) it also drops, for optional properties, the ``null`` branch: leaving a
    property out already means "not given", and the model still accepts null.
    Output schemas keep their nulls (clients validate answers against them), written
    as ``"type": ["string", "null"]`` rather than an ``anyOf``. Property names are
    never touched.
    """

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "title" and isinstance(value, str):
                continue
            if key == "additionalProperties" and value is True:
                continue  # the JSON Schema default
            if key == "properties" and isinstance(value, dict):
                needed = frozenset(node.get("required", ()))
                out[key] = {
                    name: _optional(walk(prop), name in needed) if optional_null else _nullable(walk(prop))
                    for name, prop in value.items()
                }
            elif key == "$defs" and isinstance(value, dict):
                out[key] = {name: walk(sub) for name, sub in value.items()}
            else:
                out[key] = walk(value)
        return out

    return walk(schema)


def _nullable(prop: Any) -> Any:
    """``anyOf: [{type: T}, {type: null}]`` -> ``type: [T, null]``; ``default: null`` dropped."""
    if not isinstance(prop, dict):
        return prop
    prop = {key: value for key, value in prop.items() if not (key == "default" and value is None)}
    branches = prop.get("anyOf")
    if isinstance(branches, list) and {"type": "null"} in branches:
        rest = [b for b in branches if b != {"type": "null"}]
        if len(rest) == 1 and set(rest[0]) <= {"type", "format"} and isinstance(rest[0].get("type"), str):
            del prop["anyOf"]
            return {**rest[0], "type": [rest[0]["type"], "null"], **prop}
    return prop


def _optional(prop: Any, required: bool) -> Any:
    if required or not isinstance(prop, dict):
        return prop
    prop = dict(prop)
    if prop.get("default", 0) is None:
        del prop["default"]
    branches = prop.get("anyOf")
    if isinstance(branches, list):
        rest = [b for b in branches if b != {"type": "null"}]
        if len(rest) == 1 and len(rest) < len(branches):
            del prop["anyOf"]
            merged = {**rest[0], **prop}
            return merged
    return prop


def input_schema(spec: ToolSpec) -> dict[str, Any]:
    return compact_schema(spec.input.model_json_schema(by_alias=True), optional_null=True)


def output_schema(spec: ToolSpec) -> dict[str, Any]:
    return compact_schema(spec.output.model_json_schema(by_alias=True, mode="serialization"))


def annotations(spec: ToolSpec) -> ToolAnnotations:
    return ToolAnnotations(
        title=spec.title,
        read_only_hint=spec.read_only,
        destructive_hint=spec.destructive,
        idempotent_hint=spec.idempotent,
        open_world_hint=spec.open_world,
    )


def to_mcp_tool(spec: ToolSpec) -> MCPTool:
    return MCPTool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        input_schema=input_schema(spec),
        output_schema=output_schema(spec),
        annotations=annotations(spec),
        _meta={"ao-mcp/toolset": spec.toolset},
    )


# -- which tools are on ------------------------------------------------------------------


class Catalog:
    """The declared tools and the subset this configuration enables."""

    def __init__(self, specs: Sequence[ToolSpec], settings: Settings) -> None:
        self.all = {spec.name: spec for spec in specs}
        self.settings = settings
        self.toolsets = sorted({spec.toolset for spec in specs})
        self._check_names()
        self.enabled = {spec.name: spec for spec in specs if self._is_enabled(spec)}

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

    def _is_enabled(self, spec: ToolSpec) -> bool:
        s = self.settings
        if s.read_only and not spec.read_only:
            return False
        if spec.name in s.exclude_tools:
            return False
        return "all" in s.toolsets or spec.toolset in s.toolsets or spec.name in s.tools

    def why_disabled(self, name: str) -> str:
        if name not in self.all:
            return f"Unknown tool {name!r}."
        spec = self.all[name]
        if self.settings.read_only and not spec.read_only:
            return f"Tool {name} changes data and the server runs in read-only mode (AO_MCP_READ_ONLY); nothing was sent."
        return f"Tool {name} is not enabled in this server's configuration (AO_MCP_TOOLSETS / AO_MCP_TOOLS / AO_MCP_EXCLUDE_TOOLS)."

    @cached_property
    def mcp_tools(self) -> list[MCPTool]:
        return [to_mcp_tool(spec) for spec in self.enabled.values()]


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
    except APIError as exc:
        return _error(str(exc))
    except AOError as exc:
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
    size = _json_len(data) - _json_len(items) + _json_len(kept)
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


def specs_by_toolset(specs: Iterable[ToolSpec]) -> dict[str, list[ToolSpec]]:
    grouped: dict[str, list[ToolSpec]] = {}
    for spec in specs:
        grouped.setdefault(spec.toolset, []).append(spec)
    return grouped
