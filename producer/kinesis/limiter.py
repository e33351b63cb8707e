"""Per-shard rate limiting at Kinesis' documented write limits, earliest deadline first.

A shard takes 1,000 records and 1 MiB per second. Sending faster only earns
``ProvisionedThroughputExceededException`` and a retry, so, like the KPL, the producer holds
back what it can predict would be throttled.

Each shard keeps a log of what it sent in the last second, and sends a record only if the
log plus the record stays within the limits: no sliding 1 s window ever holds more, from the
first second on. (Token buckets that start full, or refill while full, let twice the limit
through in the first second, or after an idle spell.) What cannot go yet waits in a queue
ordered by deadline (RecordTtl), as the KPL orders it: a retried record keeps its place
ahead of newer ones instead of going to the back.

Released records leave in groups at most every :data:`RELEASE_INTERVAL`, so that a saturated
shard fills ``PutRecords`` calls with hundreds of entries instead of a call per record.

Several producers (the tasks of a service) may share a shard, each within the limits on its
own, together beyond them. When Kinesis throttles a shard anyway, the shard's share of the
limits shrinks (by :data:`DECREASE`, at most once per :data:`DECREASE_SPACING`) and grows back
by :data:`INCREASE` a second while it is not throttled, so that producers sharing a shard
settle near their shares of it instead of throttling one another every second.

The limiter is synchronous and takes the time as an argument: the caller (the producer's event
loop) decides when to call :meth:`ShardLimiter.release` again, from the delay it returns.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque

from .records import KinesisRecord

#: Kinesis' per-shard write limits.
SHARD_RECORDS_PER_SECOND = 1_000
SHARD_BYTES_PER_SECOND = 1024 * 1024
#: The span of the limits, seconds.
WINDOW = 1.0
#: Seconds at least between releases of queued records.
RELEASE_INTERVAL = 0.25
#: A throttled shard's share of its limits is multiplied by this...
DECREASE = 0.85
#: ...at most once within this many seconds (one call's many throttled entries count once)...
DECREASE_SPACING = 0.2
#: ...down to this share; it grows back by INCREASE a second.
MIN_SHARE = 0.3
INCREASE = 0.1


class SentLog:
    """What one shard sent during the last :data:`WINDOW` seconds: (time, bytes) each.

    A record larger than the byte allowance by itself (possible when the rate limit is set
    below 100%) goes once the log is empty, so that it still goes out at the pace the limit
    allows.
    """

    __slots__ = ("_bytes", "_sent", "max_bytes", "max_records")

    def __init__(self, max_records: float, max_bytes: float) -> None:
        if max_records <= 0 or max_bytes <= 0:
            raise ValueError("limits must be positive")
        self.max_records = max_records
        self.max_bytes = max_bytes
        self._sent: deque[tuple[float, int]] = deque()
        self._bytes = 0

    def scale(self, max_records: float, max_bytes: float) -> None:
        self.max_records = max(1.0, max_records)
        self.max_bytes = max_bytes

    def _expire(self, now: float) -> None:
        sent = self._sent
        horizon = now - WINDOW
        while sent and sent[0][0] <= horizon:
            self._bytes -= sent.popleft()[1]

    def totals(self, now: float) -> tuple[int, int]:
        """(records, bytes) sent within the window ending now."""
        self._expire(now)
        return len(self._sent), self._bytes

    def wait_time(self, size: int, now: float) -> float:
        """Seconds until a record of ``size`` bytes may go (0 when it may go now)."""
        self._expire(now)
        sent = self._sent
        excess_records = len(sent) + 1 - self.max_records
        excess_bytes = self._bytes + min(size, self.max_bytes) - self.max_bytes
        if excess_records <= 0 and excess_bytes <= 0:
            return 0.0
        # Wait until enough of the oldest sends leave the window.
        freed_bytes = 0
        for freed_records, (time, sent_bytes) in enumerate(sent, start=1):
            freed_bytes += sent_bytes
            if freed_records >= excess_records and freed_bytes >= excess_bytes:
                return max(0.0, time + WINDOW - now)
        return max(0.0, sent[-1][0] + WINDOW - now) if sent else 0.0

    def take(self, size: int, now: float) -> None:
        self._sent.append((now, size))
        self._bytes += size


class _ShardState:
    __slots__ = ("changed", "log", "queue", "share", "throttled")

    def __init__(self, log: SentLog) -> None:
        self.log = log
        #: (deadline, arrival order, record): earliest deadline first.
        self.queue: list[tuple[float, int, KinesisRecord]] = []
        #: The share of the limits this producer takes, and when it last changed.
        self.share = 1.0
        self.changed = 0.0
        self.throttled = float("-inf")


class ShardLimiter:
    """Gates Kinesis records per shard; records with no predicted shard pass freely."""

    def __init__(
        self,
        rate_limit_percent: float = 100.0,
        records_per_second: float = SHARD_RECORDS_PER_SECOND,
        bytes_per_second: float = SHARD_BYTES_PER_SECOND,
        release_interval: float = RELEASE_INTERVAL,
    ) -> None:
        if rate_limit_percent <= 0:
            raise ValueError("rate_limit_percent must be positive")
        scale = rate_limit_percent / 100.0
        self._max_records = max(1.0, records_per_second * scale)
        self._max_bytes = bytes_per_second * scale
        self._release_interval = release_interval
        self._shards: dict[str, _ShardState] = {}
        #: Shards whose queue is not empty.
        self._waiting: set[str] = set()
        self._order = itertools.count()

    @property
    def queued(self) -> int:
        """Kinesis records held back, over all shards."""
        return sum(len(self._shards[shard_id].queue) for shard_id in self._waiting)

    def _state(self, shard_id: str) -> _ShardState:
        state = self._shards.get(shard_id)
        if state is None:
            state = _ShardState(SentLog(self._max_records, self._max_bytes))
            self._shards[shard_id] = state
        return state

    def throttled(self, shard_id: str, now: float) -> None:
        """Kinesis throttled the shard: take a smaller share of its limits."""
        state = self._state(shard_id)
        if now - state.throttled < DECREASE_SPACING:
            return
        self._grow(state, now)
        state.throttled = now
        self._set_share(state, max(MIN_SHARE, state.share * DECREASE), now)

    def share(self, shard_id: str) -> float:
        state = self._shards.get(shard_id)
        return state.share if state is not None else 1.0

    def mean_share(self, now: float) -> float:
        """The share of their limits the shards take on average (1.0: all of them)."""
        if not self._shards:
            return 1.0
        for state in self._shards.values():
            if state.share < 1.0:
                self._grow(state, now)
        return sum(state.share for state in self._shards.values()) / len(self._shards)

    def _grow(self, state: _ShardState, now: float) -> None:
        if state.share < 1.0 and now > state.changed:
            self._set_share(state, min(1.0, state.share + INCREASE * (now - state.changed)), now)

    def _set_share(self, state: _ShardState, share: float, now: float) -> None:
        state.share = share
        state.changed = now
        state.log.scale(self._max_records * share, self._max_bytes * share)

    def submit(self, record: KinesisRecord, now: float) -> bool:
        """Take the record's allowance and return True if it may be sent now; else queue it."""
        if record.shard_id is None:
            return True
        state = self._state(record.shard_id)
        if state.share < 1.0:
            self._grow(state, now)
        if not state.queue and state.log.wait_time(record.size, now) == 0.0:
            state.log.take(record.size, now)
            return True
        heapq.heappush(state.queue, (record.deadline, next(self._order), record))
        self._waiting.add(record.shard_id)
        return False

    def release(self, now: float) -> tuple[list[KinesisRecord], float | None]:
        """Dequeue what may be sent now, earliest deadline first; also return the delay until
        more may (or ``None``), never shorter than the release interval."""
        ready: list[KinesisRecord] = []
        next_delay: float | None = None
        for shard_id in list(self._waiting):
            state = self._shards[shard_id]
            queue = state.queue
            log = state.log
            if state.share < 1.0:
                self._grow(state, now)
            while queue:
                record = queue[0][2]
                wait = log.wait_time(record.size, now)
                if wait > 0.0:
                    next_delay = wait if next_delay is None else min(next_delay, wait)
                    break
                heapq.heappop(queue)
                log.take(record.size, now)
                ready.append(record)
            if not queue:
                self._waiting.discard(shard_id)
        if next_delay is not None:
            next_delay = max(next_delay, self._release_interval)
        return ready, next_delay

    def sent(self, shard_id: str, now: float) -> tuple[int, int]:
        """(records, bytes) the shard sent within the last second."""
        state = self._shards.get(shard_id)
        return state.log.totals(now) if state is not None else (0, 0)

    def forget(self, open_shards: set[str]) -> None:
        """Drop the state of shards that are no longer open (after resharding)."""
        for shard_id in list(self._shards):
            if shard_id not in open_shards and shard_id not in self._waiting:
                del self._shards[shard_id]
