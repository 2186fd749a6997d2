"""Tool schemas: each ``ToolSpec`` rendered as an MCP tool, and ``tool_schemas/``, the reviewed snapshot.

``ao-mcp schemas --write`` renders each ``ToolSpec`` (name, title, description,
toolset, annotations, inputSchema, outputSchema) into ``tool_schemas/<name>.json``
plus ``index.json``, and the generated tables between the README's markers.
``--check`` fails when any of them differs from what the models generate, so a
schema change always shows up in review.

``index.json`` carries a digest of the sources the documents are rendered from;
while it matches the source tree, the server lists its tools from the snapshot
and imports the models only when a tool is first called (cold start).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcp_types import ToolAnnotations
from mcp_types import Tool as MCPTool

from ao_mcp.spec import ToolSpec

if TYPE_CHECKING:
    from ao_mcp.tools import ToolInfo

__all__ = [
    "check_or_write",
    "compact_schema",
    "inline_single_use_defs",
    "document_to_mcp_tool",
    "input_schema",
    "load_snapshot",
    "output_schema",
    "render",
    "render_readme_table",
    "source_digest",
    "to_mcp_tool",
]

TOOLSET_META = "ao-mcp/toolset"
PACKAGE = Path(__file__).resolve().parent
#: The sources a tool document is rendered from; a change to any of them re-renders.
RENDERED_FROM = ("spec.py", "schemas.py", "actions/*.py", "webhooks/tools.py")


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

    return inline_single_use_defs(walk(schema))


def inline_single_use_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """Each ``$defs`` entry referenced once, written in place of its ``$ref``.

    Pydantic puts every nested model in ``$defs``, though nearly all are used once.
    In place they cost fewer tokens, clients without ``$ref`` support read them, and
    ``mcp.Client`` validates each result about a fifth faster (no reference lookup per
    list item). Entries referenced more than once, or from inside themselves, stay.
    """
    defs = schema.get("$defs")
    if not isinstance(defs, dict) or not defs:
        return schema
    prefix = "#/$defs/"
    uses: dict[str, int] = {}

    def count(node: Any, inside: str | None) -> None:
        if isinstance(node, list):
            for item in node:
                count(item, inside)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(prefix):
                name = ref[len(prefix):]
                # A self-reference counts twice, so a recursive entry is never inlined.
                uses[name] = uses.get(name, 0) + (2 if name == inside else 1)
            for key, value in node.items():
                if key != "$defs":
                    count(value, inside)

    count(schema, None)
    for name, definition in defs.items():
        count(definition, name)
    once = {name for name in defs if uses.get(name) == 1}

    def substitute(node: Any) -> Any:
        if isinstance(node, list):
            return [substitute(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(prefix) and ref[len(prefix):] in once:
            siblings = {key: substitute(value) for key, value in node.items() if key != "$ref"}
            return {**substitute(defs[ref[len(prefix):]]), **siblings}  # the use's own description wins
        return {key: substitute(value) for key, value in node.items() if key != "$defs"}

    out = substitute(schema)
    kept = {name: substitute(definition) for name, definition in defs.items() if name not in once}
    if kept:
        out["$defs"] = kept
    return out


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
        _meta={TOOLSET_META: spec.toolset},
    )



PROJECT_ROOT = PACKAGE.parent
README_START = "<!-- tools:start (generated by `ao-mcp schemas --write`) -->"
README_END = "<!-- tools:end -->"
CONFIG_START = "<!-- config:start (generated by `ao-mcp schemas --write`) -->"
CONFIG_END = "<!-- config:end -->"


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def document_to_mcp_tool(document: Mapping[str, Any]) -> MCPTool:
    """An MCP tool from its snapshot document (the inverse of ``tool_document``)."""
    fields = {key: value for key, value in document.items() if key != "toolset"}
    return MCPTool.model_validate({**fields, "_meta": {TOOLSET_META: document["toolset"]}})


def source_digest() -> str:
    """A digest of the files tool documents are rendered from, and of the pydantic that renders them."""
    import pydantic

    digest = hashlib.sha256(f"pydantic {pydantic.VERSION}\n".encode())
    for pattern in RENDERED_FROM:
        for path in sorted(PACKAGE.glob(pattern)):
            digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def load_snapshot(directory: Path | None = None) -> tuple[list[ToolInfo], dict[str, dict[str, Any]]] | None:
    """The snapshot's tools, or ``None`` when it is missing, unreadable or not current for this source tree."""
    from ao_mcp.tools import ToolInfo

    target = directory or PROJECT_ROOT / "tool_schemas"
    try:
        index = json.loads((target / "index.json").read_text(encoding="utf-8"))
        if index.get("source_digest") != source_digest():
            return None
        infos = [
            ToolInfo(entry["name"], entry["title"], entry["toolset"], entry["readOnlyHint"], entry["destructiveHint"])
            for entry in index["tools"]
        ]
        documents = {
            info.name: json.loads((target / f"{info.name}.json").read_text(encoding="utf-8")) for info in infos
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return infos, documents


def tool_document(spec: ToolSpec) -> dict[str, Any]:
    tool = to_mcp_tool(spec).model_dump(mode="json", by_alias=True, exclude_none=True)
    tool.pop("_meta", None)
    tool["toolset"] = spec.toolset
    return tool


def render(specs: list[ToolSpec]) -> dict[str, str]:
    """File name -> content for the whole directory."""
    files = {f"{spec.name}.json": _dump(tool_document(spec)) for spec in specs}
    index = [
        {
            "name": spec.name,
            "title": spec.title,
            "toolset": spec.toolset,
            "readOnlyHint": spec.read_only,
            "destructiveHint": spec.destructive,
            "idempotentHint": spec.idempotent,
            "openWorldHint": spec.open_world,
            "confirm": spec.confirm,
            "file": f"{spec.name}.json",
        }
        for spec in specs
    ]
    files["index.json"] = _dump({"source_digest": source_digest(), "tools": index})
    return files


def render_readme_table(specs: list[ToolSpec]) -> str:
    from ao_mcp.actions import TOOLSETS

    lines = [README_START, ""]
    for toolset in dict.fromkeys(spec.toolset for spec in specs):
        lines.append(f"**{toolset}** - {TOOLSETS.get(toolset, 'webhook events received by this server')}")
        lines.append("")
        lines.append("| tool | what it does | hints |")
        lines.append("| --- | --- | --- |")
        for spec in (s for s in specs if s.toolset == toolset):
            hints = ["read-only" if spec.read_only else "write"]
            if spec.destructive:
                hints.append("destructive")
            if spec.idempotent:
                hints.append("idempotent")
            if spec.confirm:
                hints.append("asks to confirm")
            summary = spec.description.split("\n")[0].replace("|", "\\|")
            lines.append(f"| `{spec.name}` | {summary} | {', '.join(hints)} |")
        lines.append("")
    lines.append(README_END)
    return "\n".join(lines)


def render_config_table() -> str:
    """Every setting from ``config.OPTIONS``: variable, flag, default, meaning."""
    from ao_mcp.config import OPTIONS

    lines = [CONFIG_START, "", "| variable | flag | default | meaning |", "| --- | --- | --- | --- |"]
    for option in OPTIONS:
        default = option.default
        if default in (None, "", ()):
            shown = "-"
        elif isinstance(default, tuple):
            shown = f"`{','.join(default)}`"
        elif isinstance(default, bool):
            shown = f"`{int(default)}`"
        else:
            shown = f"`{default:g}`" if isinstance(default, float) else f"`{default}`"
        flag = f"`{option.flag}`" if option.flag else ""
        lines.append(f"| `{option.env}` | {flag} | {shown} | {option.help.replace('|', '/')} |")
    lines += ["", CONFIG_END]
    return "\n".join(lines)


def _replace_between(text: str, start_mark: str, end_mark: str, block: str) -> str | None:
    start, end = text.find(start_mark), text.find(end_mark)
    if start == -1 or end == -1:
        return None
    return text[:start] + block + text[end + len(end_mark):]


def _readme_with_table(text: str, table: str) -> str | None:
    """The README with its generated blocks (tool table, configuration table) brought up to date."""
    updated = _replace_between(text, README_START, README_END, table)
    if updated is None:
        return None
    return _replace_between(updated, CONFIG_START, CONFIG_END, render_config_table()) or updated


def check_or_write(*, write: bool, directory: str | None = None) -> int:
    from ao_mcp.server import all_tool_specs

    specs = all_tool_specs()
    target = Path(directory) if directory else PROJECT_ROOT / "tool_schemas"
    wanted = render(specs)
    readme = PROJECT_ROOT / "README.md"
    if write:
        target.mkdir(parents=True, exist_ok=True)
        for stale in set(p.name for p in target.glob("*.json")) - set(wanted):
            (target / stale).unlink()
        for name, content in wanted.items():
            (target / name).write_text(content, encoding="utf-8")
        if directory is None and readme.is_file():
            updated = _readme_with_table(readme.read_text(encoding="utf-8"), render_readme_table(specs))
            if updated is not None:
                readme.write_text(updated, encoding="utf-8")
        print(f"Wrote {len(wanted)} files to {target}", file=sys.stderr)
        return 0
    if not target.is_dir():
        print(f"ao-mcp: {target} does not exist; run `ao-mcp schemas --write` in a checkout.", file=sys.stderr)
        return 1
    problems = []
    present = {p.name for p in target.glob("*.json")}
    for name in sorted(set(wanted) | present):
        if name not in present:
            problems.append(f"missing: {name}")
        elif name not in wanted:
            problems.append(f"stale (no such tool): {name}")
        elif (target / name).read_text(encoding="utf-8") != wanted[name]:
            problems.append(f"differs from the models: {name}")
    if directory is None and readme.is_file():
        text = readme.read_text(encoding="utf-8")
        if _readme_with_table(text, render_readme_table(specs)) not in (None, text):
            problems.append("README.md tool table is out of date")
    if problems:
        print("tool_schemas/ is out of date; run `ao-mcp schemas --write` and review the diff:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"tool_schemas/ matches the models ({len(specs)} tools).", file=sys.stderr)
    return 0
