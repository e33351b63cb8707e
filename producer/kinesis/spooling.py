"""The producer's use of the disk spool (:mod:`producer.kinesis.spool`): the write-ahead log of the
records it answered for, the records parked there while Kinesis cannot take them, and those
read back to be put again, tracked until they settle.

When records are logged, parked and read back is the producer's decision
(:class:`~producer.kinesis.core.KinesisProducer`): this keeps the bookkeeping.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from .health import SPOOL_FULL, Status
from .metrics import Counts
from .records import UserRecord
from .spool import Segment, Spool

log = logging.getLogger(__name__)


class Spooling:
    """One producer's spool, its counts, and the records of it held in memory."""

    def __init__(self, spool: Spool, counts: Counts, ttl: float) -> None:
        self.spool = spool
        self._counts = counts
        self._ttl = ttl
        #: Records held in memory that are in the spool (logged on arrival, or read back),
        #: with their places: released once settled, parked when they cannot be put in time.
        self.logged: dict[UserRecord, tuple[Segment, int]] = {}
        #: Records read back from the spool and not yet settled: part of the producer's
        #: outstanding counts, but admitted by no one.
        self.replayed: dict[UserRecord, None] = {}
        self.replayed_bytes = 0

    def log(self, records: list[UserRecord]) -> bool:
        """Write ahead: append ``records`` (one append for all), held in memory until
        settled or parked; False if the spool has no room for them."""
        appended = self._append(records)
        if appended is None:
            return False
        segment, offsets = appended
        logged = self.logged
        for record, offset in zip(records, offsets, strict=True):
            logged[record] = (segment, offset)
        return True

    def write(self, records: list[UserRecord]) -> bool:
        """Append ``records`` and park them at once (not held in memory); False if the spool
        has no room for them."""
        appended = self._append(records)
        if appended is None:
            return False
        segment, offsets = appended
        for offset in offsets:
            self.spool.park(segment, offset)
        self._counts.spooled += len(records)
        return True

    def _append(self, records: list[UserRecord]) -> tuple[Segment, list[int]] | None:
        return self.spool.append([(r.partition_key, r.data, r.explicit_hash_key) for r in records])

    def park(self, records: list[UserRecord]) -> bool:
        """``records`` leave memory and wait in the spool: those logged keep their places
        (never appended twice), the others are appended. False if those found no room."""
        unlogged = []
        for record in records:
            place = self.logged.pop(record, None)
            self._forget_replayed(record)
            if place is None or not self.spool.park(*place):
                unlogged.append(record)
        if unlogged and not self.write(unlogged):
            return False
        self._counts.spooled += len(records) - len(unlogged)
        return True

    def full(self, confirmed: bool) -> Status:
        """The status that refuses records while the spool cannot take those held in memory."""
        spool = self.spool
        return Status(
            SPOOL_FULL,
            f"the spool holds {spool.bytes} of its {spool.max_bytes} bytes",
            confirmed=confirmed,
        )

    def read_back(self, records: int, size: int, now: float) -> list[UserRecord]:
        """At most ``records`` records of ``size`` bytes from the spool, oldest first, as user
        records arrived ``now``, to be put again; each is replayed until :meth:`settle`."""
        read = []
        ttl = self._ttl
        for segment, offset, (key, data, hash_key) in self.spool.read(records, size):
            key_bytes = key.encode()
            length = len(data) + len(key_bytes)
            record = UserRecord(key, key_bytes, data, hash_key, length, now, now + ttl, None)
            self.logged[record] = (segment, offset)
            self.replayed[record] = None
            self.replayed_bytes += record.size
            read.append(record)
        self._counts.replayed += len(read)
        return read

    def settle(self, record: UserRecord) -> None:
        """``record`` was put or failed for good: its place in the spool is released (its
        segment goes once all of its records are)."""
        place = self.logged.pop(record, None)
        if place is not None:
            self._forget_replayed(record)
            self.spool.settled(place[0])

    def _forget_replayed(self, record: UserRecord) -> None:
        if record in self.replayed:
            del self.replayed[record]
            self.replayed_bytes -= record.size

    def leave(self, records: list[UserRecord]) -> list[UserRecord]:
        """Closing: the records held in memory that are in the spool stay there, for the next
        start; returns the others."""
        logged = self.logged
        others = [record for record in records if record not in logged]
        logged.clear()
        self.replayed.clear()
        self.replayed_bytes = 0
        return others

    def tend(self) -> None:
        """Now and then: release the segment being written once all of it is settled, and
        flush it under the ``interval`` policy."""
        self.spool.retire_idle()
        self.spool.sync_if_due()

    def close(self) -> None:
        self.spool.close()
        if self.spool.bytes:
            # Kept for the next start on this directory: lost only with the storage (a
            # Fargate task's ephemeral storage goes with the task).
            log.warning(
                "records left in the spool",
                extra={
                    "spool_bytes": self.spool.bytes,
                    "user_records_spooled": self._counts.spooled,
                },
            )


class SpoolDamage(Collector):
    """The spool's damage counts, as Prometheus metrics."""

    def __init__(self, spool: Spool, registry: CollectorRegistry) -> None:
        self._spool = spool
        registry.register(self)

    def collect(self) -> list[Metric]:
        spool = self._spool
        prefix = "kinesis_producer_spool"
        return [
            CounterMetricFamily(
                f"{prefix}_corrupt_entries",
                "Torn or corrupt spool entries skipped (each up to the next valid entry): "
                "records answered 200 and lost.",
                value=spool.corrupt_entries,
            ),
            CounterMetricFamily(
                f"{prefix}_corrupt_bytes",
                "Bytes of the spool skipped as torn or corrupt.",
                value=spool.corrupt_bytes,
            ),
            CounterMetricFamily(
                f"{prefix}_quarantined_files",
                "Spool segments or slots that could not be read, renamed aside "
                "(<name>.quarantined) and not replayed.",
                value=spool.quarantined,
            ),
            GaugeMetricFamily(
                f"{prefix}_slots",
                "Slots of the spool directory held by this producer: its own, and those "
                "adopted from processes gone, until drained.",
                value=len(spool.slots),
            ),
        ]
