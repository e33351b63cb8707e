"""Collection: group Kinesis records into ``PutRecords`` requests.

One request carries at most 500 records and 5 MiB (data plus partition keys), Kinesis' limits
and the KPL's CollectionMaxCount and CollectionMaxSize defaults. Records of any shard share a
request, so a request per flush interval usually carries everything that was buffered.
"""

from __future__ import annotations

from .records import KinesisRecord

#: Kinesis' and the KPL's default limits for one PutRecords request.
DEFAULT_MAX_COUNT = 500
DEFAULT_MAX_SIZE = 5 * 1024 * 1024


class Collector:
    """Accumulates Kinesis records; hands back each batch once it is full or flushed."""

    __slots__ = ("_batch", "_max_count", "_max_size", "_size")

    def __init__(self, max_count: int = DEFAULT_MAX_COUNT, max_size: int = DEFAULT_MAX_SIZE):
        self._max_count = max_count
        self._max_size = max_size
        self._batch: list[KinesisRecord] = []
        self._size = 0

    def __len__(self) -> int:
        return len(self._batch)

    def add(self, record: KinesisRecord) -> list[KinesisRecord] | None:
        """Add a record; return a batch that is ready to send, if any.

        A record that would push the batch over the size limit closes the batch first; a batch
        that reaches the count limit is returned at once.
        """
        ready = None
        if self._batch and self._size + record.size > self._max_size:
            ready = self.flush()
        self._batch.append(record)
        self._size += record.size
        if len(self._batch) >= self._max_count:
            # Never both: when the size check closed a batch, this one holds a single record,
            # and a max_count of 1 keeps the batch empty between calls.
            return self.flush()
        return ready

    def flush(self) -> list[KinesisRecord] | None:
        """Return the batch being built (``None`` when empty) and start a new one."""
        if not self._batch:
            return None
        batch = self._batch
        self._batch = []
        self._size = 0
        return batch
