"""Admission of user records: whether a batch may be taken, and the refusal if not.

One :class:`Admission` per producer decides for every caller: the
:class:`~producer.core.KinesisProducer` in its own process, the
:class:`~producer.front.ProducerProcess` in front of one running in another, and the HTTP
service before it reads a body. A batch of ``count`` records of ``size`` bytes is refused,
in this order:

* ``closed`` (:class:`ProducerClosedError`) once the producer is closing;
* ``back_pressure`` (:class:`BackPressureError`) beyond MaxOutstandingRecords or
  MaxOutstandingBytes (the configured limits);
* the readiness cause of the producer's status (:class:`UnavailableError`), when it has one;
* ``overloaded`` (:class:`UnavailableError`) beyond the admission bound: what Kinesis is
  expected to take within a share of RecordTtl, measured by the producer.

Each refusal is counted in ``user_records_refused_total{reason}``.
"""

from __future__ import annotations

from .config import ProducerConfig
from .health import OVERLOADED, Status
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
        """:func:`~producer.records.check_user_record`, counting a record too large for
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
            raise self._unavailable(status, count)
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

    def _unavailable(self, status: Status, count: int) -> UnavailableError:
        cause = status.cause or "unknown"
        self.metrics.user_records_refused.labels(cause).inc(count)
        return UnavailableError(cause, status.message, status.error_code)

    def _refusal(self, closing: bool, records: int, held: int, count: int) -> ProducerError:
        if closing:
            self.metrics.user_records_refused.labels("closed").inc(count)
            return ProducerClosedError("the producer is closing")
        self.metrics.user_records_refused.labels("back_pressure").inc(count)
        return self.back_pressure_error(records, held)
