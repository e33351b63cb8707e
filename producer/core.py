"""The Kinesis producer: the pipeline from ``add_user_record`` to confirmed puts.

Stages, each in its own module::

    add_user_record ─▶ shard map ─▶ aggregator (one per shard) ─▶ limiter (per shard)
        ─▶ collector ─▶ PutRecords (at most MaxConnections at once) ─▶ retrier
                ▲                                                        │
                └──────────────── failed entries, after backoff ◀────────┘

Everything runs on one asyncio event loop and no stage blocks, so the stages need no locks.
Accepted records are routed to their aggregators in batches; aggregators and the collector are
flushed together when the oldest buffered record has waited RecordMaxBufferedTime: one
``PutRecords`` call then carries everything buffered, across shards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter as Tally
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
from prometheus_client import CollectorRegistry

from .aggregator import Aggregator
from .collector import Collector
from .config import ProducerConfig
from .limiter import ShardLimiter
from .metrics import ProducerMetrics, fits
from .records import (
    EXPIRED,
    PRODUCER_CLOSED,
    Attempt,
    InvalidRecordError,
    KinesisRecord,
    RecordInput,
    UserRecord,
    UserRecordFailedError,
    UserRecordResult,
)
from .retrier import Outcome, Retrier, RetryPolicy
from .shard_map import ShardMap, ShardMapUpdater

if TYPE_CHECKING:
    from types_aiobotocore_kinesis import KinesisClient

log = logging.getLogger(__name__)

#: Accepted records are routed to their aggregators in batches of this many (or sooner, when
#: the flush comes first).
_ROUTE_BATCH = 256


class KinesisProducer:
    """Writes user records to one Kinesis data stream with KPL aggregation.

    Use it as an async context manager (or call :meth:`start` and :meth:`close`)::

        async with KinesisProducer("my-stream", region="us-west-2") as producer:
            future = producer.add_user_record("key", b"data")
            result = await future  # UserRecordResult, or raises UserRecordFailedError
    """

    def __init__(
        self,
        stream_name: str,
        *,
        region: str | None = None,
        config: ProducerConfig | None = None,
        endpoint_url: str | None = None,
        session: AioSession | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.stream_name = stream_name
        self.config = config or ProducerConfig()
        self._region = region
        self._endpoint_url = endpoint_url
        self._session = session or get_session()
        self.registry = registry if registry is not None else CollectorRegistry()
        self.metrics = ProducerMetrics(self.registry)
        #: The busiest counters, kept as plain integers (read by the metrics collector).
        self.counts = self.metrics.counts
        self.metrics.watch_outstanding(
            lambda: self._outstanding_records, lambda: self._outstanding_bytes
        )

        cfg = self.config
        self._max_buffered = cfg.record_max_buffered_time_ms / 1000
        self._aggregate = cfg.aggregation_enabled
        self._ttl = cfg.record_ttl_ms / 1000
        self._limiter = ShardLimiter(cfg.rate_limit)
        self._collector = Collector(cfg.collection_max_count, cfg.collection_max_size)
        self._retrier = Retrier(
            RetryPolicy(
                cfg.retry_base_delay_ms / 1000,
                cfg.retry_max_delay_ms / 1000,
                cfg.fail_if_throttled,
            )
        )
        self._aggregators: dict[str, Aggregator] = {}
        #: Accepted user records not yet routed to an aggregator.
        self._incoming: list[UserRecord] = []

        self._loop: asyncio.AbstractEventLoop | None = None
        self._stack = contextlib.AsyncExitStack()
        self._client: KinesisClient | None = None
        self._shard_maps: ShardMapUpdater | None = None
        self._connections = asyncio.Semaphore(cfg.max_connections)
        self._pending: set[UserRecord] = set()
        self._outstanding_records: int = 0
        self._outstanding_bytes: int = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._flush_handle: asyncio.TimerHandle | None = None
        self._limiter_handle: asyncio.TimerHandle | asyncio.Handle | None = None
        self._collector_flush_scheduled = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._closed = False

    # Lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Create the Kinesis client and load the shard map."""
        if self._loop is not None:
            raise RuntimeError("the producer was already started")
        self._loop = asyncio.get_running_loop()
        cfg = self.config
        client_config = AioConfig(
            max_pool_connections=cfg.max_connections,
            connect_timeout=cfg.connect_timeout_ms / 1000,
            read_timeout=cfg.request_timeout_ms / 1000,
            # The retrier retries per entry and per RecordTtl; SDK retries would repeat whole
            # requests, successful entries included.
            retries={"total_max_attempts": 1, "mode": "standard"},
        )
        self._client = await self._stack.enter_async_context(
            self._session.create_client(
                "kinesis",
                region_name=self._region,
                endpoint_url=self._endpoint_url,
                config=client_config,
            )
        )
        self._shard_maps = ShardMapUpdater(self._client, self.stream_name, self._on_shard_map)
        if await self._load_shard_map() is None:
            # Records go out unaggregated until a map is available (as in the KPL).
            self._spawn(self._load_shard_map_until_ready())

    async def __aenter__(self) -> KinesisProducer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def flush(self) -> None:
        """Send everything buffered now and wait until no record is outstanding.

        Like the KPL's ``flushSync``: records added meanwhile are waited for too.
        """
        self._flush_now()
        await self._idle.wait()

    async def close(self, timeout: float | None = None) -> int:
        """Refuse new records, put everything outstanding, release the client.

        Records still outstanding after ``timeout`` seconds fail with ``ProducerClosed``;
        returns how many did.
        """
        if self._closed:
            return 0
        self._closing = True
        if self._loop is None:
            self._closed = True
            return 0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.flush(), timeout)
        abandoned = list(self._pending)
        if abandoned:
            log.error(
                "records still outstanding when the producer closed",
                extra={"user_records": len(abandoned), "stream": self.stream_name},
            )
        closed = Attempt(0.0, False, PRODUCER_CLOSED, "the producer closed before a put")
        for record in abandoned:
            self._finish_failed(record, (closed,))
        self._closed = True
        for handle in (self._flush_handle, self._limiter_handle):
            if handle is not None:
                handle.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._stack.aclose()
        return len(abandoned)

    # State ----------------------------------------------------------------------------------

    @property
    def outstanding_records(self) -> int:
        """User records accepted and neither put nor failed (KPL: getOutstandingRecordsCount)."""
        return self._outstanding_records

    @property
    def outstanding_bytes(self) -> int:
        return self._outstanding_bytes

    @property
    def closing(self) -> bool:
        return self._closing

    @property
    def shard_map(self) -> ShardMap | None:
        return self._shard_maps.current if self._shard_maps else None

    @property
    def shards(self) -> int | None:
        """Open shards in the current map (None: not loaded yet)."""
        shard_map = self.shard_map
        return len(shard_map) if shard_map is not None else None

    @property
    def failed(self) -> bool:
        """Always false here; true for a :class:`~producer.process.ProducerProcess` whose
        process died."""
        return False

    async def refresh_metrics(self) -> None:
        """Nothing to fetch: :attr:`registry` is read in this process."""

    # Adding records -------------------------------------------------------------------------

    def add_user_record(
        self, partition_key: str, data: bytes, explicit_hash_key: str | None = None
    ) -> asyncio.Future[UserRecordResult]:
        """Buffer one user record; the future resolves once Kinesis confirmed it.

        Raises at once, buffering nothing: :class:`InvalidRecordError` (including
        :class:`RecordTooLargeError`) for a record Kinesis would refuse,
        :class:`BackPressureError` when the outstanding bound is reached, and
        :class:`ProducerClosedError` once closing. A record that cannot be put fails its
        future with :class:`UserRecordFailedError`, whose ``result`` has every attempt.
        """
        record = self._prepare(partition_key, data, explicit_hash_key, True)
        self._admit(1, record.size)
        self._accept(record)
        self.counts.received += 1
        assert record.future is not None
        return record.future

    def add_user_record_nowait(
        self, partition_key: str, data: bytes, explicit_hash_key: str | None = None
    ) -> None:
        """Buffer one user record, fire and forget (same errors as :meth:`add_user_record`)."""
        self.add_user_records(((partition_key, data, explicit_hash_key),), futures=False)

    def add_user_records(
        self, records: Iterable[RecordInput], *, futures: bool = True
    ) -> list[asyncio.Future[UserRecordResult]]:
        """Buffer several user records, all or none (same errors as :meth:`add_user_record`).

        An :class:`InvalidRecordError` carries the position of the bad record in ``index``.
        With ``futures=False`` no futures are made (fire and forget, a little cheaper) and the
        list returned is empty; failures still show in the metrics and the log.
        """
        prepare = self._prepare
        prepared = []
        size = 0
        for index, (partition_key, data, explicit_hash_key) in enumerate(records):
            try:
                record = prepare(partition_key, data, explicit_hash_key, futures)
            except InvalidRecordError as error:
                error.index = index  # type: ignore[attr-defined]
                raise
            prepared.append(record)
            size += record.size
        self._admit(len(prepared), size)
        accept = self._accept
        for record in prepared:
            accept(record)
        self.counts.received += len(prepared)
        if not futures:
            return []
        return [record.future for record in prepared]  # type: ignore[misc]

    def _prepare(
        self,
        partition_key: str,
        data: bytes,
        explicit_hash_key: str | None,
        future: bool,
    ) -> UserRecord:
        loop = self._loop
        if loop is None:
            raise RuntimeError("start() the producer before adding records")
        key_bytes, data, size = self.metrics.admission.check(partition_key, data, explicit_hash_key)
        now = loop.time()
        return UserRecord(
            partition_key,
            key_bytes,
            data,
            explicit_hash_key,
            size,
            now,
            now + self._ttl,
            loop.create_future() if future else None,
        )

    def _admit(self, count: int, size: int) -> None:
        records, held = self._outstanding_records, self._outstanding_bytes
        if self._closing or not fits(self.config, records, held, count, size):
            raise self.metrics.admission.refusal(self.config, self._closing, (records, held), count)

    def _accept(self, record: UserRecord) -> None:
        if not self._pending:
            self._idle.clear()
        self._pending.add(record)
        self._outstanding_records += 1
        self._outstanding_bytes += record.size
        # Routed and aggregated in batches (_route_incoming): the same work, but run in a
        # tight loop it measured cheaper than interleaved with the HTTP handling of each record.
        incoming = self._incoming
        incoming.append(record)
        if len(incoming) == 1:
            assert self._loop is not None
            if self._flush_handle is None:
                self._flush_handle = self._loop.call_at(
                    record.arrival + self._max_buffered, self._flush_now
                )
        elif len(incoming) == _ROUTE_BATCH:
            assert self._loop is not None
            self._loop.call_soon(self._route_incoming)

    def _route_incoming(self) -> None:
        incoming = self._incoming
        if incoming:
            self._incoming = []
            route = self._route
            for record in incoming:
                route(record)

    # Pipeline -------------------------------------------------------------------------------

    def _route(self, record: UserRecord) -> None:
        """Send a user record to its shard's aggregator (or alone, when that is unknown)."""
        shard_map = self._shard_maps.current if self._shard_maps is not None else None
        shard = shard_map.shard_for(record.hash_key) if shard_map is not None else None
        if shard is None or not self._aggregate:
            self._to_limiter(KinesisRecord.single(record, shard.shard_id if shard else None))
        else:
            aggregator = self._aggregators.get(shard.shard_id)
            if aggregator is None:
                cfg = self.config
                aggregator = Aggregator(
                    shard.shard_id, cfg.aggregation_max_size, cfg.aggregation_max_count
                )
                self._aggregators[shard.shard_id] = aggregator
            completed = aggregator.add(record)
            if completed is not None:
                self._to_limiter(completed)
        if self._flush_handle is None:
            assert self._loop is not None
            self._flush_handle = self._loop.call_at(
                record.arrival + self._max_buffered, self._flush_now
            )

    def _flush_now(self) -> None:
        """Flush every aggregator and the collector: the oldest record has waited enough."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        self._route_incoming()
        for aggregator in self._aggregators.values():
            completed = aggregator.flush()
            if completed is not None:
                self._to_limiter(completed)
        self._flush_collector()

    def _to_limiter(self, record: KinesisRecord) -> None:
        assert self._loop is not None
        if self._limiter.submit(record, self._loop.time()):
            self._to_collector(record)
        else:
            if self._limiter_handle is not None:
                self._limiter_handle.cancel()
            self._limiter_handle = self._loop.call_soon(self._release_limited)

    def _release_limited(self) -> None:
        assert self._loop is not None
        self._limiter_handle = None
        ready, delay = self._limiter.release(self._loop.time())
        for record in ready:
            self._to_collector(record)
        if ready:
            self._flush_collector_soon()
        if delay is not None:
            self._limiter_handle = self._loop.call_later(delay, self._release_limited)

    def _to_collector(self, record: KinesisRecord) -> None:
        batch = self._collector.add(record)
        if batch is not None:
            self._dispatch(batch)

    def _flush_collector_soon(self) -> None:
        """Flush the collector on the next loop turn (coalescing records released together)."""
        if not self._collector_flush_scheduled:
            assert self._loop is not None
            self._collector_flush_scheduled = True
            self._loop.call_soon(self._flush_collector)

    def _flush_collector(self) -> None:
        self._collector_flush_scheduled = False
        batch = self._collector.flush()
        if batch is not None:
            self._dispatch(batch)

    def _dispatch(self, batch: list[KinesisRecord]) -> None:
        self._spawn(self._put_records(batch))

    def _spawn(self, coroutine: Any) -> None:
        assert self._loop is not None
        task = self._loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _put_records(self, batch: list[KinesisRecord]) -> None:
        assert self._loop is not None and self._client is not None
        loop = self._loop
        async with self._connections:
            now = loop.time()
            live = []
            for record in batch:
                if record.deadline <= now:
                    self._fail(record, expired=True)
                else:
                    live.append(record)
                    if not record.attempts:
                        self.metrics.buffering_seconds.observe(now - record.oldest_arrival)
            if not live:
                return
            entries: Any = [record.entry() for record in live]
            cfg = self.config
            started = loop.time()
            try:
                # botocore's timeouts apply per socket operation; this bounds the whole call.
                async with asyncio.timeout(
                    (cfg.connect_timeout_ms + cfg.request_timeout_ms) / 1000
                ):
                    response = await self._client.put_records(
                        StreamName=self.stream_name, Records=entries
                    )
            except Exception as exc:
                finished = loop.time()
                self.metrics.put_records_calls.labels("error").inc()
                outcome = self._retrier.on_exception(live, exc, finished - started, finished)
            else:
                finished = loop.time()
                self.metrics.put_records_calls.labels("success").inc()
                outcome = self._retrier.on_response(live, response, finished - started, finished)
            self.metrics.put_records_seconds.observe(finished - started)
            self.metrics.user_records_per_put_records.observe(
                sum(len(record.user_records) for record in live)
            )
        self._apply(outcome)

    def _apply(self, outcome: Outcome) -> None:
        assert self._loop is not None
        for record, shard_id, sequence_number in outcome.succeeded:
            if record.shard_id is not None and shard_id != record.shard_id:
                self.metrics.misplaced_kinesis_records.inc()
                if record.aggregated:
                    self._spawn(self._resolve_misplaced(record, shard_id, sequence_number))
                    continue
                # Kinesis routed a lone record by its own key: it is where it belongs, but
                # the map is stale.
                self._refresh_shard_map()
            self._succeed(record, shard_id, sequence_number)
        for record, delay in outcome.retry:
            self.metrics.retries.labels(record.attempts[-1].error_code or "Unknown").inc()
            self._loop.call_later(delay, self._retry, record)
        if outcome.failed:
            codes = Tally(record.attempts[-1].error_code for record in outcome.failed)
            log.warning(
                "user records failed",
                extra={
                    "stream": self.stream_name,
                    "user_records": sum(len(r.user_records) for r in outcome.failed),
                    "error_codes": dict(codes),
                    "error_message": outcome.failed[0].attempts[-1].error_message,
                },
            )
            for record in outcome.failed:
                self._fail(record)

    def _retry(self, record: KinesisRecord) -> None:
        if self._closed:
            return
        assert self._loop is not None
        if record.deadline <= self._loop.time():
            self._fail(record, expired=True)
            return
        self._to_limiter(record)
        self._flush_collector_soon()

    async def _resolve_misplaced(
        self, record: KinesisRecord, shard_id: str, sequence_number: str
    ) -> None:
        """An aggregate landed in another shard than predicted: the stream was resharded.

        Its user records that belong to the shard it landed in are done. The others are put
        again under the new shard map; consumers that, like the KCL, drop user records outside
        their shard's hash-key range read each of them once, in the right shard.
        """
        shard_map = await self._refresh_shard_map()
        shard = shard_map.get(shard_id) if shard_map is not None else None
        attempts = tuple(record.attempts)
        put = 0
        for index, user_record in enumerate(record.user_records):
            if user_record not in self._pending:
                continue
            if shard is not None and user_record.hash_key in shard:
                self._finish_succeeded(
                    user_record, UserRecordResult(True, shard_id, sequence_number, index, attempts)
                )
                put += 1
            else:
                self._route(user_record)
        self.counts.put += put
        log.info(
            "aggregated record landed in an unexpected shard; re-sending what belongs elsewhere",
            extra={
                "predicted_shard": record.shard_id,
                "actual_shard": shard_id,
                "user_records_done": put,
                "user_records_resent": len(record.user_records) - put,
            },
        )

    # Shard map ------------------------------------------------------------------------------

    def _refresh_shard_map(self) -> asyncio.Task[ShardMap | None]:
        assert self._shard_maps is not None
        return self._shard_maps.refresh()

    def _on_shard_map(self, shard_map: ShardMap) -> None:
        self.metrics.shard_map_loads.inc()
        open_shards = shard_map.shard_ids
        self._limiter.forget(open_shards)
        # Aggregates built for shards that are gone go out now and get sorted out on arrival.
        for shard_id in [s for s in self._aggregators if s not in open_shards]:
            completed = self._aggregators.pop(shard_id).flush()
            if completed is not None:
                self._to_limiter(completed)
                self._flush_collector_soon()

    async def _load_shard_map(self) -> ShardMap | None:
        return await self._refresh_shard_map()

    async def _load_shard_map_until_ready(self) -> None:
        delay = 1.0
        while self.shard_map is None and not self._closed:
            await asyncio.sleep(delay)
            await self._load_shard_map()
            delay = min(delay * 2, 30.0)

    # Completion -----------------------------------------------------------------------------

    def _succeed(self, record: KinesisRecord, shard_id: str, sequence_number: str) -> None:
        attempts = tuple(record.attempts)
        pending = self._pending
        done = 0
        size = 0
        for index, user_record in enumerate(record.user_records):
            if user_record not in pending:
                continue  # already finished (closed meanwhile)
            pending.remove(user_record)
            done += 1
            size += user_record.size
            future = user_record.future
            if future is not None and not future.done():
                future.set_result(
                    UserRecordResult(True, shard_id, sequence_number, index, attempts)
                )
        self._outstanding_records -= done
        self._outstanding_bytes -= size
        if not pending:
            self._idle.set()
        self.counts.put += done
        self.counts.kinesis_put += 1

    def _fail(self, record: KinesisRecord, expired: bool = False) -> None:
        attempts = tuple(record.attempts)
        if expired and not attempts:
            attempts = (Attempt(0.0, False, EXPIRED, "RecordTtl ran out before a put"),)
        for user_record in record.user_records:
            self._finish_failed(user_record, attempts)

    def _finish_succeeded(self, record: UserRecord, result: UserRecordResult) -> int:
        if not self._release(record):
            return 0
        if record.future is not None and not record.future.done():
            record.future.set_result(result)
        return 1

    def _finish_failed(self, record: UserRecord, attempts: tuple[Attempt, ...]) -> None:
        if not self._release(record):
            return
        result = UserRecordResult(False, attempts=attempts)
        self.metrics.user_records_failed.labels(result.error_code or "Unknown").inc()
        future = record.future
        if future is not None and not future.done():
            future.set_exception(UserRecordFailedError(result))
            # Failures are counted and logged here; a caller that never looks at the future
            # (fire and forget) should not also get asyncio's "exception never retrieved".
            future.exception()

    def _release(self, record: UserRecord) -> bool:
        try:
            self._pending.remove(record)
        except KeyError:
            return False
        self._outstanding_records -= 1
        self._outstanding_bytes -= record.size
        if not self._pending:
            self._idle.set()
        return True
