"""Where received webhook events are kept: the store interface and the in-memory store.

Every stored event gets a server-assigned sequence number (``seq``), strictly
increasing and never reused, so a reader can resume with "everything after
seq N" and tell from the oldest kept seq whether it missed events that were
evicted meanwhile. Events are deduplicated by their AcademyOcean ``id``
(the service retries deliveries) across the retention window.

Backends: :class:`MemoryEventStore` here, ``SQLiteEventStore`` in
``ao_mcp.webhooks.sqlite`` (durable), chosen by :func:`open_store`.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from ao_mcp.errors import AOError
from ao_mcp.webhooks.payload import course_ids, learner_emails, normalize_email, normalize_event_type

__all__ = [
    "EventStore",
    "MemoryEventStore",
    "StoreUnavailable",
    "StoredEvent",
    "event_identity",
    "iso_utc",
    "open_store",
]


class StoreUnavailable(AOError):
    """The store cannot take or give events right now; a webhook sender gets HTTP 503 and retries."""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One received event as kept: its seq, AcademyOcean id, canonical type, arrival time and raw payload."""

    seq: int
    id: str
    event: str
    received_at: str
    payload: dict[str, Any] = field(compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by resources and tools."""
        return {
            "seq": self.seq,
            "id": self.id,
            "event": self.event,
            "received_at": self.received_at,
            "payload": self.payload,
        }


@runtime_checkable
class EventStore(Protocol):
    """What the hub, the receiver and the tools need from a store.

    Filters: ``event_type`` is compared in canonical spelling, ``learner_email``
    case-insensitively against ``learner.email``/``learners[].email``, and
    ``course_id`` against ``course.id``/``courses[].id``/``group.id``/``course_groups[].id``.
    """

    async def add(self, payload: dict[str, Any]) -> tuple[StoredEvent, bool]:
        """Store ``payload``; ``(event, True)`` if new, ``(existing, False)`` for a known id.

        Raises ``StoreUnavailable`` when it cannot, ``ValueError`` without a string id and event.
        """
        ...

    async def get(self, event_id: str) -> StoredEvent | None:
        """The kept event with this AcademyOcean id."""
        ...

    async def recent(
        self,
        limit: int,
        *,
        event_type: str | None = None,
        learner_email: str | None = None,
        course_id: str | None = None,
    ) -> list[StoredEvent]:
        """Up to ``limit`` most recent matching events, newest first."""
        ...

    async def after(
        self,
        seq: int,
        *,
        limit: int,
        event_type: str | None = None,
        learner_email: str | None = None,
        course_id: str | None = None,
    ) -> list[StoredEvent]:
        """Up to ``limit`` matching events with a seq above ``seq``, oldest first."""
        ...

    async def oldest_seq(self) -> int | None:
        """The seq of the oldest kept event, ``None`` when nothing is kept."""
        ...

    async def newest_seq(self) -> int:
        """The last seq ever assigned (kept or evicted), 0 before the first event."""
        ...

    async def count(self) -> int:
        """How many events are kept."""
        ...

    async def close(self) -> None:
        """Release resources; later ``add`` calls raise ``StoreUnavailable``."""
        ...


# --- helpers shared by the backends ----------------------------------------------------


def iso_utc(timestamp: float) -> str:
    """ISO-8601 UTC with milliseconds and a ``Z``: the ``received_at`` format."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_identity(payload: Mapping[str, Any]) -> tuple[str, str]:
    """``(id, canonical event type)`` of a payload; ``ValueError`` if either is not a non-empty string."""
    if not isinstance(payload, Mapping):
        raise ValueError("a webhook payload is a JSON object")
    event_id, event = payload.get("id"), payload.get("event")
    if not isinstance(event_id, str) or not event_id:
        raise ValueError("a webhook payload needs a non-empty string 'id'")
    if not isinstance(event, str) or not event.strip():
        raise ValueError("a webhook payload needs a non-empty string 'event'")
    return event_id, normalize_event_type(event)


def check_limits(max_events: int, max_age: float | None) -> None:
    """Reject retention settings that would keep nothing."""
    if not isinstance(max_events, int) or max_events < 1:
        raise ValueError(f"max_events must be a positive integer, not {max_events!r}")
    if max_age is not None and not max_age > 0:
        raise ValueError(f"max_age must be a positive number of seconds or None, not {max_age!r}")


@dataclass(frozen=True, slots=True)
class _Record:
    stored: StoredEvent
    timestamp: float
    emails: frozenset[str]
    courses: frozenset[str]

    def matches(self, event_type: str | None, learner_email: str | None, course_id: str | None) -> bool:
        if event_type is not None and self.stored.event != event_type:
            return False
        if learner_email is not None and learner_email not in self.emails:
            return False
        return course_id is None or course_id in self.courses


def normalize_filters(
    event_type: str | None, learner_email: str | None, course_id: str | None
) -> tuple[str | None, str | None, str | None]:
    return (
        normalize_event_type(event_type) if event_type is not None else None,
        normalize_email(learner_email) if learner_email is not None else None,
        course_id,
    )


# --- memory -----------------------------------------------------------------------------


class MemoryEventStore:
    """A bounded ring of the latest events, lost on restart.

    Keeps at most ``max_events`` events and, with ``max_age``, none older than
    that many seconds. Seqs start at 1 on each start. All state changes happen
    under a lock without awaiting, so concurrent tasks (and threads) are safe.
    ``clock`` is injectable so age retention is testable without sleeping.
    """

    def __init__(
        self, max_events: int = 1000, max_age: float | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        check_limits(max_events, max_age)
        self.max_events = max_events
        self.max_age = max_age
        self._clock = clock
        self._events: deque[_Record] = deque()
        self._by_id: dict[str, _Record] = {}
        self._seq = 0
        self._lock = threading.Lock()
        self._closed = False

    def _expire(self, now: float) -> None:
        """Drop events beyond the count or older than ``max_age`` (caller holds the lock)."""
        events = self._events
        while len(events) > self.max_events:
            self._by_id.pop(events.popleft().stored.id, None)
        if self.max_age is not None:
            cutoff = now - self.max_age
            while events and events[0].timestamp < cutoff:
                self._by_id.pop(events.popleft().stored.id, None)

    async def add(self, payload: dict[str, Any]) -> tuple[StoredEvent, bool]:
        event_id, event = event_identity(payload)
        emails = frozenset(learner_emails(payload))
        courses = frozenset(course_ids(payload))
        with self._lock:
            if self._closed:
                raise StoreUnavailable("the event store is closed")
            now = self._clock()
            self._expire(now)
            existing = self._by_id.get(event_id)
            if existing is not None:
                return existing.stored, False
            self._seq += 1
            stored = StoredEvent(self._seq, event_id, event, iso_utc(now), payload)
            record = _Record(stored, now, emails, courses)
            self._events.append(record)
            self._by_id[event_id] = record
            if len(self._events) > self.max_events:
                self._by_id.pop(self._events.popleft().stored.id, None)
            return stored, True

    async def get(self, event_id: str) -> StoredEvent | None:
        with self._lock:
            self._expire(self._clock())
            record = self._by_id.get(event_id)
            return record.stored if record is not None else None

    async def recent(
        self,
        limit: int,
        *,
        event_type: str | None = None,
        learner_email: str | None = None,
        course_id: str | None = None,
    ) -> list[StoredEvent]:
        wanted = normalize_filters(event_type, learner_email, course_id)
        found: list[StoredEvent] = []
        if limit <= 0:
            return found
        with self._lock:
            self._expire(self._clock())
            for record in reversed(self._events):
                if record.matches(*wanted):
                    found.append(record.stored)
                    if len(found) >= limit:
                        break
        return found

    async def after(
        self,
        seq: int,
        *,
        limit: int,
        event_type: str | None = None,
        learner_email: str | None = None,
        course_id: str | None = None,
    ) -> list[StoredEvent]:
        wanted = normalize_filters(event_type, learner_email, course_id)
        found: list[StoredEvent] = []
        if limit <= 0:
            return found
        with self._lock:
            self._expire(self._clock())
            events = self._events
            if not events or events[-1].stored.seq <= seq:
                return found
            # Seqs in the ring are contiguous, so the first candidate's index is arithmetic.
            start = max(0, seq - events[0].stored.seq + 1)
            for index in range(start, len(events)):
                record = events[index]
                if record.matches(*wanted):
                    found.append(record.stored)
                    if len(found) >= limit:
                        break
        return found

    async def oldest_seq(self) -> int | None:
        with self._lock:
            self._expire(self._clock())
            return self._events[0].stored.seq if self._events else None

    async def newest_seq(self) -> int:
        return self._seq

    async def count(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._events)

    async def close(self) -> None:
        with self._lock:
            self._closed = True


# --- factory -------------------------------------------------------------------------------

_USERINFO = re.compile(r"(?<=://)[^/@]*@")


def _redact(url: str) -> str:
    """The URL without any ``user:password@`` part, safe to put in an error message."""
    return _USERINFO.sub("***@", url)


def open_store(url: str, *, max_events: int = 1000, max_age: float | None = None) -> EventStore:
    """The store named by ``url``: ``memory`` (or ``memory://``), ``sqlite:///path.db`` or ``redis://host:port/db``.

    ``sqlite:///relative/path.db`` is relative to the working directory,
    ``sqlite:////abs/path.db`` absolute. ``redis://`` (also ``rediss://``,
    ``unix://``) is the store shared by several replicas; it needs the redis
    package (``ConfigError`` without it). Raises ``ValueError`` naming the bad value otherwise.
    """
    text = url.strip() if isinstance(url, str) else ""
    lowered = text.lower()
    if lowered in ("memory", "memory://", "memory:"):
        return MemoryEventStore(max_events=max_events, max_age=max_age)
    if lowered.startswith("sqlite:///"):
        path = text[len("sqlite:///") :]
        if not path:
            raise ValueError(f"event store URL {text!r} has no database path: use sqlite:///path/to/events.db")
        from ao_mcp.webhooks.sqlite import SQLiteEventStore  # lazy: sqlite3 only when asked for

        return SQLiteEventStore(path, max_events=max_events, max_age=max_age)
    if lowered.startswith(("redis://", "rediss://", "unix://")):
        from ao_mcp.webhooks.redis_store import RedisEventStore  # lazy: the redis package only when asked for

        return RedisEventStore(text, max_events=max_events, max_age=max_age)
    raise ValueError(
        f"unknown event store URL {_redact(text) if text else url!r}: "
        "use memory, sqlite:///relative/path.db, sqlite:////absolute/path.db or redis://host:port/db"
    )
