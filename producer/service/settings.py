"""The HTTP service's settings: the library's configuration and what the service adds.

:func:`load_settings` reads them from environment variables, one per field, named after it in
upper case (``record_ttl_ms`` is ``RECORD_TTL_MS``), and reports invalid values naming the
variable and the value, never with a traceback. Pydantic does the parsing and checking.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal, Self

from pydantic import Field, ValidationError, field_validator, model_validator

from ..kinesis.config import ProducerConfig
from ..kinesis.records import MAX_RECORD_BYTES


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
