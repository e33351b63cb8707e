"""The library's configuration: the producer's tuning, with the KPL's names and defaults.

The HTTP service reads it, with its own settings, from environment variables
(:mod:`producer.service.settings`). Pydantic does the parsing and checking.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .records import MAX_PARTITION_KEY_LENGTH, MAX_RECORD_BYTES

#: Bytes a spool entry adds to its record (see ``spool.py``).
_SPOOL_ENTRY_OVERHEAD = 64

#: The largest record a caller can add: data plus a 256-character partition key in UTF-8.
_LARGEST_RECORD = MAX_RECORD_BYTES
#: Leave room in an aggregate for its own partition key (up to 4 UTF-8 bytes a character).
_MAX_AGGREGATION_SIZE = MAX_RECORD_BYTES - 4 * MAX_PARTITION_KEY_LENGTH

Milliseconds = Annotated[int, Field(ge=0)]


class ProducerConfig(BaseModel):
    """Tuning of :class:`~producer.kinesis.core.KinesisProducer`; KPL defaults unless noted."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", use_attribute_docstrings=True, defer_build=True
    )

    aggregation_enabled: bool = True
    """Pack user records into KPL-format aggregated records (KPL: AggregationEnabled)."""
    aggregation_max_count: int = Field(4_294_967_295, ge=1)
    """Most user records in one aggregated record (KPL: AggregationMaxCount)."""
    aggregation_max_size: int = Field(51_200, ge=64, le=_MAX_AGGREGATION_SIZE)
    """Most bytes in one aggregated record (KPL: AggregationMaxSize)."""
    collection_max_count: int = Field(500, ge=1, le=500)
    """Most Kinesis records in one PutRecords call (KPL: CollectionMaxCount)."""
    collection_max_size: int = Field(5 * 1024 * 1024, ge=52_224, le=5 * 1024 * 1024)
    """Most bytes in one PutRecords call (KPL: CollectionMaxSize)."""
    record_max_buffered_time_ms: Milliseconds = 100
    """Longest a record waits to be aggregated and collected (KPL: RecordMaxBufferedTime)."""
    record_ttl_ms: int = Field(30_000, ge=100)
    """A record not put within this time fails with its last error (KPL: RecordTtl)."""
    max_connections: int = Field(24, ge=1, le=256)
    """Concurrent PutRecords calls (KPL: MaxConnections)."""
    request_timeout_ms: int = Field(6_000, ge=100)
    """Read timeout of a PutRecords call (KPL: RequestTimeout)."""
    connect_timeout_ms: int = Field(6_000, ge=100)
    """Connection timeout (KPL: ConnectTimeout)."""
    rate_limit: int = Field(100, ge=1, le=1_000)
    """Per-shard rate limit, in percent of Kinesis' 1 MiB/s and 1,000 records/s (KPL's default
    is 150, which lets a lone producer saturate a shard at the cost of some throttling)."""
    fail_if_throttled: bool = False
    """Fail throttled records at once instead of retrying them (KPL: FailIfThrottled)."""
    retry_base_delay_ms: int = Field(100, ge=1)
    """First retry's backoff ceiling; it doubles with each retry (not a KPL setting)."""
    retry_max_delay_ms: int = Field(2_000, ge=1)
    """Largest backoff ceiling (not a KPL setting)."""
    max_outstanding_records: int = Field(100_000, ge=1)
    """Back-pressure: user records accepted but not yet put or failed (not a KPL setting)."""
    max_outstanding_bytes: int = Field(16 * 1024 * 1024, ge=_LARGEST_RECORD)
    """Back-pressure: bytes of those records (not a KPL setting)."""
    spool_dir: str | None = None
    """Directory of the disk spool (not a KPL setting): a write-ahead log of the records added
    without a future (answered 200), appended to before they are taken and released once
    Kinesis confirmed them; those that cannot be put within RecordTtl wait there and are put
    again when Kinesis answers. A killed process loses none of them (the next start on the
    directory puts them, at least once). Unset or empty: no spool."""
    spool_max_bytes: int = Field(1024 * 1024 * 1024, ge=1024 * 1024)
    """Size bound of the spool; records are refused (503 ``spool_full``) before it is
    reached, keeping room for every record outstanding in memory."""
    spool_fsync: Literal["always", "interval", "never"] = "interval"
    """Whether the spool covers a host crash or power loss too (a killed process is covered
    whatever this says: appends are in the page cache before the records are taken). When
    appends are flushed to the device: ``always``, each append (one per batch of records taken
    together) before it returns, so before their 200; ``interval``, at most
    SPOOL_FSYNC_INTERVAL_MS later; ``never``, when the kernel does (typically within 30 s)."""
    spool_fsync_interval_ms: int = Field(1_000, ge=1, le=60_000)
    """The ``interval`` policy's longest delay."""

    @model_validator(mode="after")
    def _check_delays(self) -> Self:
        if self.retry_max_delay_ms < self.retry_base_delay_ms:
            raise ValueError(
                f"RETRY_MAX_DELAY_MS={self.retry_max_delay_ms} must not be less than "
                f"RETRY_BASE_DELAY_MS={self.retry_base_delay_ms}"
            )
        if self.spool_dir and self.spool_max_bytes < 2 * self.spool_reserve:
            raise ValueError(
                f"SPOOL_MAX_BYTES={self.spool_max_bytes} must be at least {2 * self.spool_reserve}"
                " (twice the room kept for every record outstanding in memory)"
            )
        return self

    @property
    def spool_reserve(self) -> int:
        """Spool bytes kept free for the records outstanding in memory, so that each of them
        can still be spooled when the spool refuses new ones."""
        return self.max_outstanding_bytes + self.max_outstanding_records * _SPOOL_ENTRY_OVERHEAD
