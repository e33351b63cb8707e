"""Completion: how the user records a producer answered for end.

They succeed, fail (with every attempt) or go to the spool, and leave the outstanding counts
either way. :class:`Completion` is a base class of :class:`~producer.kinesis.core.KinesisProducer`,
whose state it reads and updates.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .health import FATAL_ERROR_CODES, Status
from .metrics import Counts, ProducerMetrics
from .records import (
    EXPIRED,
    PRODUCER_CLOSED,
    Attempt,
    KinesisRecord,
    UserRecord,
    UserRecordFailedError,
    UserRecordResult,
)
from .retrier import CONNECTION_ERRORS, RETRYABLE_ERROR_CODES
from .spooling import Spooling


#: Failures that send a record answered 200 to the spool (when there is one) instead of
#: failing it: waiting can cure them. (A record Kinesis refuses for itself is not spooled.)
def _class_names(classes: tuple[type[BaseException], ...]) -> set[str]:
    """The names of ``classes`` and of their subclasses (the error codes of exceptions)."""
    names: set[str] = set()
    stack = list(classes)
    while stack:
        cls = stack.pop()
        names.add(cls.__name__)
        stack.extend(cls.__subclasses__())
    return names


#: (No answer at all, e.g. ``EndpointConnectionError``, counts too: a record retried until its
#: RecordTtl while Kinesis was not answering waits in the spool, like one that expired.)
_SPOOLED_ERRORS = (
    RETRYABLE_ERROR_CODES
    | FATAL_ERROR_CODES
    | {EXPIRED, PRODUCER_CLOSED}
    | _class_names(CONNECTION_ERRORS)
)


class Completion:
    """Finishing user records: results for their futures, the spool, the outstanding counts."""

    # The producer's state used here (set by KinesisProducer.__init__).
    status: Status
    metrics: ProducerMetrics
    counts: Counts
    #: Records answered for and not finished, oldest first.
    _pending: dict[UserRecord, None]
    _outstanding_records: int
    _outstanding_bytes: int
    #: Set while nothing is pending.
    _idle: asyncio.Event
    _spool: Spooling | None
    #: Throttling or expiry since the last assessment of the admission bound.
    _saturated: bool
    #: Bytes put so far, for the admission bound.
    _bytes_put: int

    if TYPE_CHECKING:

        def _set_status(self, status: Status) -> None: ...

    # Spool ----------------------------------------------------------------------------------

    def _spool_away(self, records: list[UserRecord]) -> bool:
        """Move records held in memory to the spool (those logged on arrival keep their
        places there); the pipeline skips them from now on."""
        if not records:
            return True
        assert self._spool is not None
        if not self._spool.park(records):
            return False
        for record in records:
            self._release(record)
        return True

    def _spool_full(self) -> None:
        if self.status.cause is None:
            assert self._spool is not None
            self._set_status(self._spool.full(self.status.confirmed))

    # Results ------------------------------------------------------------------------------

    def _succeed(self, record: KinesisRecord, shard_id: str, sequence_number: str) -> None:
        attempts = tuple(record.attempts)
        pending = self._pending
        done = 0
        size = 0
        for index, user_record in enumerate(record.user_records):
            if user_record not in pending:
                continue  # already finished (closed meanwhile)
            del pending[user_record]
            if user_record.in_doubt:
                user_record.in_doubt = False
                self.counts.in_doubt -= 1
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
        self._bytes_put += size
        spool = self._spool
        if spool is not None and spool.logged:
            # Confirmed: their places in the spool are released.
            for user_record in record.user_records:
                spool.settle(user_record)

    def _fail(self, record: KinesisRecord, expired: bool = False) -> None:
        attempts = tuple(record.attempts)
        if expired:
            self._saturated = True
        if expired and not attempts:
            attempts = (Attempt(0.0, False, EXPIRED, "RecordTtl ran out before a put"),)
        if self._spool is not None and (expired or attempts[-1].error_code in _SPOOLED_ERRORS):
            pending = self._pending
            # Answered 200 and not put in time: to the spool, to be put again later.
            waiting = [u for u in record.user_records if u.future is None and u in pending]
            if not self._spool_away(waiting):
                self._spool_full()
        for user_record in record.user_records:
            self._finish_failed(user_record, attempts)

    def _finish_succeeded(self, record: UserRecord, result: UserRecordResult) -> int:
        if not self._release(record):
            return 0
        if record.future is not None and not record.future.done():
            record.future.set_result(result)
        return 1

    def _finish_failed(self, record: UserRecord, attempts: tuple[Attempt, ...]) -> None:
        # A put of it unanswered, or out now (closing): it may be in the stream.
        maybe_put = record.unanswered or record.in_doubt
        if not self._release(record):
            return
        result = UserRecordResult(False, attempts=attempts)
        self.metrics.user_records_failed.labels(result.error_code or "Unknown").inc()
        future = record.future
        if future is None:
            if maybe_put:
                self.counts.unconfirmed += 1
            else:
                self.counts.lost += 1
        elif not future.done():
            future.set_exception(UserRecordFailedError(result))
            # Failures are counted and logged here; a caller that never looks at the future
            # (fire and forget) should not also get asyncio's "exception never retrieved".
            future.exception()

    def _release(self, record: UserRecord) -> bool:
        try:
            del self._pending[record]
        except KeyError:
            return False
        if record.in_doubt:
            record.in_doubt = False
            self.counts.in_doubt -= 1
        spool = self._spool
        if spool is not None and spool.logged:
            spool.settle(record)
        self._outstanding_records -= 1
        self._outstanding_bytes -= record.size
        if not self._pending:
            self._idle.set()
        return True
