"""A shared event store on Redis, so that several HTTP replicas serve one event log.

``AO_MCP_EVENT_STORE=redis://host:port/db`` (``pip install 'ao-mcp[redis]'``).
Every replica has its own ``RedisEventStore`` object; what they share lives in
Redis, under keys that share the hash tag of ``prefix`` (default ``ao-mcp:{events}``)::

    <prefix>:stream     Redis Stream, one entry per event; the entry id is "<seq>-0". Fields:
                        t received (ms, Redis clock), i event id, e canonical type, m learner emails
                        and c course ids (JSON lists, for the filters), o storing replica, n nonce of
                        the add call, p payload (JSON)
    <prefix>:meta       hash: seq (the last seq ever assigned), ts (the last received time)
    <prefix>:id:<id>    the seq of event <id>: the shared dedupe index, expiring with the age window

Why this shape:

- Storing is one Lua script: prune, dedupe check, next seq, ``XADD``, index, trim.
  Redis runs a script atomically and persists and replicates its effects as one
  ``MULTI``/``EXEC``, so a crash of a replica or of Redis leaves the whole event
  or nothing. There is no moment where an id is claimed but its event missing,
  as with ``SET NX`` followed by a separate ``XADD`` (which would then need a
  clean-up that a crash could skip).
- The stream id is the seq, so "after seq N" is an ``XRANGE`` from N+1, and one
  ``XTRIM MINID`` applies both retention rules: below ``newest - max_events + 1``
  by count, and below the first entry young enough by age (a binary search over
  seqs; received times never decrease along the stream because the script takes
  them from Redis's clock and never lets them go back). Trimming is exact, so
  ``XLEN`` is the kept count. Reads prune first, in the same script, so no reader
  ever sees an expired event.
- Seqs come from a counter in ``meta``, guarded by the stream's last id (if the
  counter were lost, seqs still never go back while the stream exists).
- A retried add (the connection broke after Redis had run the script) finds its
  own nonce and reports the event as new, so the replica that stored it still
  notifies its clients.
- Other replicas learn of new events by tailing the stream (:meth:`RedisEventStore.follow`).

Redis unreachable, failing or refusing (``OOM``, ``READONLY``...) raises
``StoreUnavailable``: the receiver answers 503 and the sender retries. The
client reconnects on the next use. Redis should persist (``appendonly yes``):
without persistence a Redis restart loses the events and starts seqs at 1 again.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc

from ao_mcp.redis_cache import close_client, redact_url, redis_client
from ao_mcp.webhooks import course_ids, learner_emails
from ao_mcp.webhooks.store import (
    StoredEvent,
    StoreUnavailable,
    check_limits,
    event_identity,
    iso_utc,
    normalize_filters,
)

__all__ = ["DEFAULT_PREFIX", "RedisEventStore"]

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "ao-mcp:{events}"
#: Dedupe keys expire after this long when there is no age limit (the count limit has no time to go by).
DEFAULT_DEDUPE_TTL = 7 * 24 * 3600.0
#: Entries read per round trip while a filtered read looks for matches.
PAGE = 256
#: How long one XREAD of the relay blocks; also how often it checks that Redis did not lose its data.
FOLLOW_BLOCK_MS = 5000
#: Bounds of the relay's reconnect backoff, in seconds.
FOLLOW_BACKOFF = (0.1, 5.0)
#: Events the relay takes per read.
FOLLOW_BATCH = 100

_LUA_COMMON = """
local function seq_of(id)
  return tonumber(string.match(id, '^(%d+)'))
end
local function sid(n)
  return string.format('%d-0', n)
end
local function field(entry, name)
  local f = entry[2]
  for i = 1, #f, 2 do
    if f[i] == name then return f[i + 1] end
  end
  return nil
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Drop what retention no longer keeps; return the last seq assigned and the lowest seq kept.
local function prune(stream, meta, max_events, max_age, now)
  local newest = tonumber(redis.call('HGET', meta, 'seq') or '0')
  local low = newest - max_events + 1
  if low < 1 then low = 1 end
  if max_age > 0 then
    local cutoff = now - max_age
    local first = redis.call('XRANGE', stream, sid(low), '+', 'COUNT', 1)[1]
    if first and tonumber(field(first, 't')) < cutoff then
      -- Entries up to lo are expired; the first entry at or after hi is not (or there is none).
      local top = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1]
      local lo, hi = seq_of(first[1]), seq_of(top[1]) + 1
      while hi - lo > 1 do
        local mid = math.floor((lo + hi) / 2)
        local entry = redis.call('XRANGE', stream, sid(mid), '+', 'COUNT', 1)[1]
        if entry and tonumber(field(entry, 't')) < cutoff then lo = seq_of(entry[1]) else hi = mid end
      end
      low = hi
    end
  end
  local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
  if oldest and seq_of(oldest[1]) < low then
    redis.call('XTRIM', stream, 'MINID', sid(low))
  end
  return newest, low
end
"""

# KEYS: stream, meta, id key. ARGV: max_events, max_age ms (0: none), dedupe ttl ms,
# id, event, emails, courses, origin, nonce, payload.
# Returns {1, seq, ts} when stored, {0, entry} for a known id, {2, entry} when this very call stored it.
_ADD = (
    _LUA_COMMON
    + """
local stream, meta, idkey = KEYS[1], KEYS[2], KEYS[3]
local max_events = tonumber(ARGV[1])
local now = now_ms()
local newest, low = prune(stream, meta, max_events, tonumber(ARGV[2]), now)
local known = redis.call('GET', idkey)
if known then
  local entry = redis.call('XRANGE', stream, known .. '-0', known .. '-0')[1]
  if entry and field(entry, 'i') == ARGV[4] then
    if field(entry, 'n') == ARGV[9] then return {2, entry} end
    return {0, entry}
  end
end
local seq = newest + 1
local top = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1]
if top and seq_of(top[1]) >= seq then seq = seq_of(top[1]) + 1 end
local ts = now
local last = tonumber(redis.call('HGET', meta, 'ts') or '0')
if last > ts then ts = last end
local seqs, tss = string.format('%d', seq), string.format('%d', ts)
redis.call('XADD', stream, seqs .. '-0', 't', tss, 'i', ARGV[4], 'e', ARGV[5], 'm', ARGV[6], 'c', ARGV[7],
  'o', ARGV[8], 'n', ARGV[9], 'p', ARGV[10])
redis.call('HSET', meta, 'seq', seqs, 'ts', tss)
redis.call('SET', idkey, seqs, 'PX', ARGV[3])
if seq - max_events + 1 > low then
  redis.call('XTRIM', stream, 'MINID', sid(seq - max_events + 1))
end
return {1, seq, ts}
"""
)

# KEYS: stream, meta. ARGV: max_events, max_age ms, direction ('fwd'|'rev'), start id, count.
# Returns {newest seq, kept, oldest seq (0: none), entries}.
_READ = (
    _LUA_COMMON
    + """
local stream, meta = KEYS[1], KEYS[2]
local newest = prune(stream, meta, tonumber(ARGV[1]), tonumber(ARGV[2]), now_ms())
local kept = redis.call('XLEN', stream)
local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
local oldest = 0
if first then oldest = seq_of(first[1]) end
local entries = {}
local count = tonumber(ARGV[5])
if count > 0 then
  if ARGV[3] == 'rev' then
    entries = redis.call('XREVRANGE', stream, ARGV[4], '-', 'COUNT', count)
  else
    entries = redis.call('XRANGE', stream, ARGV[4], '+', 'COUNT', count)
  end
end
return {newest, kept, oldest, entries}
"""
)

# KEYS: stream, meta, id key. ARGV: max_events, max_age ms. Returns the entry or nil.
_GET = (
    _LUA_COMMON
    + """
prune(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), now_ms())
local known = redis.call('GET', KEYS[3])
if not known then return false end
local entry = redis.call('XRANGE', KEYS[1], known .. '-0', known .. '-0')[1]
if not entry then return false end
return entry
"""
)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _xread_entries(reply: Any) -> list[Any]:
    """The entries of an XREAD reply of one stream, in either RESP shape (list of pairs, or a dict)."""
    streams = reply.values() if isinstance(reply, dict) else [entries for _, entries in reply]
    found: list[Any] = []
    for entries in streams:
        if entries and isinstance(entries[0], list) and entries[0] and not isinstance(entries[0][0], (bytes, str)):
            entries = entries[0]  # RESP3 nests them one level deeper
        found.extend(entries)
    return found


class _Entry:
    """One stream entry as Redis returns it: ``[id, [field, value, ...]]``."""

    __slots__ = ("fields", "seq")

    def __init__(self, raw: Sequence[Any]) -> None:
        self.seq = int(_text(raw[0]).split("-", 1)[0])
        values = raw[1]
        self.fields: dict[str, bytes] = {_text(values[i]): values[i + 1] for i in range(0, len(values) - 1, 2)}

    def text(self, name: str) -> str:
        return _text(self.fields.get(name, b""))

    def matches(self, event_type: str | None, learner_email: str | None, course_id: str | None) -> bool:
        if event_type is not None and self.text("e") != event_type:
            return False
        if learner_email is not None and learner_email not in json.loads(self.fields.get("m") or b"[]"):
            return False
        return course_id is None or course_id in json.loads(self.fields.get("c") or b"[]")

    def stored(self) -> StoredEvent:
        return StoredEvent(
            self.seq,
            self.text("i"),
            self.text("e"),
            iso_utc(int(self.fields.get("t") or 0) / 1000),
            json.loads(self.fields.get("p") or b"{}"),
        )


class RedisEventStore:
    """Events in Redis, shared by every replica configured with the same URL (and ``prefix``).

    Seqs are strictly increasing across all replicas and never reused while
    Redis keeps its data; an event id is stored once whichever replicas receive
    it, within the kept window. ``max_events``/``max_age`` should be the same on
    every replica (each prunes by its own settings). ``prefix`` separates stores
    sharing one database (tests); a separate database number does the same.
    """

    def __init__(
        self,
        url: str,
        max_events: int = 1000,
        max_age: float | None = None,
        *,
        prefix: str = DEFAULT_PREFIX,
        connect_timeout: float = 2.0,
        timeout: float = 5.0,
    ) -> None:
        check_limits(max_events, max_age)
        self.max_events = max_events
        self.max_age = max_age
        self.url = redact_url(url.strip())
        self._url = url.strip()
        self._connect_timeout = connect_timeout
        self._redis = redis_client(url, "AO_MCP_EVENT_STORE", connect_timeout=connect_timeout, timeout=timeout)
        from redis.exceptions import RedisError

        self._errors: tuple[type[BaseException], ...] = (RedisError, OSError)
        self._stream = f"{prefix}:stream"
        self._meta = f"{prefix}:meta"
        self._id_prefix = f"{prefix}:id:"
        self._max_age_ms = int(max_age * 1000) if max_age is not None else 0
        self._dedupe_ttl_ms = max(1, int((max_age if max_age is not None else DEFAULT_DEDUPE_TTL) * 1000))
        self.origin = secrets.token_hex(8)
        self._nonces = itertools.count(1)
        self._add = self._redis.register_script(_ADD)
        self._read = self._redis.register_script(_READ)
        self._get = self._redis.register_script(_GET)
        self._closed = False

    def __repr__(self) -> str:
        return f"RedisEventStore({self.url!r}, max_events={self.max_events}, max_age={self.max_age})"

    async def _call(self, operation: Awaitable[Any]) -> Any:
        """Await a Redis operation; any Redis or socket failure becomes ``StoreUnavailable``."""
        if self._closed:
            if hasattr(operation, "close"):
                operation.close()  # type: ignore[union-attr]
            raise StoreUnavailable("the event store is closed")
        try:
            return await operation
        except self._errors as error:
            logger.error("Redis event store %s failed: %s: %s", self.url, type(error).__name__, error)
            raise StoreUnavailable(f"the Redis event store failed: {type(error).__name__}") from error

    def _limits(self) -> list[int]:
        return [self.max_events, self._max_age_ms]

    # --- the EventStore interface ---------------------------------------------------------------

    async def add(self, payload: dict[str, Any]) -> tuple[StoredEvent, bool]:
        event_id, event = event_identity(payload)
        if not _utf8(event_id) or not _utf8(event):
            raise ValueError("the event id and type must be valid Unicode text")
        emails = json.dumps(sorted(email for email in learner_emails(payload) if _utf8(email)))
        courses = json.dumps(sorted(course for course in course_ids(payload) if _utf8(course)))
        body = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
        nonce = f"{self.origin}:{next(self._nonces)}"
        reply = await self._call(
            self._add(
                keys=[self._stream, self._meta, self._id_prefix + event_id],
                args=[*self._limits(), self._dedupe_ttl_ms, event_id, event, emails, courses, self.origin, nonce, body],
            )
        )
        status = int(reply[0])
        if status == 1:
            return StoredEvent(int(reply[1]), event_id, event, iso_utc(int(reply[2]) / 1000), payload), True
        return _Entry(reply[1]).stored(), status == 2

    async def get(self, event_id: str) -> StoredEvent | None:
        if not _utf8(event_id):
            return None
        raw = await self._call(
            self._get(keys=[self._stream, self._meta, self._id_prefix + event_id], args=self._limits())
        )
        if not raw:
            return None
        entry = _Entry(raw)
        return entry.stored() if entry.text("i") == event_id else None

    async def _page(self, direction: str, start: str, count: int) -> tuple[int, int, int, list[_Entry]]:
        newest, kept, oldest, raw = await self._call(
            self._read(keys=[self._stream, self._meta], args=[*self._limits(), direction, start, count])
        )
        return int(newest), int(kept), int(oldest), [_Entry(item) for item in raw]

    async def _scan(
        self, direction: str, start: int | None, limit: int, wanted: tuple[str | None, str | None, str | None]
    ) -> list[StoredEvent]:
        """Up to ``limit`` matching events from ``start`` on (``None``: the newest), page by page."""
        found: list[StoredEvent] = []
        if limit <= 0 or not all(_utf8(value) for value in wanted if value is not None):
            return found
        filtered = any(value is not None for value in wanted)
        count = max(limit, PAGE) if filtered else limit
        cursor = start
        while True:
            if direction == "rev":
                if cursor is not None and cursor < 1:
                    return found
                position = "+" if cursor is None else f"{cursor}-0"
            else:
                position = f"{cursor}-0"
            _, _, _, entries = await self._page(direction, position, count)
            for entry in entries:
                if entry.matches(*wanted):
                    found.append(entry.stored())
                    if len(found) >= limit:
                        return found
            if len(entries) < count:
                return found
            cursor = entries[-1].seq - 1 if direction == "rev" else entries[-1].seq + 1

    async def recent(
        self,
        limit: int,
        *,
        event_type: str | None = None,
        learner_email: str | None = None,
        course_id: str | None = None,
    ) -> list[StoredEvent]:
        return await self._scan("rev", None, limit, normalize_filters(event_type, learner_email, course_id))

    async def after(
        self,
        seq: int,
        *,
        limit: int,
        event_type: str | None = None,
        learner_email: str | None = None,
        course_id: str | None = None,
    ) -> list[StoredEvent]:
        return await self._scan(
            "fwd", max(0, seq) + 1, limit, normalize_filters(event_type, learner_email, course_id)
        )

    async def oldest_seq(self) -> int | None:
        _, kept, oldest, _ = await self._page("fwd", "-", 0)
        return oldest if kept else None

    async def newest_seq(self) -> int:
        value = await self._call(self._redis.hget(self._meta, "seq"))
        return int(value) if value is not None else 0

    async def count(self) -> int:
        _, kept, _, _ = await self._page("fwd", "-", 0)
        return kept

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await close_client(self._redis)

    # --- the cross-replica relay ------------------------------------------------------------------

    async def follow(
        self,
        notify: Callable[[StoredEvent], Awaitable[None]],
        *,
        task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        """Call ``notify`` for every event other replicas store, in seq order, until cancelled.

        Tails the stream with a blocking ``XREAD`` on a connection of its own,
        from the last seq it has seen, so an outage of Redis or of this
        listener loses nothing that is still kept: after reconnecting (with a
        backoff between ``FOLLOW_BACKOFF`` bounds) it reads on from where it
        was. Events this store added itself are skipped: ``EventHub.ingest``
        announced them already. Reports started once it knows where to start
        (or failed its first try: Redis being down must not hold up a start).
        """
        client = redis_client(
            self._url,
            "AO_MCP_EVENT_STORE",
            connect_timeout=self._connect_timeout,
            timeout=FOLLOW_BLOCK_MS / 1000 + 5,
        )
        cursor: int | None = None
        delay, failing, started = FOLLOW_BACKOFF[0], False, False
        try:
            while True:
                try:
                    newest = await self._newest_on(client)
                    if cursor is None or newest < cursor:
                        # First start: begin now. Counter behind us: Redis lost its data; read it all.
                        cursor = newest if cursor is None else 0
                    if not started:
                        started = True
                        task_status.started()
                    while True:
                        reply = await client.xread(
                            {self._stream: f"{cursor}-0"}, count=FOLLOW_BATCH, block=FOLLOW_BLOCK_MS
                        )
                        if failing:
                            logger.info("Redis event relay reconnected; following from seq %d", cursor)
                            failing, delay = False, FOLLOW_BACKOFF[0]
                        if not reply:
                            if await self._newest_on(client) < cursor:
                                break  # Redis restarted empty: start over from its first event
                            continue
                        for raw in _xread_entries(reply):
                            cursor = await self._relay_one(raw, notify, cursor)
                except Exception as error:  # never let the relay take the server down: log, back off, go on
                    if not started:
                        started = True
                        task_status.started()
                    if not isinstance(error, self._errors):
                        logger.exception("Redis event relay failed unexpectedly; restarting it")
                    elif not failing:
                        logger.warning(
                            "Redis event relay lost %s (%s); other replicas' events are not announced here "
                            "until it is back",
                            self.url,
                            type(error).__name__,
                        )
                    failing = True
                    await anyio.sleep(delay)
                    delay = min(delay * 2, FOLLOW_BACKOFF[1])
        finally:
            with anyio.CancelScope(shield=True):
                await close_client(client)

    async def _newest_on(self, client: Any) -> int:
        value = await client.hget(self._meta, "seq")
        return int(value) if value is not None else 0

    async def _relay_one(
        self, raw: Sequence[Any], notify: Callable[[StoredEvent], Awaitable[None]], cursor: int
    ) -> int:
        try:
            entry_id, values = raw
            if isinstance(values, dict):  # redis-py parses the fields into a dict; back to the raw shape
                values = [item for pair in values.items() for item in pair]
            entry = _Entry([entry_id, values])
            stored = entry.stored() if entry.text("o") != self.origin else None
        except (ValueError, TypeError, IndexError):  # not written by this code: step over it
            logger.warning("Skipping an unreadable entry %r in the Redis event stream", raw[0] if raw else raw)
            try:
                return max(cursor, int(_text(raw[0]).split("-", 1)[0]))
            except (ValueError, TypeError, IndexError):
                return cursor
        if stored is not None:
            await notify(stored)
        return max(cursor, entry.seq)

    @asynccontextmanager
    async def relay(self, notify: Callable[[StoredEvent], Awaitable[None]]) -> AsyncIterator[None]:
        """Run :meth:`follow` in the background for the duration of the block (the server's lifespan)."""
        async with anyio.create_task_group() as group:
            await group.start(self.follow, notify)
            try:
                yield
            finally:
                group.cancel_scope.cancel()
