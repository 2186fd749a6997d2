"""Tool schemas: compact rendering, the snapshot as the listing source, and its freshness check."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from ao_mcp.config import Settings
from ao_mcp.schemas import PROJECT_ROOT, compact_schema, inline_single_use_defs, load_snapshot, render
from ao_mcp.server import all_tool_specs
from ao_mcp.tools import Catalog

SETTINGS = Settings(client_id="x")


def dumps(tools) -> list[dict]:
    return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]


def test_listing_from_the_snapshot_equals_listing_from_the_models() -> None:
    assert load_snapshot() is not None
    from_snapshot = Catalog.load(SETTINGS)
    from_models = Catalog.from_specs(all_tool_specs(), SETTINGS)
    assert from_snapshot._documents is not None and from_models._documents is None
    assert dumps(from_snapshot.mcp_tools) == dumps(from_models.mcp_tools)


def test_a_snapshot_from_other_sources_is_not_used(tmp_path: Path) -> None:
    copy = tmp_path / "tool_schemas"
    shutil.copytree(PROJECT_ROOT / "tool_schemas", copy)
    assert load_snapshot(copy) is not None
    index = json.loads((copy / "index.json").read_text())
    index["source_digest"] = "0" * 64
    (copy / "index.json").write_text(json.dumps(index))
    assert load_snapshot(copy) is None
    (copy / "index.json").write_text("{broken")
    assert load_snapshot(copy) is None


def test_listing_tools_does_not_import_the_models() -> None:
    code = (
        "import sys\n"
        "from ao_mcp.config import Settings\n"
        "from ao_mcp.server import build_server\n"
        "server = build_server(Settings(client_id='x'))\n"
        "assert len(server.catalog.mcp_tools) == 32\n"
        "print(sorted(m for m in sys.modules if m.startswith('ao_mcp.actions') or m in ('ao_mcp.client', 'httpx')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_compaction_keeps_output_nulls_and_drops_input_ones() -> None:
    schema = {
        "title": "M",
        "type": "object",
        "additionalProperties": True,
        "properties": {
            "title": {"title": "Title", "anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
            "n": {"type": "integer"},
        },
        "required": ["n"],
    }
    assert compact_schema(schema, optional_null=True) == {
        "type": "object",
        "properties": {"title": {"type": "string"}, "n": {"type": "integer"}},
        "required": ["n"],
    }
    assert compact_schema(schema)["properties"]["title"] == {"type": ["string", "null"]}


def test_models_used_once_are_written_in_place_and_shared_or_recursive_ones_stay() -> None:
    schema = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}, "description": "The items."},
            "owner": {"$ref": "#/$defs/Person", "description": "Who owns them."},
            "tree": {"$ref": "#/$defs/Node"},
        },
        "$defs": {
            "Item": {"type": "object", "properties": {"maker": {"$ref": "#/$defs/Person"}}},
            "Person": {"type": "object", "description": "A person.", "properties": {"name": {"type": "string"}}},
            "Node": {"type": "object",
                     "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}},
        },
    }
    out = inline_single_use_defs(schema)
    assert out["properties"]["items"] == {
        "type": "array", "description": "The items.",
        "items": {"type": "object", "properties": {"maker": {"$ref": "#/$defs/Person"}}},
    }
    assert out["properties"]["owner"] == {"$ref": "#/$defs/Person", "description": "Who owns them."}
    assert out["properties"]["tree"] == {"$ref": "#/$defs/Node"}
    assert set(out["$defs"]) == {"Person", "Node"}
    single = inline_single_use_defs({"properties": {"p": {"$ref": "#/$defs/P", "description": "Mine."}},
                                     "$defs": {"P": {"type": "object", "description": "Theirs."}}})
    assert single == {"properties": {"p": {"type": "object", "description": "Mine."}}}


def test_listed_schemas_resolve_without_references_except_shared_models() -> None:
    for tool in Catalog.load(SETTINGS).mcp_tools:
        for schema in (tool.input_schema, tool.output_schema or {}):
            text = json.dumps(schema)
            for name in schema.get("$defs", {}):
                assert text.count(f'"#/$defs/{name}"') > 1, f"{tool.name}: {name} is used once but not in place"
            assert '"$ref"' not in text or "$defs" in schema, tool.name


def test_every_snapshot_file_is_what_the_models_render() -> None:
    wanted = render(all_tool_specs())
    for name, content in wanted.items():
        assert (PROJECT_ROOT / "tool_schemas" / name).read_text(encoding="utf-8") == content, name
