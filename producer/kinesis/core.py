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

The ``PutRecords`` calls (:mod:`producer.kinesis.put_records`), how records end
(:mod:`producer.kinesis.completion`) and the periodic assessment
(:mod:`producer.kinesis.assessment`) are base classes of :class:`KinesisProducer`, kept in
modules of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
from prometheus_client import CollectorRegistry

from .admission import Admission, DeliveryRate
from .aggregator import Aggregator
from .assessment import Assessment
from .collector import Collector
from .config import ProducerConfig
from .health import KINESIS_ERROR, KINESIS_UNREACHABLE, STARTING, Status
from .limiter import ShardLimiter
from .metrics import ProducerMetrics
from .protocol import Producer
from .put_records import PutRecordsCalls
from .records import (
    PRODUCER_CLOSED,
    Attempt,
    InvalidRecordError,
    KinesisRecord,
    RecordInput,
    UserRecord,
    UserRecordResult,
)
from .retrier import Retrier, RetryPolicy, classify_exception
from .shard_map import ShardMap, ShardMapUpdater
from .spool import Spool
from .spooling import SpoolDamage, Spooling

if TYPE_CHECKING:
    from types_aiobotocore_kinesis import KinesisClient

log = logging.getLogger(__name__)

#: Accepted records are routed to their aggregators in batches of this many (or sooner, when
#: the flush comes first).
_ROUTE_BATCH = 256
#: Seconds between probes of the stream (ListShards) while records are refused because of it.
PROBE_INTERVAL = 1.0


class KinesisProducer(PutRecordsCalls, Assessment, Producer):
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
        on_status: Callable[[Status], None] | None = None,
        on_bound: Callable[[tuple[int, int]], None] | None = None,
    ) -> None:
        self.stream_name = stream_name
        #: Whether records may be taken now; see :mod:`producer.kinesis.health`.
        self.status = Status(STARTING, "checking the stream", confirmed=False)
        self._on_status = on_status
        self._on_bound = on_bound
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
        #: Records answered for and not finished, oldest first (admission reads the oldest's age).
        self._pending: dict[UserRecord, None] = {}
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
        self._prober: asyncio.Task[None] | None = None
        self._assess_handle: asyncio.TimerHandle | None = None
        #: What was put lately, for the admission bound (:meth:`_assess`).
        self._delivery_rate = DeliveryRate()
        self._bytes_put = 0
        #: Throttling or expiry since the last assessment: the measured rate is the capacity.
        self._saturated = False
        #: Admission against the limits, the status and the bound (:meth:`_assess`).
        self.admission = Admission(cfg, self.metrics.admission)
        #: No answer from Kinesis lately (see _on_call_failed); with a spool, records go there.
        self._unreachable = False
        self._spool: Spooling | None = None

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
        if cfg.spool_dir:
            spool = Spool(
                cfg.spool_dir,
                cfg.spool_max_bytes,
                cfg.spool_fsync,
                cfg.spool_fsync_interval_ms / 1000,
            )
            self._spool = Spooling(spool, self.counts, self._ttl)
            self.metrics.watch_spool(lambda: spool.bytes, spool.oldest_age)
            SpoolDamage(spool, self.registry)
        self._shard_maps = ShardMapUpdater(self._client, self.stream_name, self._on_shard_map)
        # The stream is checked before any record is taken: a missing stream or a denied
        # ListShards refuses records (naming the error) until a later probe succeeds.
        if await self._load_shard_map() is None:
            self._probe_failed()
        else:
            self._set_status(Status(confirmed=False))
        self._assess()

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
        if self._unreachable and self._spool is not None:
            timeout = 0  # nothing to wait for: what is left goes to the spool
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.flush(), timeout)
        if self._spool is not None:
            # Answered 200 and not put: those in the spool (logged on arrival, or read back)
            # stay there for the next start; the others go there now.
            waiting = [record for record in self._pending if record.future is None]
            unlogged = self._spool.leave(waiting)
            kept = set(waiting).difference(unlogged)
            for record in kept:
                del self._pending[record]
                self._outstanding_records -= 1
                self._outstanding_bytes -= record.size
            self._spool_away(unlogged)
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
        for handle in (self._flush_handle, self._limiter_handle, self._assess_handle):
            if handle is not None:
                handle.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._stack.aclose()
        if self._spool is not None:
            self._spool.close()
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
        """Always false here; true for a :class:`~producer.process.front.ProducerProcess` whose
        process died and could not be restarted."""
        return False

    @property
    def alive(self) -> bool:
        """Always true here (a hung event loop cannot answer at all); see
        :class:`~producer.process.front.ProducerProcess`."""
        return True

    @property
    def replayed_outstanding(self) -> tuple[int, int]:
        """(records, bytes) read back from the spool and not yet settled: part of the
        outstanding counts, but not admitted by anyone."""
        spool = self._spool
        return (len(spool.replayed), spool.replayed_bytes) if spool is not None else (0, 0)

    @property
    def lost_records(self) -> int:
        """User records that failed with nobody to tell: added without a future (the service
        answered 200 for them), known not to be in the stream."""
        return self.counts.lost

    async def durable(self) -> None:
        """Return once the records added so far without a future are on the spool's device
        as ``SPOOL_FSYNC`` promises (one flush for every request waiting: group commit); at
        once without a spool or unless the policy is ``always``."""
        if self._spool is not None:
            await self._spool.spool.durable()

    @property
    def unconfirmed_records(self) -> int:
        """User records answered 200 that failed after a put of them went unanswered: they
        may be in the stream."""
        return self.counts.unconfirmed

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
        self.admission.check(
            self._outstanding_records,
            self._outstanding_bytes,
            1,
            record.size,
            self._closing,
            self.status,
        )
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
        self, records: Iterable[RecordInput], *, futures: bool = True, admitted: bool = False
    ) -> list[asyncio.Future[UserRecordResult]]:
        """Buffer several user records, all or none (same errors as :meth:`add_user_record`).

        An :class:`InvalidRecordError` carries the position of the bad record in ``index``.
        With ``futures=False`` no futures are made (fire and forget, a little cheaper) and the
        list returned is empty; failures still show in the metrics and the log.
        ``admitted``: a front already admitted them against :attr:`status` (as the HTTP
        process does, a few milliseconds earlier), so a change since does not refuse them.
        """
        prepare = self._prepare
        prepared = []
        size = 0
        for index, (partition_key, data, explicit_hash_key) in enumerate(records):
            try:
                record = prepare(partition_key, data, explicit_hash_key, futures)
            except InvalidRecordError as error:
                error.index = index
                raise
            prepared.append(record)
            size += record.size
        self.admission.check(
            self._outstanding_records,
            self._outstanding_bytes,
            len(prepared),
            size,
            self._closing,
            None if admitted else self.status,
        )
        spool = self._spool
        if not futures and spool is not None:
            # Answered 200 without waiting for the put: written down first (one append for
            # all), so that a killed process loses none of them.
            if self._unreachable:
                # Kinesis is not answering: they wait in the spool.
                written = spool.write(prepared)
                if written:
                    self.counts.received += len(prepared)
            else:
                written = spool.log(prepared)
            if not spool.spool.room(self.config.spool_reserve):
                self._spool_full()
            if not written:
                # Refused even when a front admitted them: their answers wait for the write.
                self._spool_full()
                raise self.admission.unavailable(spool.full(self.status.confirmed), len(prepared))
            if self._unreachable:
                return []
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
        key_bytes, data, size = self.admission.check_record(partition_key, data, explicit_hash_key)
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

    def _accept(self, record: UserRecord) -> None:
        if not self._pending:
            self._idle.clear()
        self._pending[record] = None
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
                    record.arrival + self._buffer_time(), self._flush_now
                )
        elif len(incoming) == _ROUTE_BATCH:
            assert self._loop is not None
            self._loop.call_soon(self._route_incoming)

    def _buffer_time(self) -> float:
        # Until a put confirmed the stream writable, callers wait for each record's put:
        # buffering it only delays their answer.
        return self._max_buffered if self.status.confirmed else 0.0

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
                record.arrival + self._buffer_time(), self._flush_now
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
        elif self._limiter_handle is None:
            # A release already scheduled takes this record too, in its group.
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

    # Status ---------------------------------------------------------------------------------

    def _set_status(self, status: Status) -> None:
        if status != self.status:
            if status.cause != self.status.cause:
                log.info(
                    "status",
                    extra={
                        "cause": status.cause,
                        "detail": status.message,
                        "stream": self.stream_name,
                    },
                )
            self.status = status
            if self._on_status is not None:
                self._on_status(status)

    def _start_prober(self) -> None:
        if (self._prober is None or self._prober.done()) and not self._closed:
            assert self._loop is not None
            self._prober = self._loop.create_task(self._probe())
            self._tasks.add(self._prober)
            self._prober.add_done_callback(self._tasks.discard)

    async def _probe(self) -> None:
        """List the stream's shards until it answers; then take records again."""
        while self._unreachable or self.status.cause in (STARTING, KINESIS_ERROR):
            await asyncio.sleep(PROBE_INTERVAL)
            if await self._load_shard_map() is None:
                self._probe_failed()
            elif self._unreachable or self.status.cause == KINESIS_UNREACHABLE:
                self._unreachable = False
                if self.status.cause == KINESIS_UNREACHABLE:
                    self._set_status(Status(confirmed=self.status.confirmed))
            elif self.status.cause is not None:
                # Until a put succeeds, each record is waited for: the stream may be
                # listed yet not writable (a missing kinesis:PutRecords or KMS grant).
                self._set_status(Status(confirmed=False))

    def _probe_failed(self) -> None:
        error = self._shard_maps.last_error if self._shard_maps is not None else None
        if error is None:
            code, message, retryable = "NoOpenShards", "the stream has no open shards", False
        else:
            code, message, retryable = classify_exception(error)
        if retryable and self.status.cause != STARTING and self._spool is not None:
            self._unreachable = True
        elif retryable:
            cause = KINESIS_UNREACHABLE if self.status.cause != STARTING else STARTING
            self._set_status(Status(cause, f"{code}: {message}", code, self.status.confirmed))
        else:
            self._set_status(Status(KINESIS_ERROR, f"{code}: {message}", code, confirmed=False))
        self._start_prober()

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
