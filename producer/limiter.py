"""Per-shard rate limiting at Kinesis' documented write limits.

A shard takes 1,000 records and 1 MiB per second. Sending faster only earns
``ProvisionedThroughputExceededException`` and a retry, so, like the KPL, the producer holds
back what it can predict would be throttled. Each shard has two token buckets (records and
bytes), refilled continuously and holding at most one second's worth, and a FIFO queue so that
records of one shard leave in the order they were made.

The limiter is synchronous and takes the time as an argument: the caller (the producer's event
loop) decides when to call :meth:`ShardLimiter.release` again, from the delay it returns.
"""

from __future__ import annotations

from collections import deque

from .records import KinesisRecord

#: Kinesis' per-shard write limits.
SHARD_RECORDS_PER_SECOND = 1_000
SHARD_BYTES_PER_SECOND = 1024 * 1024


class TokenBucket:
    """A bucket of ``rate`` tokens per second holding at most ``capacity``.

    A take larger than the capacity is allowed once the bucket is full and leaves it in debt,
    so that a record bigger than one second's allowance (possible when the rate limit is set
    below 100%) still goes out, at the pace the rate allows.
    """

    __slots__ = ("_last", "_tokens", "capacity", "rate")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        if rate <= 0 or capacity <= 0:
            raise ValueError("rate and capacity must be positive")
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._last = now

    def _refill(self, now: float) -> None:
        if now > self._last:
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now

    def tokens(self, now: float) -> float:
        self._refill(now)
        return self._tokens

    def wait_time(self, amount: float, now: float) -> float:
        """Seconds until ``amount`` can be taken (0 when it can be taken now)."""
        self._refill(now)
        missing = min(amount, self.capacity) - self._tokens
        return max(0.0, missing / self.rate)

    def take(self, amount: float, now: float) -> None:
        self._refill(now)
        self._tokens -= amount


class _ShardState:
    __slots__ = ("bytes", "queue", "records")

    def __init__(self, records: TokenBucket, bytes_: TokenBucket) -> None:
        self.records = records
        self.bytes = bytes_
        self.queue: deque[KinesisRecord] = deque()

    def wait_time(self, record: KinesisRecord, now: float) -> float:
        return max(self.records.wait_time(1, now), self.bytes.wait_time(record.size, now))

    def take(self, record: KinesisRecord, now: float) -> None:
        self.records.take(1, now)
        self.bytes.take(record.size, now)


class ShardLimiter:
    """Gates Kinesis records per shard; records with no predicted shard pass freely."""

    def __init__(
        self,
        rate_limit_percent: float = 100.0,
        records_per_second: float = SHARD_RECORDS_PER_SECOND,
        bytes_per_second: float = SHARD_BYTES_PER_SECOND,
    ) -> None:
        if rate_limit_percent <= 0:
            raise ValueError("rate_limit_percent must be positive")
        scale = rate_limit_percent / 100.0
        self._records_rate = records_per_second * scale
        self._bytes_rate = bytes_per_second * scale
        self._shards: dict[str, _ShardState] = {}
        #: Shards whose queue is not empty.
        self._waiting: set[str] = set()

    @property
    def queued(self) -> int:
        """Kinesis records held back, over all shards."""
        return sum(len(self._shards[shard_id].queue) for shard_id in self._waiting)

    def _state(self, shard_id: str, now: float) -> _ShardState:
        state = self._shards.get(shard_id)
        if state is None:
            state = _ShardState(
                TokenBucket(self._records_rate, self._records_rate, now),
                TokenBucket(self._bytes_rate, self._bytes_rate, now),
            )
            self._shards[shard_id] = state
        return state

    def submit(self, record: KinesisRecord, now: float) -> bool:
        """Take the record's allowance and return True if it may be sent now; else queue it."""
        if record.shard_id is None:
            return True
        state = self._state(record.shard_id, now)
        if not state.queue and state.wait_time(record, now) == 0.0:
            state.take(record, now)
            return True
        state.queue.append(record)
        self._waiting.add(record.shard_id)
        return False

    def release(self, now: float) -> tuple[list[KinesisRecord], float | None]:
        """Dequeue what may be sent now; also return the delay until more may (or ``None``)."""
        ready: list[KinesisRecord] = []
        next_delay: float | None = None
        for shard_id in list(self._waiting):
            state = self._shards[shard_id]
            queue = state.queue
            while queue:
                wait = state.wait_time(queue[0], now)
                if wait > 0.0:
                    next_delay = wait if next_delay is None else min(next_delay, wait)
                    break
                record = queue.popleft()
                state.take(record, now)
                ready.append(record)
            if not queue:
                self._waiting.discard(shard_id)
        return ready, next_delay

    def forget(self, open_shards: set[str]) -> None:
        """Drop the buckets of shards that are no longer open (after resharding)."""
        for shard_id in list(self._shards):
            if shard_id not in open_shards and shard_id not in self._waiting:
                del self._shards[shard_id]
