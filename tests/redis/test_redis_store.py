"""RedisEventStore against a real redis-server: the store contract, sharing between replicas, outages."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from ao_mcp.redis_cache import close_client
from ao_mcp.webhooks.store import MemoryEventStore, StoredEvent, StoreUnavailable, open_store

pytestmark = pytest.mark.anyio

SAMPLES = {
    path.name.removesuffix(".json"): json.loads(path.read_text())
    for path in sorted((Path(__file__).parent.parent / "webhooks" / "samples").glob("*.json"))
}


def event(n: int, kind: str = "lesson.finished", email: str = "john@example.com", course: str = "c-1") -> dict[str, Any]:
    return {"id": f"evt-{n}", "event": kind, "course": {"id": course}, "learner": {"email": email}}


def shape(found: Any) -> Any:
    """What two stores must agree on (not the arrival time)."""
    if found is None:
        return None
    if isinstance(found, list):
        return [shape(item) for item in found]
    if not isinstance(found, StoredEvent):
        return found
    return (found.seq, found.id, found.event, found.payload)


def open_redis(url: str, stores: list[object], **kwargs: Any) -> Any:
    from ao_mcp.webhooks.redis_store import RedisEventStore

    store = RedisEventStore(url, **kwargs)
    stores.append(store)
    return store


async def test_behaves_like_the_memory_store(redis_url: str, stores: list[object]) -> None:
    memory = MemoryEventStore(max_events=8)
    shared = open_redis(redis_url, stores, max_events=8)
    payloads = [
        *SAMPLES.values(),
        SAMPLES["quiz.finished"],  # a duplicate, still kept
        event(1, "team.new.learners", "Jane@Example.com", "c-2"),
        event(2, "Course.Finished", "jane@example.com"),
        event(3, email="JOHN@example.com", course="c-2"),
        event(1),  # a duplicate with another body: the first one stays
        SAMPLES["course.started"],  # evicted meanwhile: stored again, under a new seq
    ]
    for payload in payloads:
        a, b = await memory.add(payload), await shared.add(payload)
        assert (shape(a[0]), a[1]) == (shape(b[0]), b[1])
    reads: list[Callable[[Any], Any]] = [
        lambda s: s.count(),
        lambda s: s.oldest_seq(),
        lambda s: s.newest_seq(),
        lambda s: s.recent(5),
        lambda s: s.recent(100),
        lambda s: s.recent(0),
        lambda s: s.recent(10, event_type="team.new_learners"),
        lambda s: s.recent(10, event_type="course.finished"),
        lambda s: s.recent(10, learner_email="JANE@example.com"),
        lambda s: s.recent(10, course_id="c-2"),
        lambda s: s.recent(10, course_id="c-2", learner_email="john@example.com"),
        lambda s: s.after(0, limit=3),
        lambda s: s.after(12, limit=100),
        lambda s: s.after(18, limit=10),
        lambda s: s.after(0, limit=10, learner_email="jane@example.com"),
        lambda s: s.after(15, limit=1, course_id="c-1"),
        *[lambda s, p=payload: s.get(p["id"]) for payload in payloads],
        lambda s: s.get("missing"),
    ]
    for index, read in enumerate(reads):
        assert shape(await read(memory)) == shape(await read(shared)), f"read {index}"
    assert await shared.count() == 8 and await shared.newest_seq() == 17


async def test_replicas_share_one_sequence_and_store_an_event_once(redis_url: str, stores: list[object]) -> None:
    replicas = [open_redis(redis_url, stores) for _ in range(3)]
    results: list[tuple[StoredEvent, bool]] = []

    async def post(store: Any, payload: dict[str, Any]) -> None:
        results.append(await store.add(payload))

    with anyio.fail_after(20):
        async with anyio.create_task_group() as group:
            for n in range(60):
                group.start_soon(post, replicas[n % 3], event(n))
                group.start_soon(post, replicas[(n + 1) % 3], SAMPLES["quiz.finished"])  # the same event, 60 times
    first = [stored for stored, new in results if stored.id == SAMPLES["quiz.finished"]["id"] and new]
    assert len(first) == 1
    assert {stored.seq for stored, _ in results if stored.id == SAMPLES["quiz.finished"]["id"]} == {first[0].seq}
    seqs = sorted(stored.seq for stored, new in results if new)
    assert seqs == list(range(1, 62))  # never two events with one seq, none skipped
    for store in replicas:
        assert await store.count() == 61 and await store.newest_seq() == 61
        assert (await store.get(SAMPLES["quiz.finished"]["id"])).seq == first[0].seq  # type: ignore[union-attr]


async def test_age_retention_drops_old_events_for_every_reader(redis_url: str, stores: list[object]) -> None:
    writer = open_redis(redis_url, stores, max_age=0.3)
    reader = open_redis(redis_url, stores, max_age=0.3)
    for n in range(5):
        await writer.add(event(n))
    assert await reader.count() == 5
    with anyio.fail_after(10):
        while await reader.count():
            await anyio.sleep(0.02)
    assert await reader.recent(10) == [] and await reader.after(0, limit=10) == []
    assert await reader.get("evt-1") is None and await reader.oldest_seq() is None
    assert await reader.newest_seq() == 5  # seqs are never reused
    stored, new = await reader.add(event(1))  # out of the window: a new event
    assert new and stored.seq == 6


async def test_keys_are_prefixed_and_dedupe_entries_expire_with_the_window(redis_url: str, stores: list[object]) -> None:
    import redis.asyncio as aioredis

    store = open_redis(redis_url, stores, max_age=3600)
    await store.add(event(1))
    client = aioredis.Redis.from_url(redis_url)
    try:
        keys = sorted(key.decode() for key in await client.keys("*"))
        assert keys == ["ao-mcp:{events}:id:evt-1", "ao-mcp:{events}:meta", "ao-mcp:{events}:stream"]
        assert 3_500_000 < await client.pttl("ao-mcp:{events}:id:evt-1") <= 3_600_000
    finally:
        await close_client(client)


async def test_payloads_round_trip_and_bad_ids_are_refused(redis_url: str, stores: list[object]) -> None:
    store = open_redis(redis_url, stores)
    payload = {"id": "ünï-1", "event": "quiz.finished", "learner": {"email": "ü@example.com"}, "note": "😀 \ud800 \"q\""}
    stored, _ = await store.add(payload)
    assert (await store.get("ünï-1")).payload == payload  # type: ignore[union-attr]
    assert (await store.recent(1, learner_email="Ü@example.com"))[0].id == "ünï-1"
    with pytest.raises(ValueError):
        await store.add({"id": "bad\ud800", "event": "quiz.finished"})
    with pytest.raises(ValueError):
        await store.add({"id": "x"})
    assert await store.get("bad\ud800") is None


async def test_redis_down_means_store_unavailable_then_recovery(durable_redis: Any) -> None:
    store = open_store(durable_redis.url(), max_events=100)
    try:
        first, _ = await store.add(event(1))
        durable_redis.stop()
        with anyio.fail_after(15):
            with pytest.raises(StoreUnavailable):
                await store.add(event(2))
            for read in (store.count(), store.recent(5), store.get("evt-1"), store.newest_seq()):
                with pytest.raises(StoreUnavailable):
                    await read
        durable_redis.start()
        with anyio.fail_after(15):
            stored, new = await store.add(event(2))  # the client reconnects by itself
        assert new and stored.seq == first.seq + 1
        assert shape(await store.get("evt-1")) == shape(first)
    finally:
        await store.close()
    with pytest.raises(StoreUnavailable):
        await store.add(event(3))


async def test_the_relay_announces_other_replicas_events_and_survives_an_outage(durable_redis: Any) -> None:
    from ao_mcp.webhooks.redis_store import RedisEventStore

    here, there = RedisEventStore(durable_redis.url()), RedisEventStore(durable_redis.url())
    announced: list[tuple[int, str]] = []

    async def notify(stored: StoredEvent) -> None:
        announced.append((stored.seq, stored.id))

    async def until(count: int) -> None:
        with anyio.fail_after(20):
            while len(announced) < count:
                await anyio.sleep(0.01)

    await there.add(event(0))  # before the relay started: not announced
    try:
        async with here.relay(notify):
            for n in (1, 2, 3):
                await there.add(event(n))
            await here.add(event(4))  # its own: announced by its hub at ingest, not again by the relay
            await there.add(event(5))
            await until(4)
            durable_redis.stop()
            durable_redis.start()
            with anyio.fail_after(15):
                while True:
                    try:
                        await there.add(event(6))
                        break
                    except StoreUnavailable:
                        await anyio.sleep(0.05)
            await until(5)
    finally:
        await here.close()
        await there.close()
    assert announced == [(2, "evt-1"), (3, "evt-2"), (4, "evt-3"), (6, "evt-5"), (7, "evt-6")]
