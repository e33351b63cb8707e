"""A Kinesis producer with KPL aggregation, and the HTTP service that runs it on ECS.

The library (usable without HTTP)::

    from producer import KinesisProducer

    async with KinesisProducer("my-stream", region="us-west-2") as producer:
        result = await producer.add_user_record("partition-key", b"data")
        print(result.shard_id, result.sequence_number, result.sub_sequence_number)

The same producer in a process of its own (what the HTTP service uses): ``ProducerProcess``.
The service: ``python -m producer`` (see README.md beside this file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .kinesis.config import ProducerConfig
from .kinesis.records import (
    Attempt,
    BackPressureError,
    InvalidRecordError,
    ProducerClosedError,
    ProducerError,
    RecordTooLargeError,
    UserRecordFailedError,
    UserRecordResult,
)

if TYPE_CHECKING:
    from .kinesis.core import KinesisProducer
    from .process.front import ProducerProcess, ProducerStartError


def __getattr__(name: str) -> Any:
    # Imported when first used: the HTTP process needs neither the AWS SDK nor its memory.
    if name == "KinesisProducer":
        from .kinesis.core import KinesisProducer

        return KinesisProducer
    if name in ("ProducerProcess", "ProducerStartError"):
        from .process import front

        return getattr(front, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Attempt",
    "BackPressureError",
    "InvalidRecordError",
    "KinesisProducer",
    "ProducerClosedError",
    "ProducerConfig",
    "ProducerError",
    "ProducerProcess",
    "ProducerStartError",
    "RecordTooLargeError",
    "UserRecordFailedError",
    "UserRecordResult",
]
