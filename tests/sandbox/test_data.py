"""Generated data: deterministic per seed, varied, and internally consistent."""

from __future__ import annotations

import time

import httpx
import pytest

from ao_mcp.sandbox import Sandbox, SandboxConfig

from .helpers import BASE_URL, Api, FakeClock

pytestmark = pytest.mark.anyio


async def all_learners(sandbox: Sandbox) -> list[dict]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app), base_url=BASE_URL) as client:
        api = Api(client, sandbox)
        await api.login()
        return await api.ok("learners", {"with_academy": True, "with_teams": True})


async def test_same_seed_same_data_different_seed_different_data(clock: FakeClock) -> None:
    first = await all_learners(Sandbox(SandboxConfig(seed=11, learners=80, clock=clock)))
    again = await all_learners(Sandbox(SandboxConfig(seed=11, learners=80, clock=time.time)))
    other = await all_learners(Sandbox(SandboxConfig(seed=12, learners=80, clock=clock)))
    assert first == again  # the clock does not leak into generated data
    assert first != other
    assert {row["email"] for row in first} != {row["email"] for row in other}


def test_default_account_is_varied(sandbox: Sandbox) -> None:
    state = sandbox.state
    learners = list(state.learners.values())
    stats = [state.stats(lr) for lr in learners]
    assert len(state.academies) == 3
    assert 8 <= sum(1 for _ in state.top_units()) <= 12
    assert any(u.kind == "group" for u in state.units.values())
    assert all(any(c.kind == "quiz" for c in u.contents) and any(c.kind == "lesson" for c in u.contents)
               for u in state.units.values())
    assert len({lr.country_iso for lr in learners}) >= 15
    assert sum(s.lessons_opened == 0 for s in stats) >= 10  # passive
    assert sum(s.certificates_amount > 0 for s in stats) >= 10  # finishers
    assert sum(lr.log_ins_amount > 1 for lr in learners) >= 50  # repeat visitors
    assert sum(len(lr.teams) >= 2 for lr in learners) >= 5
    assert sum(0 < s.score < 100 for s in stats) >= 50
    churned = sum(1 for lr in learners for u in state.available(lr).units
                  if state.unit_progress(lr, u).started_at and not state.unit_progress(lr, u).completed)
    assert churned >= 30
    assert sum(1 for i in state.invites.values() if i.used_at is None) >= 5


async def test_derived_numbers_agree_across_actions(api: Api, sandbox: Sandbox) -> None:
    rows = {row["email"]: row for row in await api.ok("learners")}
    sample = list(rows.values())[::10]
    for row in sample:
        certificates = await api.ok("certificates", {"email": row["email"]})
        assert len(certificates) == row["certificates_amount"]
        progress = await api.ok("courseProgress", {"email": row["email"]})
        passed = sum(r["progress_amount"] for r in progress)
        total = sum(r["lessons_amount"] for r in progress)
        assert row["score"] == ((passed * 100 + total // 2) // total if total else 0)
        assert row["lessons_completed"] >= passed
    countries = await api.ok("learnersAmountFromCountries")
    for country in countries:
        code = country["country_iso_code"]
        assert country["amount"] == sum(1 for r in rows.values() if r["country_iso_code"] == code)
    academies = await api.ok("academies")
    assert sum(a["learners_amount"] for a in academies) == len(rows)


def test_config_is_validated() -> None:
    with pytest.raises(ValueError):
        SandboxConfig(learners=-1)
    with pytest.raises(ValueError):
        SandboxConfig(academies=0)
    with pytest.raises(ValueError):
        SandboxConfig(token_lifetime=0)
    assert SandboxConfig(base_url="https://x.example.com/").base_url == "https://x.example.com"


def test_more_academies_than_names_and_an_empty_account() -> None:
    big = Sandbox(SandboxConfig(academies=7, learners=30))
    assert len({a.name for a in big.state.academies.values()}) == 7
    assert all(any(u.academy_id == a for u in big.state.units.values()) for a in big.state.academies)
    empty = Sandbox(SandboxConfig(learners=0, academies=1))
    assert not empty.state.learners


async def test_five_thousand_learners_smoke() -> None:
    started = time.perf_counter()
    sandbox = Sandbox(SandboxConfig(seed=3, learners=5000))
    assert time.perf_counter() - started < 5
    rows = await all_learners(sandbox)
    assert len(rows) == 5000 and len({row["email"] for row in rows}) == 5000
    started = time.perf_counter()
    await sandbox.simulate_activity(50)
    assert time.perf_counter() - started < 2
    assert len(await all_learners(sandbox)) >= 5000
