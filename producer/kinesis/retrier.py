"""Retries: read a ``PutRecords`` outcome and decide, per Kinesis record, what happens next.

Kinesis answers ``PutRecords`` per entry, so after a partial failure only the failed entries
are put again. Throttling (``ProvisionedThroughputExceededException``), ``KMSThrottlingException``,
server errors (5xx, ``InternalFailure``) and connection errors are retried with exponential
backoff and jitter (a throttled record of a known shard after the first backoff only: the
shard's limiter paces it, earliest deadline first); anything else (a missing stream, denied
access, a disabled KMS key) cannot get better by waiting and fails at once. A record whose
next attempt would come after its RecordTtl fails with the last error it got.

The AWS SDK's own retries are turned off for ``PutRecords`` (see ``core``): they would retry
the whole request, successful entries included, without regard to each record's TTL.

This module only decides; the producer applies the decisions (so it can be tested alone).
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import botocore.exceptions

from .records import Attempt, KinesisRecord

#: Error codes worth retrying: throttling and transient server-side failures.
RETRYABLE_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "KMSThrottlingException",
        "ThrottlingException",
        "Throttling",
        "LimitExceededException",
        "RequestLimitExceeded",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)
#: Error codes that mean the shard was throttled (FailIfThrottled fails these at once).
THROTTLING_ERROR_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "KMSThrottlingException", "ThrottlingException"}
)
#: Exceptions raised when the service could not be reached or did not answer in time.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    botocore.exceptions.ConnectionError,
    botocore.exceptions.HTTPClientError,
    botocore.exceptions.CredentialRetrievalError,
    asyncio.TimeoutError,
    OSError,
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter.

    The n-th retry waits a random time between half and all of ``base * 2**(n-1)`` capped at
    ``max_delay`` ("equal jitter"): it spreads retries out like full jitter does but keeps a
    floor, so the number of attempts within a RecordTtl is bounded.
    """

    base_delay: float = 0.1
    max_delay: float = 2.0
    fail_if_throttled: bool = False

    def backoff(self, retry: int, rng: Callable[[], float] = random.random) -> float:
        """The delay before retry number ``retry`` (1 for the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** min(retry - 1, 62))
        return ceiling / 2 + rng() * ceiling / 2

    def max_attempts(self, ttl: float) -> int:
        """An upper bound of the attempts a record can get within ``ttl`` seconds."""
        attempts, waited = 1, 0.0
        while True:
            waited += min(self.max_delay, self.base_delay * 2 ** min(attempts - 1, 62)) / 2
            if waited >= ttl:
                return attempts
            attempts += 1


@dataclass(slots=True)
class Outcome:
    """What to do with each Kinesis record of a ``PutRecords`` request."""

    #: (record, shard id, sequence number)
    succeeded: list[tuple[KinesisRecord, str, str]] = field(default_factory=list)
    #: (record, delay in seconds before it is put again)
    retry: list[tuple[KinesisRecord, float]] = field(default_factory=list)
    failed: list[KinesisRecord] = field(default_factory=list)


def classify_exception(exc: BaseException) -> tuple[str, str, bool]:
    """(error code, message, retryable) for an exception raised by a ``PutRecords`` call."""
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "Unknown")
        message = str(error.get("Message") or exc)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return code, message, code in RETRYABLE_ERROR_CODES or status >= 500 or status == 429
    message = str(exc) or type(exc).__name__
    return type(exc).__name__, message, isinstance(exc, CONNECTION_ERRORS)


def may_have_landed(exc: BaseException) -> bool:
    """Whether a ``PutRecords`` call that raised ``exc`` may have put its entries anyway.

    An answer (any :class:`~botocore.exceptions.ClientError`, 5xx included) says what
    Kinesis did; so does a failure to connect (refused, no route, a name that does not
    resolve, the connect timeout, the proxy or TLS handshake) or to sign. Anything else (a
    read timeout, the call's own timeout, a connection closed or reset while the request was
    out) leaves it unknown: the request may have reached Kinesis.
    """
    if isinstance(exc, (botocore.exceptions.ClientError, *_NOT_SENT_ERRORS)):
        return False
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        # aiobotocore wraps both a failed connect and a reset of an open connection in it.
        cause = exc.kwargs.get("error")
        return not isinstance(cause, _CONNECT_ERRORS)
    return not isinstance(exc, ConnectionRefusedError)


#: Raised before the request left: nothing of it reached Kinesis.
_NOT_SENT_ERRORS: tuple[type[BaseException], ...] = (
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ProxyConnectionError,
    botocore.exceptions.SSLError,
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.CredentialRetrievalError,
    botocore.exceptions.ParamValidationError,
)
#: Causes of an ``EndpointConnectionError`` that mean the connection was never made.
_CONNECT_ERRORS: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectorError,
    socket.gaierror,
    ConnectionRefusedError,
)


class Retrier:
    """Turns a ``PutRecords`` response, or the exception the call raised, into an Outcome."""

    def __init__(self, policy: RetryPolicy, rng: Callable[[], float] = random.random) -> None:
        self.policy = policy
        self._rng = rng

    def on_response(
        self,
        batch: Sequence[KinesisRecord],
        response: Mapping[str, Any],
        duration: float,
        now: float,
    ) -> Outcome:
        """Decide from the per-entry results, which Kinesis returns in request order."""
        outcome = Outcome()
        results = response.get("Records", [])
        if len(results) != len(batch):
            # A malformed answer: treat every entry as failed by the service.
            message = f"{len(results)} results for {len(batch)} records"
            for record in batch:
                self._failed_attempt(outcome, record, "InternalFailure", message, duration, now)
            return outcome
        for record, result in zip(batch, results, strict=True):
            code = result.get("ErrorCode")
            if code:
                message = result.get("ErrorMessage") or code
                self._failed_attempt(outcome, record, code, message, duration, now)
            else:
                record.attempts.append(Attempt(duration, True))
                outcome.succeeded.append((record, result["ShardId"], result["SequenceNumber"]))
        return outcome

    def on_exception(
        self, batch: Sequence[KinesisRecord], exc: BaseException, duration: float, now: float
    ) -> Outcome:
        """Decide after the whole call failed."""
        code, message, retryable = classify_exception(exc)
        outcome = Outcome()
        for record in batch:
            self._failed_attempt(outcome, record, code, message, duration, now, retryable)
        return outcome

    def _failed_attempt(
        self,
        outcome: Outcome,
        record: KinesisRecord,
        code: str,
        message: str,
        duration: float,
        now: float,
        retryable: bool | None = None,
    ) -> None:
        record.attempts.append(Attempt(duration, False, code, message))
        if retryable is None:
            retryable = code in RETRYABLE_ERROR_CODES
        if self.policy.fail_if_throttled and code in THROTTLING_ERROR_CODES:
            retryable = False
        if retryable:
            if code in THROTTLING_ERROR_CODES and record.shard_id is not None:
                # The shard's limiter paces what goes to it, earliest deadline first: a
                # throttled record goes back to it soon and keeps its place there, instead
                # of waiting out a growing backoff while newer records take the shard.
                delay = self.policy.backoff(1, self._rng)
            else:
                failures = sum(1 for attempt in record.attempts if not attempt.success)
                delay = self.policy.backoff(failures, self._rng)
            if now + delay < record.deadline:
                outcome.retry.append((record, delay))
                return
        outcome.failed.append(record)
