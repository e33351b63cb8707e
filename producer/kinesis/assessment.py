"""The producer's periodic assessment: the admission bound from what Kinesis took lately, and
the spool (records refused while it is full, spooled records put again while there is room).

:class:`Assessment` is a base class of :class:`~producer.kinesis.core.KinesisProducer`,
whose state it reads and updates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from .admission import ASSESS_INTERVAL, Admission, Delivery, DeliveryRate, admission_bound
from .completion import Completion
from .config import ProducerConfig
from .health import SPOOL_FULL, Status
from .limiter import ShardLimiter
from .records import UserRecord
from .shard_map import ShardMap


class Assessment(Completion):
    """Runs every ASSESS_INTERVAL seconds once the producer started."""

    # The producer's state used here (set by KinesisProducer.__init__ and start).
    config: ProducerConfig
    admission: Admission
    _on_bound: Callable[[tuple[int, int]], None] | None
    _loop: asyncio.AbstractEventLoop | None
    _assess_handle: asyncio.TimerHandle | None
    _limiter: ShardLimiter
    _delivery_rate: DeliveryRate
    _aggregate: bool
    _unreachable: bool

    if TYPE_CHECKING:
        # In KinesisProducer.

        @property
        def shards(self) -> int | None: ...

        @property
        def shard_map(self) -> ShardMap | None: ...

        def _accept(self, record: UserRecord) -> None: ...

    def _assess(self) -> None:
        """Set the admission bound from what Kinesis took lately (see :func:`admission_bound`),
        so that overload turns into back-pressure (503) instead of expiry."""
        assert self._loop is not None
        now = self._loop.time()
        self._assess_handle = self._loop.call_later(ASSESS_INTERVAL, self._assess)
        oldest = next(iter(self._pending), None)
        saturated, self._saturated = self._saturated, False
        delivery = Delivery(
            shards=self.shards or 1,
            # What the limiter lets through now: less than the limits while shards throttle.
            share=self.config.rate_limit / 100 * self._limiter.mean_share(now),
            put_rate=self._delivery_rate.sample(self.counts.put, self._bytes_put),
            saturated=saturated,
            lag=now - oldest.arrival if oldest is not None else 0.0,
            spooling=self._unreachable and self._spool is not None,
        )
        bound = admission_bound(self.config, delivery)
        if bound != self.admission.bound:
            self.admission.bound = bound
            if self._on_bound is not None:
                self._on_bound(bound)
        if self._spool is not None:
            self._tend_spool()

    # Spool ----------------------------------------------------------------------------------

    def _tend_spool(self) -> None:
        """Refuse records while the spool could not take every one held in memory; put
        spooled records again, oldest first, while Kinesis answers and has room."""
        assert self._spool is not None
        self._spool.tend()
        spool = self._spool.spool
        if not spool.room(self.config.spool_reserve):
            self._spool_full()
        elif self.status.cause == SPOOL_FULL:
            self._set_status(Status(confirmed=self.status.confirmed))
        if self._unreachable or self.status.cause not in (None, SPOOL_FULL) or spool.empty:
            return
        if self._aggregate and self.shard_map is None:
            return
        records = self.admission.bound[0] // 2 - self._outstanding_records
        size = self.admission.bound[1] // 2 - self._outstanding_bytes
        if records <= 0 or size <= 0:
            return
        assert self._loop is not None
        for record in self._spool.read_back(records, size, self._loop.time()):
            self._accept(record)
