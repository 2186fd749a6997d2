"""How records are rendered in answers: shared by every action that lists learners or courses."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ao_mcp.sandbox import refdata
from ao_mcp.sandbox.formatting import atom
from ao_mcp.sandbox.state import AcademyState, Learner, Unit
from ao_mcp.sandbox.webhooks import php_json

__all__ = [
    "COUNTRY_NAMES",
    "RawJSON",
    "academy_ref",
    "learner_json",
    "learner_row",
    "open_url",
    "rows_json",
    "splice",
    "team_refs",
    "warm",
]

COUNTRY_NAMES: dict[str, str] = {iso: name for iso, name, _, _ in refdata.COUNTRIES}


def learner_row(state: AcademyState, learner: Learner) -> dict[str, Any]:
    """The documented learner object (learners, learnersWithScore, learnersRegisteredAt, ...)."""
    stats = state.stats(learner)
    return {
        "name": learner.name,
        "email": learner.email,
        "registered_at": atom(learner.registered_at),
        "score": stats.score,
        "lessons_opened": stats.lessons_opened,
        "lessons_completed": stats.lessons_completed,
        "courses_completed": stats.courses_completed,
        "spent_time_in_academy": stats.spent_time,
        "certificates_amount": stats.certificates_amount,
        "company": learner.company,
        "country": COUNTRY_NAMES.get(learner.country_iso, learner.country_iso),
        "country_iso_code": learner.country_iso,
        "city": learner.city,
        "os": learner.os,
        "device": learner.device,
        "browser": learner.browser,
        "last_login_at": atom(learner.last_login_at),
    }


@dataclass(frozen=True, slots=True)
class RawJSON:
    """An answer already encoded (as ``php_json`` would): the big learner lists.

    Encoding 100,000 learner objects afresh takes seconds; each learner's object is
    encoded once and cached on it until it changes, and lists are joined from those.
    """

    data: bytes

    def value(self) -> Any:
        return json.loads(self.data)


def learner_json(state: AcademyState, learner: Learner) -> bytes:
    """``learner_row`` encoded, cached on the learner (``state.touch`` drops it)."""
    row = learner.row
    if row is None:
        row = learner.row = php_json(learner_row(state, learner))
    return row


def splice(obj: bytes, head: dict[str, Any] | None = None, tail: dict[str, Any] | None = None) -> bytes:
    """Add fields before and after those of an encoded JSON object."""
    parts = [php_json(head)[1:-1]] if head else []
    parts.append(obj[1:-1])
    if tail:
        parts.append(php_json(tail)[1:-1])
    return b"{" + b",".join(parts) + b"}"


def rows_json(objects: Iterable[bytes]) -> RawJSON:
    return RawJSON(b"[" + b",".join(objects) + b"]")


def warm(state: AcademyState) -> None:
    """Encode every learner now, so the first big list answers as fast as the next."""
    for learner in state.learners.values():
        learner_json(state, learner)


def academy_ref(state: AcademyState, learner: Learner) -> dict[str, str]:
    """``with_academy``: the doc promises "Academy ID and name" without a shape; we use an object."""
    academy = state.academies[learner.academy_id]
    return {"id": academy.id, "name": academy.name}


def team_refs(state: AcademyState, learner: Learner) -> list[dict[str, str]]:
    """``with_teams``: "ID and names of the Teams", as a list of objects."""
    return [{"id": tid, "name": state.teams[tid].name} for tid in learner.teams if tid in state.teams]


def open_url(state: AcademyState, unit: Unit) -> str:
    """The learner-facing URL: ``/course/<slug>/open`` or, for groups, ``/group/<id>/open``."""
    academy = state.academies[unit.academy_id]
    host = f"{academy.slug}.academyocean.com"
    if academy.is_cname_enabled and academy.cname_domain:
        host = academy.cname_domain
    path = f"group/{unit.id}" if unit.kind == "group" else f"course/{unit.slug}"
    return f"https://{host}/{path}/open"
