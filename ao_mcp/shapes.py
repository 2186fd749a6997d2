"""Turning AcademyOcean's raw answers into the objects our output models describe.

Shapers only restructure (wrap a list, read an acknowledgement); types are fixed
by the output models. An answer of the wrong kind is an ``UpstreamError`` that
says what came and what was expected. PHP habits are tolerated: an empty object
written as ``[]``, a list that lost its ``0..n`` keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ao_mcp.errors import UpstreamError

__all__ = ["Shape", "as_dict", "as_list", "count_shape", "done_shape", "kind", "wrong_kind"]

Shape = Callable[[Any, Any], dict[str, Any]]


def kind(raw: Any) -> str:
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "a boolean"
    if isinstance(raw, int | float):
        return "a number"
    if isinstance(raw, str):
        return "a string"
    if isinstance(raw, list):
        return "a list"
    if isinstance(raw, dict):
        return "an object"
    return type(raw).__name__


def wrong_kind(action: str, raw: Any, expected: str) -> UpstreamError:
    article = "an" if expected[0] in "aeiou" else "a"
    return UpstreamError(
        f"AcademyOcean answered {action} with {kind(raw)} where {article} {expected} was expected",
        action=action,
        status=None,
    )


def as_list(action: str, raw: Any, field: str | None = None) -> list[Any]:
    """A list answer; also accepted: a PHP array that lost its 0..n keys, or ``{field: [...]}``."""
    if isinstance(raw, list):
        return raw
    if isinstance(raw, dict):
        if field is not None and isinstance(raw.get(field), list):
            return raw[field]
        if all(isinstance(key, str) and key.isdigit() for key in raw):
            return list(raw.values())
    raise wrong_kind(action, raw, "list")


def as_dict(action: str, raw: Any) -> dict[str, Any]:
    """An object answer; PHP writes an empty one as ``[]``."""
    if isinstance(raw, dict):
        return raw
    if raw == []:
        return {}
    raise wrong_kind(action, raw, "object")



def done_shape(action: str) -> Shape:
    """Documented ``["done"]`` (and other bare acknowledgements) -> ``{"done": true}``; a dict is kept."""

    def shape(raw: Any, args: Any) -> dict[str, Any]:
        if isinstance(raw, dict):
            return {"done": True, **raw}
        if raw is True or raw == "done" or (isinstance(raw, list) and all(isinstance(x, str) for x in raw)):
            return {"done": True}
        raise wrong_kind(action, raw, "acknowledgement")

    return shape


def count_shape(action: str, field: str) -> Shape:
    """``{field: n}`` answers (``deleted``, ``invited``); a bare number or ``[{field: n}]`` too."""

    def shape(raw: Any, args: Any) -> dict[str, Any]:
        if isinstance(raw, list) and len(raw) == 1:
            raw = raw[0]
        if isinstance(raw, dict) and field in raw:
            return raw
        if isinstance(raw, int | str) and not isinstance(raw, bool) and str(raw).isdigit():
            return {field: int(raw)}
        raise wrong_kind(action, raw, f"object with {field}")

    return shape
