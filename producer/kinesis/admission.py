"""Admission of user records: whether a batch may be taken, and the refusal if not.

One :class:`Admission` per producer decides for every caller: the
:class:`~producer.kinesis.core.KinesisProducer` in its own process, the
:class:`~producer.process.front.ProducerProcess` in front of one running in another, and the HTTP
service before it reads a body. A batch of ``count`` records of ``size`` bytes is refused,
in this order:

* ``closed`` (:class:`ProducerClosedError`) once the producer is closing;
* ``back_pressure`` (:class:`BackPressureError`) beyond MaxOutstandingRecords or
  MaxOutstandingBytes (the configured limits);
* the readiness cause of the producer's status (:class:`UnavailableError`), when it has one;
* ``overloaded`` (:class:`UnavailableError`) beyond the admission bound: what Kinesis is
  expected to take within a share of RecordTtl, measured by the producer.

Each refusal is counted in ``user_records_refused_total{reason}``. The bound itself is
:func:`admission_bound`, computed by the producer from what it measured (:class:`Delivery`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .config import ProducerConfig
from .health import OVERLOADED, Status
from .limiter import MIN_SHARE, SHARD_BYTES_PER_SECOND, SHARD_RECORDS_PER_SECOND
from .metrics import AdmissionMetrics
from .records import (
    BackPressureError,
    ProducerClosedError,
    ProducerError,
    RecordTooLargeError,
    UnavailableError,
    check_user_record,
)


class Admission:
    """The limits of one producer, its current admission bound, and its refusals."""

    def __init__(self, config: ProducerConfig, metrics: AdmissionMetrics) -> None:
        self.max_records = config.max_outstanding_records
        self.max_bytes = config.max_outstanding_bytes
        self.metrics = metrics
        self._ttl = config.record_ttl_ms / 1000
        #: (records, bytes) outstanding that Kinesis is expected to take within a share of
        #: RecordTtl: beyond, records are refused as overloaded. Set by the producer's
        #: assessments (in front of a producer process: by its reports).
        self.bound = (self.max_records, self.max_bytes)

    def check_record(
        self, partition_key: str, data: bytes, explicit_hash_key: str | None
    ) -> tuple[bytes, bytes, int]:
        """:func:`~producer.kinesis.records.check_user_record`, counting a record too large for
        Kinesis as refused."""
        try:
            return check_user_record(partition_key, data, explicit_hash_key)
        except RecordTooLargeError:
            self.metrics.user_records_refused.labels("too_large").inc()
            raise

    def check(
        self,
        records: int,
        held: int,
        count: int,
        size: int,
        closing: bool,
        status: Status | None,
    ) -> None:
        """Raise the refusal of ``count`` records of ``size`` bytes, with ``records`` records
        of ``held`` bytes outstanding, if they may not be taken (counting it).

        ``status``: the producer's; None to check the limits only (the records were admitted
        by a front against its status and bound a moment ago).
        """
        if closing or records + count > self.max_records or held + size > self.max_bytes:
            raise self._refusal(closing, records, held, count)
        if status is None:
            return
        if status.cause is not None:
            raise self.unavailable(status, count)
        bound = self.bound
        if records + count > bound[0] or held + size > bound[1]:
            self.metrics.user_records_refused.labels(OVERLOADED).inc(count)
            raise UnavailableError(
                OVERLOADED,
                f"Kinesis takes about {bound[0]} records ({bound[1]} bytes) in a quarter of "
                f"the RecordTtl of {self._ttl:g} s, and that many are outstanding",
            )

    def fits(self, records: int, held: int, count: int, size: int) -> bool:
        """Whether ``count`` more records of ``size`` bytes stay within the configured limits,
        with ``records`` records of ``held`` bytes outstanding (nothing is counted)."""
        return records + count <= self.max_records and held + size <= self.max_bytes

    def back_pressure_error(self, records: int, held: int) -> BackPressureError:
        """The error for records refused beyond the limits (not counted here)."""
        return BackPressureError(
            f"{records} user records ({held} bytes) are outstanding; the bound is "
            f"{self.max_records} records and {self.max_bytes} bytes"
        )

    def unavailable(self, status: Status, count: int) -> UnavailableError:
        """The refusal of ``count`` records for ``status``'s cause, counted."""
        cause = status.cause or "unknown"
        self.metrics.user_records_refused.labels(cause).inc(count)
        return UnavailableError(cause, status.message, status.error_code)

    def _refusal(self, closing: bool, records: int, held: int, count: int) -> ProducerError:
        if closing:
            self.metrics.user_records_refused.labels("closed").inc(count)
            return ProducerClosedError("the producer is closing")
        self.metrics.user_records_refused.labels("back_pressure").inc(count)
        return self.back_pressure_error(records, held)


# The bound ------------------------------------------------------------------------------------

#: Seconds between the producer's assessments of its backlog against what Kinesis takes.
ASSESS_INTERVAL = 0.25
#: Assessments over which the delivery rate is measured.
RATE_SAMPLES = 8
#: Admission refuses a record once the backlog ahead of it would take longer than this share
#: of RecordTtl to put (the rest is left for retries and the put itself).
OVERLOAD_SHARE = 0.25


class DeliveryRate:
    """What a producer put lately: records and bytes per second over the last
    :data:`RATE_SAMPLES` assessments.

    The rate is taken over the whole span even while the samples fill: a first burst that the
    limiter lets through at once is not a rate.
    """

    def __init__(self) -> None:
        self._samples: deque[tuple[int, int]] = deque(maxlen=RATE_SAMPLES)

    def sample(self, records_put: int, bytes_put: int) -> tuple[float, float]:
        """Add the totals put so far; returns (records, bytes) per second."""
        samples = self._samples
        samples.append((records_put, bytes_put))
        span = (RATE_SAMPLES - 1) * ASSESS_INTERVAL
        return (
            (samples[-1][0] - samples[0][0]) / span,
            (samples[-1][1] - samples[0][1]) / span,
        )


@dataclass(frozen=True)
class Delivery:
    """What a producer knows at an assessment of what Kinesis takes."""

    #: Open shards of the stream.
    shards: int
    #: The share of the shards' limits that the limiter lets through now (1.0: all of them,
    #: less while shards throttle), times the configured RateLimit.
    share: float
    #: (records, bytes) put per second lately (:class:`DeliveryRate`).
    put_rate: tuple[float, float]
    #: Throttling, expiry or every connection busy since the last assessment.
    saturated: bool
    #: Seconds the oldest outstanding record has waited.
    lag: float
    #: Records go to the spool, not to Kinesis (it does not answer, and there is a spool):
    #: nothing waits in memory for Kinesis, and the limits stand.
    spooling: bool = False


def admission_bound(config: ProducerConfig, delivery: Delivery) -> tuple[int, int]:
    """The (records, bytes) outstanding that Kinesis is expected to take within
    :data:`OVERLOAD_SHARE` of RecordTtl: admission refuses beyond it, so that overload turns
    into back-pressure (503) instead of expiry.

    What Kinesis takes is what the producer put lately, at least a floor (the share of the
    limits a producer sharing its shards falls back to) while nothing says it takes less, and
    at most the limits. Throttling, expiry, busy connections or a backlog older than half the
    window say it takes less: then the floor goes. A backlog older than the window also shows
    that the estimate ran ahead of Kinesis: the bound shrinks in proportion until the backlog
    catches up. (Aggregated, records are not limited by count: only bytes bind.)
    """
    window = config.record_ttl_ms / 1000 * OVERLOAD_SHARE
    byte_rate = delivery.shards * SHARD_BYTES_PER_SECOND * delivery.share
    aggregated = config.aggregation_enabled
    record_rate = (
        float(config.max_outstanding_records)
        if aggregated
        else delivery.shards * SHARD_RECORDS_PER_SECOND * delivery.share
    )
    if not delivery.spooling:
        lag = delivery.lag
        saturated = delivery.saturated or lag > window / 2
        put_records, put_bytes = delivery.put_rate
        floor = 0.0 if saturated else MIN_SHARE
        byte_rate = min(byte_rate, max(put_bytes, byte_rate * floor))
        if not aggregated:
            record_rate = min(record_rate, max(put_records, record_rate * floor))
        if lag > window:
            byte_rate *= window / lag
            record_rate *= window / lag
    return (
        min(config.max_outstanding_records, int(record_rate * window)),
        min(config.max_outstanding_bytes, int(byte_rate * window)),
    )
