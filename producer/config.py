"""Configuration: the producer's tuning (KPL names and defaults) and the service's settings.

:class:`ProducerConfig` configures the library. :class:`Settings` adds what the HTTP service
needs; :func:`load_settings` reads it from environment variables, one per field, named after
it in upper case (``record_ttl_ms`` is ``RECORD_TTL_MS``), and reports invalid values naming
the variable and the value, never with a traceback. Pydantic does the parsing and checking.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .records import MAX_PARTITION_KEY_LENGTH, MAX_RECORD_BYTES

#: Bytes a spool entry adds to its record (see ``spool.py``).
_SPOOL_ENTRY_OVERHEAD = 64

#: The largest record a caller can add: data plus a 256-character partition key in UTF-8.
_LARGEST_RECORD = MAX_RECORD_BYTES
#: Leave room in an aggregate for its own partition key (up to 4 UTF-8 bytes a character).
_MAX_AGGREGATION_SIZE = MAX_RECORD_BYTES - 4 * MAX_PARTITION_KEY_LENGTH

Milliseconds = Annotated[int, Field(ge=0)]


class ProducerConfig(BaseModel):
    """Tuning of :class:`producer.core.KinesisProducer`; defaults are the KPL's unless noted."""

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


class Settings(ProducerConfig):
    """Everything the HTTP service reads from its environment."""

    stream_name: str = Field(min_length=1, max_length=128, pattern=r"^[a-zA-Z0-9_.-]+$")
    """The Kinesis data stream to write to (set by the task definition)."""
    region: str | None = Field(None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$")
    """AWS Region of the stream (set by the task definition); when unset, the AWS SDK's own
    configuration applies (AWS_REGION, AWS_DEFAULT_REGION, profile)."""
    port: int = Field(8080, ge=1, le=65_535)
    """TCP port the HTTP service listens on."""
    host: str = "0.0.0.0"
    """Address the HTTP service binds."""
    max_body_bytes: int = Field(1_047_552, ge=64, le=MAX_RECORD_BYTES)
    """Largest body of ``POST /`` (413 above); just under 1 MiB so that a record fits."""
    max_batch_body_bytes: int = Field(5 * 1024 * 1024, ge=64, le=64 * 1024 * 1024)
    """Largest body of ``POST /records`` (413 above)."""
    max_batch_records: int = Field(10_000, ge=1)
    """Most records in one ``POST /records`` (400 above)."""
    shutdown_timeout_ms: int = Field(20_000, ge=0, le=600_000)
    """On SIGTERM, how long to wait for buffered records to be put before exiting."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Level of the JSON log lines written to stdout."""
    access_log: bool = False
    """Log every HTTP request (off: at thousands of requests a second it costs throughput)."""
    heartbeat_timeout_ms: int = Field(10_000, ge=100, le=600_000)
    """The producer process counts as hung when it sends nothing (it sends a heartbeat every
    half second) for this long: records are refused and ``/livez`` fails."""
    keepalive_timeout_ms: int = Field(75_000, ge=1_000, le=3_600_000)
    """An idle client connection is closed after this long; a request's head must also
    arrive within it. Longer than the ALB's idle timeout (60 s), so the ALB closes first."""
    body_timeout_ms: int = Field(30_000, ge=100, le=600_000)
    """Longest a request body may take to arrive (408 and the connection closed after)."""
    metrics_log_interval_ms: int = Field(60_000, ge=0, le=3_600_000)
    """How often the service writes its CloudWatch metrics (spooled, replayed and lost records,
    spool bytes) as an embedded-metric-format line to stdout; 0 for never."""
    producer_process: Literal["auto", "true", "false"] = "auto"
    """Run the producer (aggregation, puts, retries) in a process of its own, beside the HTTP
    process: ``true``, ``false``, or ``auto``: when at least 2 CPUs are available (CPU
    affinity and the container's CPU quota)."""

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("producer_process", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_batch_fits(self) -> Self:
        # A batch larger than the back-pressure bound could never be accepted.
        if self.max_batch_records > self.max_outstanding_records:
            raise ValueError(
                f"MAX_BATCH_RECORDS={self.max_batch_records} must not exceed "
                f"MAX_OUTSTANDING_RECORDS={self.max_outstanding_records}"
            )
        if self.max_batch_body_bytes > self.max_outstanding_bytes:
            raise ValueError(
                f"MAX_BATCH_BODY_BYTES={self.max_batch_body_bytes} must not exceed "
                f"MAX_OUTSTANDING_BYTES={self.max_outstanding_bytes}"
            )
        return self

    def producer_config(self) -> ProducerConfig:
        """The library's share of the settings."""
        return ProducerConfig.model_validate(
            self.model_dump(include=set(ProducerConfig.model_fields))
        )


class ConfigError(Exception):
    """The environment holds invalid settings; the message names each variable and value."""


def _describe(errors: ValidationError, env: Mapping[str, str]) -> str:
    lines = []
    for error in errors.errors():
        loc = [str(part) for part in error["loc"]]
        name = loc[0].upper() if loc else ""
        if error["type"] == "missing":
            lines.append(f"{name} is not set; it is required")
        elif name:
            value = env.get(name, env.get(name.lower(), error.get("input")))
            lines.append(f"{name}={value!r} is invalid: {error['msg']}")
        else:
            lines.append(error["msg"].removeprefix("Value error, "))
    return "; ".join(lines)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    upper = {key.upper(): value for key, value in env.items()}
    # Region is optional; an empty REGION means "use the SDK's configuration"; an empty
    # SPOOL_DIR, no spool.
    for optional in ("REGION", "SPOOL_DIR"):
        if upper.get(optional) == "":
            del upper[optional]
    fields = {key: upper[key.upper()] for key in Settings.model_fields if key.upper() in upper}
    try:
        return Settings.model_validate(fields)
    except ValidationError as errors:
        raise ConfigError(_describe(errors, upper)) from None
