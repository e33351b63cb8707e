"""The producer's use of the disk spool (:mod:`producer.spool`): the records it writes there,
and those it reads back to be put again, tracked until they settle.

When records go to the spool, and when they are read back, is the producer's decision
(:class:`~producer.core.KinesisProducer`): this keeps the bookkeeping.
"""

from __future__ import annotations

import logging

from .health import SPOOL_FULL, Status
from .metrics import Counts
from .records import UserRecord
from .spool import Segment, Spool

log = logging.getLogger(__name__)


class Spooling:
    """One producer's spool, its counts, and the records read back from it."""

    def __init__(self, spool: Spool, counts: Counts, ttl: float) -> None:
        self.spool = spool
        self._counts = counts
        self._ttl = ttl
        #: Records read back from the spool and not yet settled, with their segments: part
        #: of the producer's outstanding counts, but admitted by no one.
        self.replayed: dict[UserRecord, Segment] = {}
        self.replayed_bytes = 0

    def write(self, records: list[UserRecord]) -> bool:
        """Append ``records`` to the spool; False if it has no room for them."""
        if not self.spool.append([(r.partition_key, r.data, r.explicit_hash_key) for r in records]):
            return False
        self._counts.spooled += len(records)
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
        for segment, (key, data, hash_key) in self.spool.read(records, size):
            key_bytes = key.encode()
            length = len(data) + len(key_bytes)
            record = UserRecord(key, key_bytes, data, hash_key, length, now, now + ttl, None)
            self.replayed[record] = segment
            self.replayed_bytes += record.size
            read.append(record)
        self._counts.replayed += len(read)
        return read

    def settle(self, record: UserRecord) -> None:
        """``record`` is finished (put, failed or spooled again): if it was read back, its
        segment may go once all of its records are."""
        segment = self.replayed.pop(record, None)
        if segment is not None:
            self.replayed_bytes -= record.size
            self.spool.settled(segment)

    def keep_replayed(self) -> list[UserRecord]:
        """Stop tracking the records read back and not put (closing): they stay in their
        segments, kept for the next start. Returns them."""
        records = list(self.replayed)
        self.replayed.clear()
        return records

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
