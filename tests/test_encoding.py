"""The form encoder against PHP's own http_build_query (vectors in tests/data/)."""

import json
from pathlib import Path

import pytest

from ao_mcp.encoding import decode_form, encode_form

VECTORS = json.loads((Path(__file__).parent / "data" / "encoding_vectors.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", VECTORS, ids=[case["name"] for case in VECTORS])
def test_encoder_matches_php(case: dict) -> None:
    assert encode_form(case["input"]) == case["expected"]


def test_decoder_inverts_encoder_for_strings() -> None:
    data = {
        "action": "setLessonVariables",
        "options": {
            "academy_id": "zyK0bxgWEY9E4XA6JedG",
            "records": {"john@example.com": [{"key": "some_var", "value": "a & b = c", "type": "0"}]},
            "emails": ["a@example.com", "b@example.com"],
        },
    }
    assert decode_form(encode_form(data)) == data


def test_decoder_reads_php_append_syntax_and_sparse_keys() -> None:
    assert decode_form("a%5B%5D=1&a%5B%5D=2&b%5B0%5D=x&b%5B2%5D=y") == {"a": ["1", "2"], "b": {"0": "x", "2": "y"}}


def test_decoder_survives_garbage() -> None:
    assert decode_form(b"%ZZ=%&&=x&[]=1&a[b=2") == {"%ZZ": "%", "[]": "1", "a[b": "2"}
