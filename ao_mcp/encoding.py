"""PHP's ``http_build_query`` and its inverse, the wire format of AcademyOcean's samples.

The documentation's samples use Guzzle ``form_params``, which PHP turns into
``application/x-www-form-urlencoded`` with bracket nesting::

    >>> encode_form({"action": "learners", "options": {"dates": ["a b", "c"]}})
    'action=learners&options%5Bdates%5D%5B0%5D=a+b&options%5Bdates%5D%5B1%5D=c'

Rules PHP applies, and so do we: lists are indexed from 0, ``True``/``False``
become ``1``/``0``, ``None`` and empty containers produce no pair at all, floats
with an integral value lose their ``.0``, and every key and value goes through
``urlencode`` (RFC 1738: space is ``+``, only ``A-Za-z0-9-_.`` stay literal).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote_plus, unquote_plus

__all__ = ["decode_form", "encode_form"]


def _urlencode(text: str) -> str:
    # Python leaves "~" alone since 3.7; PHP's urlencode() does not.
    return quote_plus(text, safe="").replace("~", "%7E")


def _scalar(value: Any) -> str:
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _pairs(prefix: str, value: Any) -> Iterator[tuple[str, str]]:
    if value is None:
        return
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        yield prefix, _scalar(value)
        return
    for key, item in items:
        yield from _pairs(f"{prefix}[{_scalar(key)}]", item)


def encode_form(data: Mapping[str, Any]) -> str:
    """Encode ``data`` exactly as PHP's ``http_build_query($data)`` does."""
    parts: list[str] = []
    for key, value in data.items():
        for name, text in _pairs(str(key), value):
            parts.append(f"{_urlencode(name)}={_urlencode(text)}")
    return "&".join(parts)


def _split_name(name: str) -> list[str]:
    """``a[b][0]`` -> ``["a", "b", "0"]``; ``a[]`` -> ``["a", ""]`` (PHP's append)."""
    head, bracket, rest = name.partition("[")
    if not bracket or not head:
        return [name]
    keys = [head]
    while rest:
        inner, closed, rest = rest.partition("]")
        if not closed:
            # PHP treats an unterminated bracket as part of the last key's text.
            keys[-1] += "[" + inner
            break
        keys.append(inner)
        if not rest.startswith("["):
            break
        rest = rest[1:]
    return keys


def _listify(node: Any) -> Any:
    """Turn dicts whose keys are exactly "0".."n-1" into lists, recursively."""
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(child) for key, child in node.items()}
    if converted and all(key == str(index) for index, key in enumerate(converted)):
        return list(converted.values())
    return converted


def decode_form(body: bytes | str) -> dict[str, Any]:
    """Parse a bracket-nested form body as PHP's ``parse_str`` would.

    Nested maps whose keys are ``0..n-1`` in order come back as lists, so
    ``decode_form(encode_form(x)) == x`` for JSON-like data without ``None``,
    booleans or empty containers (which PHP's encoding cannot carry).
    """
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    root: dict[str, Any] = {}
    for pair in text.split("&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition("=")
        keys = _split_name(unquote_plus(raw_name))
        if not keys[0]:
            continue  # PHP drops pairs without a name
        value = unquote_plus(raw_value)
        node = root
        for depth, key in enumerate(keys):
            last = depth == len(keys) - 1
            if key == "":
                key = str(sum(1 for existing in node if existing.isdigit()))
            if last:
                node[key] = value
            else:
                child = node.get(key)
                if not isinstance(child, dict):
                    child = node[key] = {}
                node = child
    return _listify(root)
