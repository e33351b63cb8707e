"""PutRecords calls: sending batches, reading the answers, retrying and failing entries.

A call that Kinesis refuses for one of its entries is split until that entry is alone; an
aggregate that lands in another shard than predicted is sorted out under a fresh shard map.
What the answers say about the stream (unreachable, refused) goes to the producer's status.
:class:`PutRecordsCalls` is a base class of :class:`~producer.kinesis.core.KinesisProducer`, whose
state it reads and updates.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter as Tally
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from .completion import Completion
from .config import ProducerConfig
from .health import FATAL_ERROR_CODES, KINESIS_ERROR, KINESIS_UNREACHABLE, Status
from .limiter import ShardLimiter
from .records import KinesisRecord, UserRecord, UserRecordResult
from .retrier import (
    THROTTLING_ERROR_CODES,
    Outcome,
    Retrier,
    classify_exception,
    may_have_landed,
)
from .shard_map import ShardMap

if TYPE_CHECKING:
    from types_aiobotocore_kinesis import KinesisClient

# The producer's log, whichever module of it logs.
log = logging.getLogger("producer.kinesis.core")

#: Request-level errors of a PutRecords call caused by one of its entries: the call is split
#: to find it, instead of failing every entry.
SPLITTABLE_ERROR_CODES = frozenset({"InvalidArgumentException", "ValidationException"})


class PutRecordsCalls(Completion):
    """Puts batches of Kinesis records, at most MaxConnections calls at once."""

    # The producer's state used here (set by KinesisProducer.__init__ and start).
    stream_name: str
    config: ProducerConfig
    _loop: asyncio.AbstractEventLoop | None
    _client: KinesisClient | None
    _connections: asyncio.Semaphore
    _tasks: set[asyncio.Task[Any]]
    _limiter: ShardLimiter
    _retrier: Retrier
    _closed: bool
    #: No answer from Kinesis lately; with a spool, records go there.
    _unreachable: bool
    _flush_handle: asyncio.TimerHandle | None
    #: Called right before each PutRecords call goes out (the producer process reports
    #: ``Counts.in_doubt`` then, so that the HTTP process knows it should this one die).
    before_put: Callable[[], None] | None = None

    if TYPE_CHECKING:
        # The pipeline and the probe, in KinesisProducer.

        def _route(self, record: UserRecord) -> None: ...

        def _to_limiter(self, record: KinesisRecord) -> None: ...

        def _flush_now(self) -> None: ...

        def _buffer_time(self) -> float: ...

        def _refresh_shard_map(self) -> asyncio.Task[ShardMap | None]: ...

        def _start_prober(self) -> None: ...

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
        if self._connections.locked():
            # Every connection busy: Kinesis takes less than is sent, whatever the limits say.
            self._saturated = True
        async with self._connections:
            now = loop.time()
            live = []
            expired = 0
            pending = self._pending
            for record in batch:
                if self._spool is not None and not any(
                    user in pending for user in record.user_records
                ):
                    continue  # spooled meanwhile: sent from the spool later
                if record.deadline <= now:
                    expired += len(record.user_records)
                    self._fail(record, expired=True)
                else:
                    live.append(record)
                    if not record.attempts:
                        self.metrics.buffering_seconds.observe(now - record.oldest_arrival)
            if expired:
                log.warning(
                    "user records expired before their put",
                    extra={"stream": self.stream_name, "user_records": expired},
                )
            if not live:
                return
            entries: Any = [record.entry() for record in live]
            self._doubt(live)
            if self.before_put is not None:
                self.before_put()
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
                self._answered(live, not may_have_landed(exc))
                self.metrics.put_records_calls.labels("error").inc()
                if self._split(live, exc, finished - started):
                    return
                outcome = self._retrier.on_exception(live, exc, finished - started, finished)
                self._on_call_failed(exc)
            else:
                finished = loop.time()
                self._answered(live, True)
                self.metrics.put_records_calls.labels("success").inc()
                outcome = self._retrier.on_response(live, response, finished - started, finished)
                self._on_answer(outcome)
            self.metrics.put_records_seconds.observe(finished - started)
            self.metrics.user_records_per_put_records.observe(
                sum(len(record.user_records) for record in live)
            )
        self._apply(outcome)

    def _doubt(self, batch: list[KinesisRecord]) -> None:
        """A put of ``batch`` is about to go out: its user records answered 200 (not read back
        from the spool) may be in the stream from now on, until an answer says otherwise."""
        pending = self._pending
        replayed = self._spool.replayed if self._spool is not None else {}
        counts = self.counts
        for record in batch:
            for user in record.user_records:
                if (
                    user.future is None
                    and not user.in_doubt
                    and user in pending
                    and user not in replayed
                ):
                    user.in_doubt = True
                    counts.in_doubt += 1

    def _answered(self, batch: list[KinesisRecord], answered: bool) -> None:
        """The put of ``batch`` is over: ``answered`` (or known not sent), each entry's fate
        is known; else its user records may be in the stream, whatever happens to them."""
        counts = self.counts
        for record in batch:
            for user in record.user_records:
                if not answered:
                    user.unanswered = True
                elif user.in_doubt and not user.unanswered:
                    user.in_doubt = False
                    counts.in_doubt -= 1

    def _split(self, batch: list[KinesisRecord], exc: BaseException, duration: float) -> bool:
        """A request-level InvalidArgument names no entry: put the halves of the call apart
        (and the user records of a lone aggregate one by one) until the offending record is
        alone, so that it fails by itself instead of with its neighbours."""
        if not isinstance(exc, botocore.exceptions.ClientError):
            return False
        code = classify_exception(exc)[0]
        if code not in SPLITTABLE_ERROR_CODES:
            return False
        if len(batch) > 1:
            middle = len(batch) // 2
            parts = [batch[:middle], batch[middle:]]
        elif batch[0].aggregated:
            parts = [
                [KinesisRecord.single(user, batch[0].shard_id)] for user in batch[0].user_records
            ]
        else:
            return False
        self.metrics.split_calls.inc()
        for part in parts:
            self._dispatch(part)
        return True

    def _on_call_failed(self, exc: BaseException) -> None:
        code, message, retryable = classify_exception(exc)
        if code in FATAL_ERROR_CODES:
            self._kinesis_error(code, message)
        elif (
            retryable
            and not isinstance(exc, botocore.exceptions.ClientError)
            and self.status.cause is None
            and not self._unreachable
        ):
            # No answer at all: the service link or the Region is down. Without a spool,
            # refuse records (they could not be put within their TTL) until a probe of the
            # stream succeeds; with one, spool what is held and what comes. (An answered 5xx
            # or throttling is only retried.)
            self._unreachable = True
            if self._spool is None:
                confirmed = self.status.confirmed
                self._set_status(Status(KINESIS_UNREACHABLE, f"{code}: {message}", code, confirmed))
            elif not self._spool_away([r for r in self._pending if r.future is None]):
                self._spool_full()
            log.warning(
                "Kinesis does not answer",
                extra={"error": f"{code}: {message}", "spool": self._spool is not None},
            )
            self._start_prober()

    def _on_answer(self, outcome: Outcome) -> None:
        for record in outcome.failed:
            code = record.attempts[-1].error_code
            if code in FATAL_ERROR_CODES:
                self._kinesis_error(code or "", record.attempts[-1].error_message or "")
                return
        if outcome.retry:
            self._saturated = True
        if outcome.succeeded:
            self._unreachable = False
            if self.status.cause == KINESIS_UNREACHABLE or not self.status.confirmed:
                self._set_status(Status())

    def _kinesis_error(self, code: str, message: str) -> None:
        if self.status.cause != KINESIS_ERROR:
            log.error(
                "Kinesis refused the stream; refusing records until a probe succeeds",
                extra={"stream": self.stream_name, "error_code": code, "error": message},
            )
        self._set_status(Status(KINESIS_ERROR, f"{code}: {message}", code, confirmed=False))
        self._start_prober()

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
        now = self._loop.time()
        for record, delay in outcome.retry:
            code = record.attempts[-1].error_code or "Unknown"
            self.metrics.retries.labels(code).inc()
            if code in THROTTLING_ERROR_CODES and record.shard_id is not None:
                self._limiter.throttled(record.shard_id, now)
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
        # With the next flush, not alone: the throttled tail of a full call would otherwise
        # make a call of its own, one or two entries long.
        if self._flush_handle is None:
            self._flush_handle = self._loop.call_later(self._buffer_time(), self._flush_now)

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
