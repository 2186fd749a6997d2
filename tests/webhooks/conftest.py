"""Shared fixtures of the webhook tests: the anyio backend, the 13 samples, an event factory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SAMPLES_DIR = Path(__file__).parent / "samples"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def load_samples() -> dict[str, dict[str, Any]]:
    """The 13 documented samples by event type."""
    return {
        path.name.removesuffix(".json"): json.loads(path.read_text()) for path in sorted(SAMPLES_DIR.glob("*.json"))
    }


@pytest.fixture(scope="session")
def samples() -> dict[str, dict[str, Any]]:
    return load_samples()


@pytest.fixture
def make_event() -> Callable[..., dict[str, Any]]:
    """A factory of distinct small events: make_event(n, event=..., email=..., course=...)."""

    def make(
        n: int, event: str = "lesson.finished", email: str = "john@example.com", course: str = "course-1"
    ) -> dict[str, Any]:
        return {
            "id": f"evt-{n}",
            "event": event,
            "academy": {"id": "acad", "name": "Academy"},
            "course": {"id": course, "name": "Course"},
            "learner": {"email": email, "full_name": "John Smith"},
        }

    return make
