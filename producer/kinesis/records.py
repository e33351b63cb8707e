"""The records that flow through the pipeline, their results, and the producer's errors.

A *user record* is what a caller adds (partition key, data, optional explicit hash key). A
*Kinesis record* is what goes into one ``PutRecords`` entry: either one user record as it is,
or many user records packed in the KPL aggregation format. The names follow the Kinesis
Producer Library so that its documentation applies.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

try:
    # CPython's built-in MD5 is about twice as fast as OpenSSL's for short keys, whose cost
    # is dominated by OpenSSL 3's per-call algorithm lookup; hashlib itself falls back to it.
    from _md5 import md5  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - CPython built without it
    from hashlib import md5

#: Kinesis' limit for one record: data plus partition key, in bytes.
MAX_RECORD_BYTES = 1024 * 1024
#: Kinesis' limit on a partition key, in UTF-16 code units (as the KPL and Kinesis count: a
#: character outside the Basic Multilingual Plane, such as an emoji, counts twice).
MAX_PARTITION_KEY_LENGTH = 256
#: Hash keys are unsigned 128-bit integers.
MAX_HASH_KEY = 2**128 - 1
#: The pattern Kinesis documents for ``ExplicitHashKey``.
EXPLICIT_HASH_KEY_PATTERN = r"0|[1-9][0-9]{0,38}"
_EXPLICIT_HASH_KEY_RE = re.compile(EXPLICIT_HASH_KEY_PATTERN)

#: Error code of records whose RecordTtl ran out before any attempt was made.
EXPIRED = "Expired"
#: Error code of records still outstanding when ``close()`` gave up waiting.
PRODUCER_CLOSED = "ProducerClosed"


#: One user record as given to ``add_user_records``: (partition key, data, explicit hash key).
RecordInput = tuple[str, bytes, str | None]


class ProducerError(Exception):
    """Base class of the errors raised by the producer."""


class InvalidRecordError(ProducerError, ValueError):
    """A user record Kinesis would refuse; raised by ``add_user_record`` before buffering.

    ``field`` names the offending input (``partitionKey``, ``data`` or ``explicitHashKey``)
    so that the HTTP layer can point at it; ``index`` is the record's position in a batch
    (``add_user_records`` sets it), None for a single record.
    """

    def __init__(self, field_name: str, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.field = field_name
        self.index = index


class RecordTooLargeError(InvalidRecordError):
    """Data plus partition key exceed Kinesis' 1 MiB record limit."""


class BackPressureError(ProducerError):
    """The outstanding records or bytes would exceed their bound; retry later."""


class ProducerClosedError(ProducerError):
    """The producer is closing or closed and accepts no more records."""


class UnavailableError(ProducerError):
    """Records cannot be taken now: ``cause`` names why (see :mod:`producer.kinesis.health`)."""

    def __init__(self, cause: str, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.cause = cause
        self.error_code = error_code


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at putting a Kinesis record, like KPL's ``Attempt``."""

    duration: float
    success: bool
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class UserRecordResult:
    """What became of a user record, like KPL's ``UserRecordResult``."""

    successful: bool
    shard_id: str | None = None
    sequence_number: str | None = None
    sub_sequence_number: int | None = None
    attempts: tuple[Attempt, ...] = ()

    @property
    def error_code(self) -> str | None:
        """The error code of the last failed attempt (``None`` on success)."""
        if self.successful or not self.attempts:
            return None
        return self.attempts[-1].error_code

    @property
    def error_message(self) -> str | None:
        if self.successful or not self.attempts:
            return None
        return self.attempts[-1].error_message


class UserRecordFailedError(ProducerError):
    """The future of a user record that could not be put; ``result`` has every attempt."""

    def __init__(self, result: UserRecordResult) -> None:
        super().__init__(f"{result.error_code}: {result.error_message}")
        self.result = result

    @property
    def error_code(self) -> str | None:
        return self.result.error_code


def hash_key_of(partition_key: str, explicit_hash_key: str | None) -> int:
    """The 128-bit hash key Kinesis uses to pick a shard.

    Kinesis maps a record by its explicit hash key when it has one, else by the MD5 of the
    UTF-8 partition key read as a big-endian integer.
    """
    return _hash_key(partition_key.encode("utf-8"), explicit_hash_key)


def _hash_key(partition_key: bytes, explicit_hash_key: str | None) -> int:
    if explicit_hash_key is not None:
        return int(explicit_hash_key)
    return int.from_bytes(md5(partition_key).digest(), "big")


def check_partition_key(partition_key: object) -> bytes:
    """Validate a partition key; return its UTF-8 bytes."""
    if not isinstance(partition_key, str):
        raise InvalidRecordError("partitionKey", "partition key must be a string")
    if not partition_key:
        raise InvalidRecordError("partitionKey", "partition key must not be empty")
    try:
        key_bytes = partition_key.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRecordError(
            "partitionKey", "partition key is not valid Unicode (lone surrogate)"
        ) from None
    units = utf16_length(partition_key)
    if units > MAX_PARTITION_KEY_LENGTH:
        raise InvalidRecordError(
            "partitionKey",
            f"partition key is {units} UTF-16 code units long ({len(partition_key)} "
            f"characters); Kinesis allows at most {MAX_PARTITION_KEY_LENGTH}",
        )
    return key_bytes


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units: characters beyond U+FFFF take two (a surrogate pair)."""
    if len(text) * 2 <= MAX_PARTITION_KEY_LENGTH or text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def check_explicit_hash_key(explicit_hash_key: object) -> None:
    """Validate an explicit hash key: a decimal integer in [0, 2**128 - 1]."""
    if explicit_hash_key is None:
        return
    if not isinstance(explicit_hash_key, str):
        raise InvalidRecordError("explicitHashKey", "explicit hash key must be a string")
    if not _EXPLICIT_HASH_KEY_RE.fullmatch(explicit_hash_key) or (
        int(explicit_hash_key) > MAX_HASH_KEY
    ):
        raise InvalidRecordError(
            "explicitHashKey",
            "explicit hash key must be a decimal integer from 0 to 2^128 - 1 "
            "without sign or leading zeros",
        )


def check_user_record(
    partition_key: str, data: bytes, explicit_hash_key: str | None
) -> tuple[bytes, bytes, int]:
    """Validate a user record as Kinesis would; return (key bytes, data bytes, size).

    Size is what counts against Kinesis' 1 MiB limit and the outstanding-bytes bound: data
    plus UTF-8 partition key. Raises :class:`InvalidRecordError` (or
    :class:`RecordTooLargeError`) naming the offending field.
    """
    # The common case checked inline (this runs once per record); anything unusual goes
    # through the full checks, which explain what is wrong.
    # Up to half the limit in characters, the UTF-16 length cannot exceed it (the common case:
    # a UUID), so only longer keys are measured.
    if type(partition_key) is str and 0 < len(partition_key) <= MAX_PARTITION_KEY_LENGTH // 2:
        try:
            key_bytes = partition_key.encode()
        except UnicodeEncodeError:
            key_bytes = check_partition_key(partition_key)
    else:
        key_bytes = check_partition_key(partition_key)
    if explicit_hash_key is not None:
        check_explicit_hash_key(explicit_hash_key)
    if type(data) is not bytes:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidRecordError("data", "data must be bytes")
        data = bytes(data)
    size = len(data) + len(key_bytes)
    if size > MAX_RECORD_BYTES:
        raise RecordTooLargeError(
            "data",
            f"record is {size} bytes (data plus partition key); "
            f"Kinesis accepts at most {MAX_RECORD_BYTES}",
        )
    return key_bytes, data, size


class UserRecord:
    """A user record on its way to Kinesis, with the future its caller holds."""

    __slots__ = (
        "arrival",
        "data",
        "deadline",
        "explicit_hash_key",
        "future",
        "hash_key",
        "in_doubt",
        "partition_key",
        "size",
        "unanswered",
    )

    def __init__(
        self,
        partition_key: str,
        partition_key_bytes: bytes,
        data: bytes,
        explicit_hash_key: str | None,
        size: int,
        arrival: float,
        deadline: float,
        future: asyncio.Future[UserRecordResult] | None,
    ) -> None:
        self.partition_key = partition_key
        self.data = data
        self.explicit_hash_key = explicit_hash_key
        self.hash_key = _hash_key(partition_key_bytes, explicit_hash_key)
        #: Bytes counted against Kinesis' limits and the outstanding-bytes bound.
        self.size = size
        self.arrival = arrival
        #: When RecordTtl runs out (event-loop time).
        self.deadline = deadline
        #: ``None`` when the caller asked for no result (fire and forget).
        self.future = future
        #: A put of it went unanswered (a timeout, a connection closed after the request was
        #: sent): it may be in the stream. If it fails, it counts as unconfirmed, not lost.
        self.unanswered = False
        #: Counted in ``Counts.in_doubt`` (see there).
        self.in_doubt = False


_DEADLINE = attrgetter("deadline")
_ARRIVAL = attrgetter("arrival")


class KinesisRecord:
    """One ``PutRecords`` entry: a single user record, or an aggregate of several."""

    __slots__ = (
        "aggregated",
        "attempts",
        "data",
        "deadline",
        "explicit_hash_key",
        "oldest_arrival",
        "partition_key",
        "shard_id",
        "size",
        "user_records",
    )

    def __init__(
        self,
        user_records: list[UserRecord],
        partition_key: str,
        explicit_hash_key: str | None,
        data: bytes,
        shard_id: str | None,
        aggregated: bool,
    ) -> None:
        self.user_records = user_records
        self.partition_key = partition_key
        self.explicit_hash_key = explicit_hash_key
        self.data = data
        #: The shard the producer predicted (``None`` when no shard map was available).
        self.shard_id = shard_id
        self.aggregated = aggregated
        self.attempts: list[Attempt] = []
        #: Bytes Kinesis counts for this record: data plus partition key.
        self.size = len(data) + len(partition_key.encode("utf-8"))
        #: The earliest RecordTtl deadline among its user records.
        self.deadline: float = min(map(_DEADLINE, user_records))
        self.oldest_arrival: float = min(map(_ARRIVAL, user_records))

    @classmethod
    def single(cls, record: UserRecord, shard_id: str | None) -> KinesisRecord:
        """A user record sent as it is, without the aggregation envelope."""
        return cls(
            [record], record.partition_key, record.explicit_hash_key, record.data, shard_id, False
        )

    def entry(self) -> dict[str, Any]:
        """The ``PutRecords`` request entry."""
        entry: dict[str, Any] = {"Data": self.data, "PartitionKey": self.partition_key}
        if self.explicit_hash_key is not None:
            entry["ExplicitHashKey"] = self.explicit_hash_key
        return entry
