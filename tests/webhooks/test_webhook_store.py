"""Both stores: seqs, dedup, reads, filters, retention; SQLite durability, restarts and kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from ao_mcp.webhooks.sqlite import SQLiteEventStore
from ao_mcp.webhooks.store import EventStore, MemoryEventStore, StoreUnavailable, open_store

pytestmark = pytest.mark.anyio


class Clock:
    """A settable clock for age retention."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


StoreFactory = Callable[..., EventStore]


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    def make(**kwargs: Any) -> EventStore:
        if request.param == "memory":
            return MemoryEventStore(**kwargs)
        return SQLiteEventStore(tmp_path / "events.db", **kwargs)

    return make


async def test_add_assigns_increasing_seqs_and_dedups(
    make_store: StoreFactory, make_event: Callable[..., dict]
) -> None:
    store = make_store()
    first, new1 = await store.add(make_event(1))
    second, new2 = await store.add(make_event(2))
    again, new3 = await store.add(make_event(1) | {"extra": "retry"})
    assert (new1, new2, new3) == (True, True, False)
    assert (first.seq, second.seq) == (1, 2) and again == first and again.payload == make_event(1)
    assert first.received_at.endswith("Z") and "T" in first.received_at
    assert await store.count() == 2 and await store.newest_seq() == 2 and await store.oldest_seq() == 1
    assert (await store.get("evt-2")) == second and await store.get("nope") is None
    await store.close()


async def test_empty_store(make_store: StoreFactory) -> None:
    store = make_store()
    assert await store.oldest_seq() is None and await store.newest_seq() == 0 and await store.count() == 0
    assert await store.recent(10) == [] and await store.after(0, limit=10) == []
    await store.close()


async def test_add_rejects_payloads_without_identity(make_store: StoreFactory) -> None:
    store = make_store()
    for payload in ({}, {"id": "x"}, {"id": 3, "event": "a"}, {"id": "", "event": "a"}, {"id": "x", "event": " "}):
        with pytest.raises(ValueError):
            await store.add(payload)
    assert await store.count() == 0
    await store.close()


async def test_recent_and_after_order_and_filters(make_store: StoreFactory, make_event: Callable[..., dict]) -> None:
    store = make_store()
    await store.add(make_event(1, event="course.started", email="a@x.io", course="c1"))
    await store.add(make_event(2, event="lesson.finished", email="B@x.io", course="c2"))
    await store.add(make_event(3, event="team.new.learners", email="a@x.io", course="c2"))
    await store.add(
        {
            "id": "evt-4",
            "event": "learner.course.available",
            "learners": [{"email": "c@x.io"}],
            "courses": [{"id": "c1"}],
        }
    )
    assert [e.seq for e in await store.recent(10)] == [4, 3, 2, 1]
    assert [e.seq for e in await store.recent(2)] == [4, 3]
    assert [e.seq for e in await store.after(1, limit=10)] == [2, 3, 4]
    assert [e.seq for e in await store.after(1, limit=2)] == [2, 3]
    assert [e.seq for e in await store.after(4, limit=10)] == []
    assert [e.seq for e in await store.after(0, limit=10, event_type="team.new_learners")] == [3]
    assert [e.seq for e in await store.recent(10, event_type="team.new.learners")] == [3]
    assert (await store.get("evt-3")).event == "team.new_learners"  # type: ignore[union-attr]
    assert [e.seq for e in await store.after(0, limit=10, learner_email="b@X.io")] == [2]
    assert [e.seq for e in await store.after(0, limit=10, learner_email="c@x.io")] == [4]
    assert [e.seq for e in await store.after(0, limit=10, course_id="c1")] == [1, 4]
    assert [e.seq for e in await store.recent(10, course_id="c2", learner_email="a@x.io")] == [3]
    assert [e.seq for e in await store.after(1, limit=10, course_id="c1", event_type="course.started")] == []
    await store.close()


async def test_retention_by_count(make_store: StoreFactory, make_event: Callable[..., dict]) -> None:
    store = make_store(max_events=5)
    for n in range(1, 13):
        await store.add(make_event(n))
    assert await store.count() == 5
    assert await store.oldest_seq() == 8 and await store.newest_seq() == 12
    assert [e.seq for e in await store.after(0, limit=100)] == [8, 9, 10, 11, 12]
    assert await store.get("evt-7") is None
    # An evicted id may be forgotten: it is stored again, with a new seq.
    again, new = await store.add(make_event(1))
    assert new and again.seq == 13
    await store.close()


async def test_retention_by_age(make_store: StoreFactory, make_event: Callable[..., dict]) -> None:
    clock = Clock()
    store = make_store(max_age=60, clock=clock)
    await store.add(make_event(1))
    clock.now += 30
    await store.add(make_event(2))
    clock.now += 31  # event 1 is 61 s old now, event 2 is 31 s old
    assert [e.seq for e in await store.recent(10)] == [2]
    assert await store.oldest_seq() == 2 and await store.count() == 1 and await store.get("evt-1") is None
    clock.now += 30
    assert await store.count() == 0 and await store.oldest_seq() is None and await store.newest_seq() == 2
    third, _ = await store.add(make_event(3))
    assert third.seq == 3
    await store.close()


async def test_dedup_holds_within_the_window(make_store: StoreFactory, make_event: Callable[..., dict]) -> None:
    store = make_store(max_events=3)
    await store.add(make_event(1))
    await store.add(make_event(2))
    for _ in range(5):
        _, new = await store.add(make_event(2))
        assert not new
    assert await store.count() == 2 and await store.newest_seq() == 2
    await store.close()


async def test_concurrent_adds_store_each_id_once(make_store: StoreFactory, make_event: Callable[..., dict]) -> None:
    store = make_store()
    results: list[tuple[int, bool]] = []

    async def add(n: int) -> None:
        stored, new = await store.add(make_event(n % 60))
        results.append((stored.seq, new))

    with anyio.fail_after(20):
        async with anyio.create_task_group() as group:
            for n in range(150):
                group.start_soon(add, n)
    assert sum(new for _, new in results) == 60
    assert sorted(seq for seq, new in results if new) == list(range(1, 61))
    assert await store.count() == 60
    await store.close()


async def test_closed_store_is_unavailable(make_store: StoreFactory, make_event: Callable[..., dict]) -> None:
    store = make_store()
    await store.close()
    with pytest.raises(StoreUnavailable):
        await store.add(make_event(1))


async def test_limits_are_validated() -> None:
    for kwargs in ({"max_events": 0}, {"max_age": 0}, {"max_age": -1}):
        with pytest.raises(ValueError):
            MemoryEventStore(**kwargs)


# --- SQLite specifics ----------------------------------------------------------------------------


async def test_sqlite_survives_restart_with_dedup_and_increasing_seqs(
    tmp_path: Path, make_event: Callable[..., dict]
) -> None:
    path = tmp_path / "sub" / "events.db"
    store = SQLiteEventStore(path, max_events=3)
    for n in range(1, 6):
        await store.add(make_event(n))
    await store.close()

    reopened = SQLiteEventStore(path, max_events=3)
    assert [e.id for e in await reopened.after(0, limit=10)] == ["evt-3", "evt-4", "evt-5"]
    assert await reopened.newest_seq() == 5 and await reopened.oldest_seq() == 3
    existing, new = await reopened.add(make_event(5))
    assert not new and existing.seq == 5 and existing.payload == make_event(5)
    fresh, new = await reopened.add(make_event(6))
    assert new and fresh.seq == 6  # never reuses a seq, even of deleted rows
    await reopened.close()


async def test_sqlite_seq_is_not_reused_after_everything_expired(
    tmp_path: Path, make_event: Callable[..., dict]
) -> None:
    clock = Clock()
    store = SQLiteEventStore(tmp_path / "e.db", max_age=10, clock=clock)
    await store.add(make_event(1))
    await store.add(make_event(2))
    await store.close()
    clock.now += 100
    store = SQLiteEventStore(tmp_path / "e.db", max_age=10, clock=clock)
    assert await store.count() == 0 and await store.newest_seq() == 2
    stored, _ = await store.add(make_event(1))
    assert stored.seq == 3
    await store.close()


async def test_sqlite_uses_wal_and_keeps_payload_as_received(tmp_path: Path) -> None:
    store = SQLiteEventStore(tmp_path / "e.db")
    payload = {"id": "u1", "event": "quiz.finished", "text": "héllo \ud800", "n": 1.5, "nested": {"a": [1, None]}}
    await store.add(payload)
    await store.close()
    store = SQLiteEventStore(tmp_path / "e.db")
    assert (await store.get("u1")).payload == payload  # type: ignore[union-attr]
    await store.close()
    with sqlite3.connect(tmp_path / "e.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_sqlite_errors_become_store_unavailable(tmp_path: Path, make_event: Callable[..., dict]) -> None:
    store = SQLiteEventStore(tmp_path / "e.db")
    await store.add(make_event(1))
    # Another connection holds the write lock: the add cannot commit in time.
    other = sqlite3.connect(tmp_path / "e.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    store._conn.execute("PRAGMA busy_timeout=50")  # keep the test fast
    try:
        with pytest.raises(StoreUnavailable):
            await store.add(make_event(2))
    finally:
        other.execute("ROLLBACK")
        other.close()
    stored, new = await store.add(make_event(2))
    assert new and stored.seq == 2  # the failed attempt consumed nothing
    await store.close()


def test_sqlite_unopenable_path_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreUnavailable):
        SQLiteEventStore(blocker / "events.db")


async def test_sqlite_bad_unicode_id_is_a_value_error(tmp_path: Path) -> None:
    store = SQLiteEventStore(tmp_path / "e.db")
    with pytest.raises(ValueError):
        await store.add({"id": "\ud800", "event": "x"})
    await store.close()


_CHILD = textwrap.dedent(
    """
    import json, sys, anyio
    from ao_mcp.webhooks.hub import EventHub
    from ao_mcp.webhooks.receiver import WebhookReceiver
    from ao_mcp.webhooks.signature import sign
    from ao_mcp.webhooks.sqlite import SQLiteEventStore

    async def main() -> None:
        receiver = WebhookReceiver(EventHub(SQLiteEventStore(sys.argv[1], max_events=100000)), secrets=["s"])
        n = 0
        while True:
            n += 1
            body = json.dumps({"id": f"k{n}", "event": "lesson.finished"}).encode()
            status = await receiver.deliver(body, {"Signature": sign(body, "s")})
            if status == 200:
                sys.stdout.write(f"k{n}\\n")
                sys.stdout.flush()

    anyio.run(main)
    """
)


def test_sqlite_acknowledged_events_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    acknowledged: list[str] = []
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + 15
        while len(acknowledged) < 200 and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            acknowledged.append(line.strip())
        os.kill(child.pid, signal.SIGKILL)
        acknowledged += [line.strip() for line in child.stdout.read().splitlines() if line.strip()]
    finally:
        child.kill()
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 200, child.stderr.read() if child.stderr else ""

    async def check() -> set[str]:
        store = SQLiteEventStore(path, max_events=100000)
        try:
            return {event.id for event in await store.after(0, limit=100000)}
        finally:
            await store.close()

    kept = anyio.run(check)
    assert set(acknowledged) <= kept


# --- open_store ------------------------------------------------------------------------------------


async def test_open_store_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(open_store("memory"), MemoryEventStore)
    memory = open_store("memory://", max_events=7, max_age=5)
    assert isinstance(memory, MemoryEventStore) and memory.max_events == 7 and memory.max_age == 5
    absolute = open_store(f"sqlite:///{tmp_path}/abs.db")  # tmp_path starts with "/": four slashes
    assert isinstance(absolute, SQLiteEventStore) and absolute.path == f"{tmp_path}/abs.db"
    await absolute.close()
    monkeypatch.chdir(tmp_path)
    relative = open_store("sqlite:///data/rel.db", max_events=3)
    assert isinstance(relative, SQLiteEventStore) and relative.path == "data/rel.db" and relative.max_events == 3
    await relative.close()
    assert (tmp_path / "data" / "rel.db").exists()


@pytest.mark.anyio
@pytest.mark.parametrize("url", ["redis://localhost:6379/0", "rediss://user:pw@host/1"])
async def test_open_store_redis_opens_the_shared_store_without_connecting(url: str) -> None:
    pytest.importorskip("redis")  # the store itself is tested against a real Redis in tests/redis/
    store = open_store(url, max_events=9)
    assert type(store).__name__ == "RedisEventStore" and store.max_events == 9
    assert "pw" not in repr(store)
    await store.close()


@pytest.mark.parametrize("url", ["", "postgres://u:secret@h/db", "sqlite://", "sqlite:///", "file.db", "memory:///x"])
def test_open_store_rejects_other_urls(url: str) -> None:
    with pytest.raises(ValueError) as info:
        open_store(url)
    assert "secret" not in str(info.value)
    if url.startswith("postgres"):
        assert "postgres://***@h/db" in str(info.value)


def test_stored_event_is_frozen_and_serialisable() -> None:
    from dataclasses import FrozenInstanceError

    from ao_mcp.webhooks.store import StoredEvent

    stored = StoredEvent(1, "a", "b", "2024-01-01T00:00:00.000Z", {"id": "a", "event": "b"})
    with pytest.raises(FrozenInstanceError):
        stored.seq = 2  # type: ignore[misc]
    assert json.loads(json.dumps(stored.to_dict()))["payload"] == {"id": "a", "event": "b"}
