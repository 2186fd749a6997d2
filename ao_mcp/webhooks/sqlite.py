"""A durable event store on SQLite (stdlib ``sqlite3``, no extra dependency).

Why SQLite: a webhook acknowledged with 200 will not be sent again, so an
event must survive a crash of this process once ``add`` has returned. Each
``add`` commits before returning (WAL journal; ``synchronous=FULL`` by default
also survives power loss, ``NORMAL`` survives a killed process). Seqs come
from an ``AUTOINCREMENT`` key, so they keep increasing across restarts and are
never reused after retention deleted rows. A unique index on the event id
deduplicates across the retention window and across restarts.

One connection, used by one worker thread at a time under a lock; blocking
calls run in anyio's thread pool so the event loop never waits on disk.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread

from ao_mcp.webhooks.payload import course_ids, learner_emails
from ao_mcp.webhooks.store import (
    StoredEvent,
    StoreUnavailable,
    check_limits,
    event_identity,
    iso_utc,
    normalize_filters,
)

__all__ = ["SQLiteEventStore"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    event TEXT NOT NULL,
    received_at TEXT NOT NULL,
    received_ts REAL NOT NULL,
    payload TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events(id);
CREATE INDEX IF NOT EXISTS events_event_seq ON events(event, seq);
CREATE INDEX IF NOT EXISTS events_received_ts ON events(received_ts);
CREATE TABLE IF NOT EXISTS event_keys (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (kind, value, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS event_keys_seq ON event_keys(seq);
"""
_COLUMNS = "seq, id, event, received_at, payload"
_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


def _utf8(text: str) -> bool:
    """Whether SQLite can bind ``text`` (JSON allows lone surrogates, UTF-8 does not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class SQLiteEventStore:
    """Events in one SQLite file; see the module docstring for the guarantees."""

    def __init__(
        self,
        path: str | Path,
        max_events: int = 1000,
        max_age: float | None = None,
        *,
        synchronous: str = "FULL",
        clock: Callable[[], float] = time.time,
    ) -> None:
        check_limits(max_events, max_age)
        if synchronous.upper() not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(_SYNCHRONOUS)}, not {synchronous!r}")
        self.path = str(path)
        self.max_events = max_events
        self.max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._closed = False
        try:
            if self.path != ":memory:" and not self.path.startswith("file:"):
                Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
            self._conn.executescript(_SCHEMA)
            self._conn.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
            self._oldest: tuple[int, float] | None = None
            self._refresh_oldest()
        except (sqlite3.Error, OSError) as error:
            raise StoreUnavailable(f"cannot open the event database {self.path}: {error}") from error

    # --- helpers, all called with the lock held ---------------------------------------------

    def _refresh_oldest(self) -> None:
        row = self._conn.execute("SELECT seq, received_ts FROM events ORDER BY seq LIMIT 1").fetchone()
        self._oldest = (int(row[0]), float(row[1])) if row else None

    def _newest(self) -> int:
        row = self._conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
        return int(row[0]) if row else 0

    def _prune(self, now: float, newest: int) -> None:
        """Delete events beyond the count or older than ``max_age``: always a prefix by seq."""
        if self._oldest is None:
            return
        cutoff = newest - self.max_events
        if self.max_age is not None and self._oldest[1] < now - self.max_age:
            row = self._conn.execute(
                "SELECT MAX(seq) FROM events WHERE received_ts < ?", (now - self.max_age,)
            ).fetchone()
            if row and row[0] is not None:
                cutoff = max(cutoff, int(row[0]))
        if cutoff >= self._oldest[0]:
            self._conn.execute("DELETE FROM events WHERE seq <= ?", (cutoff,))
            self._conn.execute("DELETE FROM event_keys WHERE seq <= ?", (cutoff,))
            self._refresh_oldest()

    def _expired(self, now: float) -> bool:
        return self.max_age is not None and self._oldest is not None and self._oldest[1] < now - self.max_age

    def _prune_for_read(self) -> None:
        """Reads never see expired events: prune first when the oldest kept one is too old."""
        now = self._clock()
        if self._expired(now):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._prune(now, self._newest())
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    @staticmethod
    def _row(row: tuple[Any, ...]) -> StoredEvent:
        return StoredEvent(int(row[0]), row[1], row[2], row[3], json.loads(row[4]))

    def _locked(self, fn: Callable[[], _T]) -> _T:
        with self._lock:
            if self._closed:
                raise StoreUnavailable("the event store is closed")
            try:
                return fn()
            except sqlite3.Error as error:
                if self._conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._conn.execute("ROLLBACK")
                logger.error("event database error: %s", error)
                raise StoreUnavailable(f"the event database failed: {error}") from error

    async def _run(self, fn: Callable[[], _T]) -> _T:
        return await anyio.to_thread.run_sync(self._locked, fn)

    # --- the EventStore interface ---------------------------------------------------------------

    async def add(self, payload: dict[str, Any]) -> tuple[StoredEvent, bool]:
        event_id, event = event_identity(payload)
        if not _utf8(event_id) or not _utf8(event):
            raise ValueError("the event id and type must be valid Unicode text")
        keys = [("email", email) for email in learner_emails(payload) if _utf8(email)]
        keys += [("course", course) for course in course_ids(payload) if _utf8(course)]
        # ensure_ascii: lone surrogates in the payload become escapes that SQLite can store.
        body = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))

        def add() -> tuple[StoredEvent, bool]:
            conn = self._conn
            now = self._clock()
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._prune(now, self._newest())
                row = conn.execute(f"SELECT {_COLUMNS} FROM events WHERE id = ?", (event_id,)).fetchone()
                if row is not None:
                    conn.execute("COMMIT")
                    return self._row(row), False
                received_at = iso_utc(now)
                cursor = conn.execute(
                    "INSERT INTO events (id, event, received_at, received_ts, payload) VALUES (?, ?, ?, ?, ?)",
                    (event_id, event, received_at, now, body),
                )
                seq = int(cursor.lastrowid or 0)
                if keys:
                    conn.executemany(
                        "INSERT OR IGNORE INTO event_keys (kind, value, seq) VALUES (?, ?, ?)",
                        [(kind, value, seq) for kind, value in keys],
                    )
                if self._oldest is None:
                    self._oldest = (seq, now)
                self._prune(now, seq)
                conn.execute("COMMIT")  # durable before we return: the sender gets its 200 after this
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                self._refresh_oldest()
                raise
            return StoredEvent(seq, event_id, event, received_at, payload), True

        return await self._run(add)

    async def get(self, event_id: str) -> StoredEvent | None:
        if not _utf8(event_id):
            return None

        def get() -> StoredEvent | None:
            self._prune_for_read()
            row = self._conn.execute(f"SELECT {_COLUMNS} FROM events WHERE id = ?", (event_id,)).fetchone()
            return self._row(row) if row else None

        return await self._run(get)

    def _select(
        self,
        order: str,
        limit: int,
        after: int | None,
        event_type: str | None,
        learner_email: str | None,
        course_id: str | None,
    ) -> list[StoredEvent]:
        clauses: list[str] = []
        params: list[Any] = []
        if after is not None:
            clauses.append("seq > ?")
            params.append(after)
        if event_type is not None:
            clauses.append("event = ?")
            params.append(event_type)
        for kind, value in (("email", learner_email), ("course", course_id)):
            if value is not None:
                clauses.append("seq IN (SELECT seq FROM event_keys WHERE kind = ? AND value = ?)")
                params += [kind, value]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        params.append(limit)
        self._prune_for_read()
        rows: Iterable[tuple[Any, ...]] = self._conn.execute(
            f"SELECT {_COLUMNS} FROM events {where} ORDER BY seq {order} LIMIT ?", params
        ).fetchall()
        return [self._row(row) for row in rows]

    async def recent(
        self,
        limit: int,
        *,
        event_type: str | None = None,
        learner_email: str | None = None,
        course_id: str | None = None,
    ) -> list[StoredEvent]:
        wanted = normalize_filters(event_type, learner_email, course_id)
        if limit <= 0 or not all(_utf8(value) for value in wanted if value is not None):
            return []
        return await self._run(lambda: self._select("DESC", limit, None, *wanted))

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
        if limit <= 0 or not all(_utf8(value) for value in wanted if value is not None):
            return []
        return await self._run(lambda: self._select("ASC", limit, seq, *wanted))

    async def oldest_seq(self) -> int | None:
        def oldest() -> int | None:
            self._prune_for_read()
            row = self._conn.execute("SELECT MIN(seq) FROM events").fetchone()
            return int(row[0]) if row and row[0] is not None else None

        return await self._run(oldest)

    async def newest_seq(self) -> int:
        return await self._run(self._newest)

    async def count(self) -> int:
        def count() -> int:
            self._prune_for_read()
            return int(self._conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])

        return await self._run(count)

    async def close(self) -> None:
        def close() -> None:
            with self._lock:
                if not self._closed:
                    self._closed = True
                    self._conn.close()

        await anyio.to_thread.run_sync(close)
