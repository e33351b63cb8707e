"""A Kinesis producer with KPL aggregation, and the HTTP service that runs it on ECS.

The library (usable without HTTP)::

    from producer import KinesisProducer

    async with KinesisProducer("my-stream", region="us-west-2") as producer:
        result = await producer.add_user_record("partition-key", b"data")
        print(result.shard_id, result.sequence_number, result.sub_sequence_number)

The service: ``python -m producer`` (see README.md beside this file).
"""

from .config import ProducerConfig
from .core import KinesisProducer
from .records import (
    Attempt,
    BackPressureError,
    InvalidRecordError,
    ProducerClosedError,
    ProducerError,
    RecordTooLargeError,
    UserRecordFailedError,
    UserRecordResult,
)

__all__ = [
    "Attempt",
    "BackPressureError",
    "InvalidRecordError",
    "KinesisProducer",
    "ProducerClosedError",
    "ProducerConfig",
    "ProducerError",
    "RecordTooLargeError",
    "UserRecordFailedError",
    "UserRecordResult",
]
