"""The HTTP endpoint: signatures, every bad input, size caps, duplicates, concurrency, fuzz."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from ao_mcp.webhooks.hub import EventHub
from ao_mcp.webhooks.receiver import WEBHOOK_PATH, WebhookReceiver, webhook_app
from ao_mcp.webhooks.signature import sign
from ao_mcp.webhooks.sqlite import SQLiteEventStore
from ao_mcp.webhooks.store import EventStore, MemoryEventStore, StoredEvent, StoreUnavailable

pytestmark = pytest.mark.anyio

URL = f"http://testserver{WEBHOOK_PATH}"
SECRET = "test-webhook-secret"
OTHER_SECRET = "rotated-webhook-secret"


def body_of(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def digest(body: bytes, secret: str = SECRET) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


class Setup:
    """A hub, a receiver and an HTTP client talking to it in process."""

    def __init__(self, store: EventStore | None = None, **kwargs: Any) -> None:
        self.store = store or MemoryEventStore()
        self.hub = EventHub(self.store)
        kwargs.setdefault("secrets", [SECRET])
        self.receiver = WebhookReceiver(self.hub, **kwargs)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=webhook_app(self.receiver)))

    async def post(self, body: bytes, signature: str | None = "sign", **headers: str) -> httpx.Response:
        if signature == "sign":
            signature = sign(body, SECRET)
        if signature is not None:
            headers["Signature"] = signature
        return await self.client.post(URL, content=body, headers=headers)


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    s = Setup()
    async with s.client:
        yield s


# --- accepted ------------------------------------------------------------------------------------


async def test_every_sample_is_accepted_once(setup: Setup, samples: dict[str, dict[str, Any]]) -> None:
    for n, payload in enumerate(samples.values(), start=1):
        response = await setup.post(body_of(payload))
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "accepted", "seq": n, "id": payload["id"]}
        assert response.headers["content-type"] == "application/json"
    assert await setup.store.count() == 13


ENCODINGS: dict[str, Callable[[bytes], str]] = {
    "hex": lambda d: d.hex(),
    "HEX": lambda d: d.hex().upper(),
    "base64": lambda d: base64.b64encode(d).decode(),
    "base64url-unpadded": lambda d: base64.urlsafe_b64encode(d).decode().rstrip("="),
    "prefixed hex": lambda d: f"sha256={d.hex()}",
    "prefixed base64 with spaces": lambda d: f"  sha256={base64.b64encode(d).decode()}  ",
}


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_samples_signed_in_every_encoding(
    setup: Setup, samples: dict[str, dict[str, Any]], encoding: str
) -> None:
    for payload in samples.values():
        body = body_of(payload)
        response = await setup.post(body, signature=ENCODINGS[encoding](digest(body)))
        assert response.status_code == 200, (encoding, response.text)


async def test_rotation_accepts_either_secret(samples: dict[str, dict[str, Any]]) -> None:
    s = Setup(secrets=[SECRET, OTHER_SECRET])
    async with s.client:
        body = body_of(samples["quiz.finished"])
        assert (await s.post(body, signature=sign(body, OTHER_SECRET))).status_code == 200
        body = body_of(samples["quiz.started"])
        assert (await s.post(body, signature=sign(body, SECRET))).status_code == 200
        assert (await s.post(body_of({"id": "z", "event": "x"}), signature=sign(b"{}", "third"))).status_code == 401


async def test_duplicates_are_acknowledged_and_stored_once(setup: Setup, samples: dict[str, dict[str, Any]]) -> None:
    body = body_of(samples["course.started"])
    first = await setup.post(body)
    second = await setup.post(body)
    assert first.json()["status"] == "accepted" and second.status_code == 200
    assert second.json() == {"status": "duplicate", "seq": first.json()["seq"], "id": samples["course.started"]["id"]}
    assert await setup.store.count() == 1


async def test_the_ack_comes_after_the_event_is_stored(samples: dict[str, dict[str, Any]]) -> None:
    seen: list[int] = []

    class Watching(MemoryEventStore):
        async def add(self, payload: dict[str, Any]) -> tuple[StoredEvent, bool]:
            await anyio.sleep(0.05)
            result = await super().add(payload)
            seen.append(result[0].seq)
            return result

    s = Setup(store=Watching())
    async with s.client:
        response = await s.post(body_of(samples["lesson.started"]))
        assert response.status_code == 200 and seen == [response.json()["seq"]]


# --- refused -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signature", "error"),
    [
        (None, "missing Signature header"),
        ("", "missing Signature header"),
        ("deadbeef", "invalid signature"),
        ("sha256=" + "0" * 64, "invalid signature"),
        ("garbage!!%%", "invalid signature"),
        ("é" * 64, "invalid signature"),
        ("x" * 5000, "invalid signature"),
    ],
)
async def test_bad_signatures_are_401_and_store_nothing(setup: Setup, signature: str | None, error: str) -> None:
    body = body_of({"id": "a", "event": "course.started"})
    headers = {"Signature": signature.encode("utf-8")} if signature is not None else {}  # raw UTF-8 bytes
    response = await setup.client.post(URL, content=body, headers=headers)
    assert response.status_code == 401 and response.json() == {"error": error}
    assert await setup.store.count() == 0


async def test_a_signature_of_another_body_is_401(setup: Setup) -> None:
    response = await setup.post(body_of({"id": "a", "event": "x"}), signature=sign(b'{"id":"b","event":"x"}', SECRET))
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"\xff\xfe{}", "body is not UTF-8"),
        (b"not json", "body is not JSON"),
        (b"", "body is not JSON"),
        (b'{"id": "a", "event": "x"', "body is not JSON"),
        (b'{"id": "a", "event": "x", "n": NaN}', "body is not JSON"),
        (b"[1, 2]", "body is not a JSON object"),
        (b'"string"', "body is not a JSON object"),
        (b"null", "body is not a JSON object"),
        (b'{"event": "course.started"}', "'id' must be"),
        (b'{"id": 12, "event": "course.started"}', "'id' must be"),
        (b'{"id": "", "event": "course.started"}', "'id' must be"),
        (b'{"id": "a"}', "'event' must be"),
        (b'{"id": "a", "event": 5}', "'event' must be"),
        (b'{"id": "a", "event": ["x"]}', "'event' must be"),
        (b'{"id": "\\ud800", "event": "x"}', "'id' must be"),
        (("[" * 100_000 + "]" * 100_000).encode(), "body is not"),
        (b'{"id": "a", "event": "x", "d": ' + b"[" * 40 + b"]" * 40 + b"}", "JSON nested deeper"),
    ],
)
async def test_signed_but_invalid_bodies_are_400(setup: Setup, body: bytes, error: str) -> None:
    response = await setup.post(body)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(error)
    assert await setup.store.count() == 0


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
async def test_other_methods_are_405(setup: Setup, method: str) -> None:
    response = await setup.client.request(method, URL)
    assert response.status_code == 405 and response.headers["allow"] == "POST"


async def test_store_unavailable_is_503(samples: dict[str, dict[str, Any]]) -> None:
    class Broken(MemoryEventStore):
        async def add(self, payload: dict[str, Any]) -> tuple[StoredEvent, bool]:
            raise StoreUnavailable("disk full")

    s = Setup(store=Broken())
    async with s.client:
        response = await s.post(body_of(samples["quiz.finished"]))
        assert response.status_code == 503 and "retry" in response.json()["error"]
        assert response.headers["retry-after"]


async def test_an_unexpected_store_error_is_503_not_500(samples: dict[str, dict[str, Any]]) -> None:
    class Buggy(MemoryEventStore):
        async def add(self, payload: dict[str, Any]) -> tuple[StoredEvent, bool]:
            raise RuntimeError("bug")

    s = Setup(store=Buggy())
    async with s.client:
        assert (await s.post(body_of(samples["quiz.finished"]))).status_code == 503


async def test_a_failing_notification_does_not_fail_the_ingest(
    setup: Setup, samples: dict[str, dict[str, Any]]
) -> None:
    class BrokenBus:
        async def publish(self, event: Any) -> None:
            raise RuntimeError("bus down")

        def subscribe(self, listener: Any) -> Any:
            return lambda: None

    setup.hub._buses.append(BrokenBus())  # type: ignore[arg-type]
    response = await setup.post(body_of(samples["quiz.finished"]))
    assert response.status_code == 200 and await setup.store.count() == 1


# --- size caps --------------------------------------------------------------------------------------


async def test_declared_content_length_over_the_cap_is_413_without_reading() -> None:
    receiver = WebhookReceiver(EventHub(MemoryEventStore()), secrets=[SECRET], max_body=1000)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body must not be read")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": WEBHOOK_PATH, "headers": [(b"content-length", b"1000000000")]}
    await receiver(scope, receive, send)
    assert sent[0]["status"] == 413


async def test_a_streamed_body_over_the_cap_is_cut_off_early() -> None:
    receiver = WebhookReceiver(EventHub(MemoryEventStore()), secrets=[SECRET], max_body=10_000)
    chunks_read = 0
    total_chunks = 1000  # 1000 x 1 KiB = ~1 MiB offered

    async def receive() -> dict[str, Any]:
        nonlocal chunks_read
        chunks_read += 1
        return {"type": "http.request", "body": b"x" * 1024, "more_body": chunks_read < total_chunks}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await receiver({"type": "http", "method": "POST", "path": WEBHOOK_PATH, "headers": []}, receive, send)
    assert sent[0]["status"] == 413
    assert chunks_read == 10  # stopped at the first chunk past 10 000 bytes


async def test_a_chunked_upload_over_the_cap_through_http_is_413_and_stops_early() -> None:
    s = Setup(max_body=64 * 1024)
    produced = 0

    async def stream() -> AsyncIterator[bytes]:
        nonlocal produced
        for _ in range(10_000):  # would be 80 MiB
            produced += 1
            yield b"y" * 8192

    async with s.client:
        response = await s.client.post(URL, content=stream(), headers={"Signature": "0" * 64})
    assert response.status_code == 413
    assert produced <= 10
    assert await s.store.count() == 0


async def test_a_body_just_at_the_cap_is_accepted() -> None:
    payload = {"id": "big", "event": "x", "pad": ""}
    base = len(body_of(payload))
    payload["pad"] = "p" * (4096 - base)
    body = body_of(payload)
    assert len(body) == 4096
    s = Setup(max_body=4096)
    async with s.client:
        assert (await s.post(body)).status_code == 200
        assert (await s.post(body + b" ")).status_code == 413


# --- configuration ----------------------------------------------------------------------------------


def test_no_secret_without_insecure_refuses_to_start() -> None:
    for secrets in ([], [""], ()):
        with pytest.raises(ValueError, match="ACADEMYOCEAN_WEBHOOK_SECRET") as info:
            WebhookReceiver(EventHub(MemoryEventStore()), secrets=secrets)
        assert "AO_MCP_WEBHOOK_INSECURE" in str(info.value)


async def test_insecure_accepts_unsigned_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ao_mcp.webhooks"):
        s = Setup(secrets=[], insecure=True)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "unsigned" in r.getMessage()]
    assert len(warnings) == 1
    async with s.client:
        assert (await s.post(body_of({"id": "a", "event": "x"}), signature=None)).status_code == 200
        assert (await s.post(b"nope", signature=None)).status_code == 400


async def test_insecure_is_ignored_when_a_secret_is_set() -> None:
    s = Setup(secrets=[SECRET], insecure=True)
    async with s.client:
        assert (await s.post(body_of({"id": "a", "event": "x"}), signature=None)).status_code == 401


async def test_deliver_runs_the_same_path(samples: dict[str, dict[str, Any]]) -> None:
    store = MemoryEventStore()
    receiver = WebhookReceiver(EventHub(store), secrets=[SECRET], max_body=5000)
    body = body_of(samples["lesson.finished"])
    assert await receiver.deliver(body, {"signature": sign(body, SECRET)}) == 200
    assert await receiver.deliver(body, {"SIGNATURE": sign(body, SECRET)}) == 200
    assert await store.count() == 1
    assert await receiver.deliver(body, {}) == 401
    assert await receiver.deliver(b"[]", {"Signature": sign(b"[]", SECRET)}) == 400
    assert await receiver.deliver(b"x" * 5001, {"Signature": sign(b"x" * 5001, SECRET)}) == 413


async def test_logs_never_contain_secret_signature_or_payload(
    setup: Setup, samples: dict[str, dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="ao_mcp"):
        body = body_of(samples["quiz.finished"])
        await setup.post(body)
        await setup.post(body)
        await setup.post(body, signature="sha256=" + sign(b"other", SECRET))
        await setup.post(b'{"id": "a", "event": 5, "learner": {"email": "secret@example.com"}}')
    text = caplog.text
    assert SECRET not in text and sign(body, SECRET) not in text and sign(b"other", SECRET) not in text
    assert "john@example.com" not in text and "secret@example.com" not in text


# --- concurrency and fuzz -------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
async def test_many_concurrent_posts_store_each_event_once(tmp_path: Path, backend: str) -> None:
    store: EventStore = MemoryEventStore() if backend == "memory" else SQLiteEventStore(tmp_path / "c.db")
    s = Setup(store=store)
    limiter = anyio.Semaphore(32)
    answers: list[dict[str, Any]] = []

    async def post(n: int) -> None:
        async with limiter:
            response = await s.post(body_of({"id": f"c{n % 150}", "event": "lesson.finished", "n": n}))
            assert response.status_code == 200
            answers.append(response.json())

    async with s.client:
        with anyio.fail_after(25):
            async with anyio.create_task_group() as group:
                for n in range(200):
                    group.start_soon(post, n)
    accepted = [a for a in answers if a["status"] == "accepted"]
    assert len(answers) == 200 and len(accepted) == 150
    assert sorted(a["seq"] for a in accepted) == list(range(1, 151))
    by_id = {a["id"]: a["seq"] for a in accepted}
    assert all(by_id[a["id"]] == a["seq"] for a in answers)  # duplicates point at the stored event
    kept = await store.after(0, limit=1000)
    assert [e.seq for e in kept] == list(range(1, 151)) and len({e.id for e in kept}) == 150
    await store.close()


async def test_fuzz_never_500_and_invalid_input_stores_nothing(setup: Setup) -> None:
    rng = random.Random(20240601)
    header_names = ["Signature", "signature", "Content-Type", "X-Junk", "Content-Encoding"]

    def random_json() -> Any:
        choice = rng.random()
        if choice < 0.3:
            return {"id": rng.choice(["x", 1, None, "", "é"]), "event": rng.choice(["quiz.finished", 2, None, []])}
        if choice < 0.5:
            return [rng.random() for _ in range(rng.randint(0, 5))]
        if choice < 0.7:
            return {str(rng.random()): rng.choice([None, {}, [], "s", 3.5]) for _ in range(rng.randint(0, 6))}
        return rng.choice([None, True, 3, "text", {"id": {"nested": 1}, "event": "x"}])

    valid = 0
    for case in range(500):
        kind = case % 4
        if kind == 0:
            body = rng.randbytes(rng.randint(0, 300))
        elif kind == 1:
            body = json.dumps(random_json()).encode()
        else:
            body = json.dumps(random_json()).encode()
        headers: dict[str, str | bytes] = {}
        for _ in range(rng.randint(0, 3)):
            value = bytes(rng.randint(32, 255) for _ in range(rng.randint(0, 80)))
            headers[rng.choice(header_names)] = value
        if kind == 3:
            headers["Signature"] = sign(body, SECRET)  # signed: only the JSON checks remain
        before = await setup.store.count()
        response = await setup.client.post(URL, content=body, headers=headers)
        assert response.status_code in (200, 400, 401), (case, response.status_code, response.text)
        response.json()
        if response.status_code == 200:
            valid += 1
            payload = json.loads(body)
            assert isinstance(payload, dict) and isinstance(payload["id"], str) and isinstance(payload["event"], str)
        else:
            assert await setup.store.count() == before
    assert valid > 0  # the generator does produce some valid events


async def test_non_http_scopes_are_handled() -> None:
    receiver = WebhookReceiver(EventHub(MemoryEventStore()), secrets=[SECRET])
    sent: list[dict[str, Any]] = []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await receiver({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    sent.clear()
    await receiver({"type": "websocket"}, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1008}]


async def test_client_disconnect_mid_body_stores_nothing() -> None:
    store = MemoryEventStore()
    receiver = WebhookReceiver(EventHub(store), secrets=[SECRET])
    messages = iter([{"type": "http.request", "body": b'{"id":', "more_body": True}, {"type": "http.disconnect"}])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await receiver({"type": "http", "method": "POST", "path": WEBHOOK_PATH, "headers": []}, receive, send)
    assert sent == [] and await store.count() == 0
