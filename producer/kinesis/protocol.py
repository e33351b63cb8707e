"""What the HTTP service needs of a producer, whichever process it runs in.

Both implementations declare it (so that mypy checks them against it):
:class:`~producer.kinesis.core.KinesisProducer` runs the producer in the calling process,
:class:`~producer.process.front.ProducerProcess` in a process of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Protocol

from prometheus_client import CollectorRegistry

from .admission import Admission
from .config import ProducerConfig
from .health import Status
from .records import RecordInput, UserRecordResult


class Producer(Protocol):
    """What the service needs of a producer: a :class:`~producer.kinesis.core.KinesisProducer` (in
    this process) or a :class:`~producer.process.front.ProducerProcess` (in its own)."""

    config: ProducerConfig
    admission: Admission
    registry: CollectorRegistry

    @property
    def outstanding_records(self) -> int: ...

    @property
    def outstanding_bytes(self) -> int: ...

    @property
    def shards(self) -> int | None: ...

    @property
    def failed(self) -> bool: ...

    @property
    def alive(self) -> bool: ...

    @property
    def lost_records(self) -> int: ...

    @property
    def unconfirmed_records(self) -> int: ...

    async def durable(self) -> None: ...

    status: Status

    def add_user_record(
        self, partition_key: str, data: bytes, explicit_hash_key: str | None = None
    ) -> asyncio.Future[UserRecordResult]: ...

    def add_user_record_nowait(
        self, partition_key: str, data: bytes, explicit_hash_key: str | None = None
    ) -> None: ...

    def add_user_records(
        self, records: Iterable[RecordInput], *, futures: bool = True
    ) -> list[asyncio.Future[UserRecordResult]]: ...

    async def refresh_metrics(self) -> None: ...

    async def close(self, timeout: float | None = None) -> int: ...
