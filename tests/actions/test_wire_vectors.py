"""The documentation's PHP sample requests, encoded by PHP, against what our tools send.

The vectors in tests/data/php_vectors.json were made by tests/data/make_php_vectors.php
(`php tests/data/make_php_vectors.php > tests/data/php_vectors.json`), so these
tests need no PHP.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ao_mcp.actions import API_TOOLS
from ao_mcp.encoding import decode_form, encode_form

VECTORS = json.loads((Path(__file__).parent.parent / "data" / "php_vectors.json").read_text("utf-8"))["vectors"]
BY_NAME = {spec.name: spec for spec in API_TOOLS}

DOCUMENTED_SAMPLES = {
    "learners", "courses", "getLearnerVariable", "setLessonVariables", "checkLearnerInvite",
    "deleteLearnerInvite", "deleteLearners", "addLearnersToTeams", "removeLearnersFromTeams",
    "revokeLearnersAccess", "getLearnersQuizStatistic", "updateCourseCertificateVariables",
    "createLoginToken", "academies", "getTeams",
}  # fmt: skip


def test_every_documented_sample_has_a_vector():
    assert DOCUMENTED_SAMPLES <= {vector["action"] for vector in VECTORS}


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector["action"])
def test_tool_sends_what_php_sends(vector):
    spec = BY_NAME[vector["tool"]]
    assert spec.action == vector["action"]
    options = spec.input(**vector["args"]).to_options()
    assert encode_form({"action": spec.action, "options": options}) == vector["body"]


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector["action"])
def test_php_body_reads_back_as_the_options(vector):
    # A guard on the vectors themselves: PHP's body carries the documented options
    # (booleans as 1, nulls left out), and nothing of confirm or max_items.
    decoded = decode_form(vector["body"])
    assert decoded["action"] == vector["action"]
    assert not {"confirm", "max_items"} & set(decoded.get("options", {}))
