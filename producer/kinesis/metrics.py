"""Prometheus metrics of the producer (and of the HTTP service in front of it).

Each producer registers its metrics in its own registry, so several can live in one process
(tests do). Per-user-record observations would cost more than the rest of the hot path, so
histograms are observed per Kinesis record and per ``PutRecords`` call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

#: The prefix of every metric name of the producer (and of its HTTP service).
PREFIX = "kinesis_producer"

#: Seconds; from 1 ms to 30 s (RecordTtl).
_LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    30.0,
)  # fmt: skip


class Counts:
    """Counters bumped once or more per user record.

    A ``prometheus_client.Counter`` takes a lock on every increment, which measured as a
    noticeable share of the per-record cost; the event loop is single-threaded, so plain
    integers do, read by :class:`_CountsCollector` when scraped.

    Every user record answered 200 (added without a future) that does not end put or spooled
    ends in exactly one of ``lost`` and ``unconfirmed``:

    * ``lost``: known not to be in the stream: it expired or was closed before any put of it
      was sent, or every put of it was answered, the last with a failure for good;
    * ``unconfirmed``: a put of it went unanswered (a timeout, a connection closed or reset
      after the request was sent), then it expired or failed: it may be in the stream.

    ``in_doubt`` is no counter: the user records answered 200, not read back from the spool,
    still held, that may be in the stream (a put of them is out, or went unanswered). The
    producer process reports it before each put, so that the HTTP process, if this process
    dies, knows how many of the records it held may have landed.
    """

    __slots__ = (
        "in_doubt",
        "kinesis_put",
        "lost",
        "put",
        "received",
        "replayed",
        "spooled",
        "unconfirmed",
    )

    def __init__(self) -> None:
        self.received = 0
        self.put = 0
        self.kinesis_put = 0
        self.lost = 0
        self.unconfirmed = 0
        self.spooled = 0
        self.replayed = 0
        self.in_doubt = 0

    def totals(self) -> CountTotals:
        """The counters now, in the order of :data:`COUNT_NAMES`."""
        return (
            self.received,
            self.put,
            self.kinesis_put,
            self.lost,
            self.unconfirmed,
            self.spooled,
            self.replayed,
        )


#: :meth:`Counts.totals`: received, put, kinesis_put, lost, unconfirmed, spooled, replayed.
CountTotals = tuple[int, int, int, int, int, int, int]
COUNT_NAMES = ("received", "put", "kinesis_put", "lost", "unconfirmed", "spooled", "replayed")
_COUNT_HELP = {
    "received": ("user_records_received", "User records accepted for sending."),
    "put": ("user_records_put", "User records Kinesis confirmed."),
    "kinesis_put": (
        "kinesis_records_put",
        "Kinesis records (aggregated or not) Kinesis confirmed.",
    ),
    "lost": (
        "user_records_lost",
        "User records answered 200 (added without a result awaited), neither put nor "
        "spooled, and known not to be in the stream: expired or closed before a put was "
        "sent, refused by Kinesis for good, or held by a producer process that died before "
        "sending them.",
    ),
    "unconfirmed": (
        "user_records_unconfirmed",
        "User records answered 200, neither put nor spooled, that may be in the stream "
        "anyway: a put of them went unanswered (timeout, connection closed after the "
        "request was sent), or was out when the producer process died.",
    ),
    "spooled": (
        "user_records_spooled",
        "User records written to the disk spool (not put within RecordTtl, or Kinesis "
        "not answering).",
    ),
    "replayed": (
        "user_records_replayed",
        "User records read back from the disk spool to be put again.",
    ),
}
#: The names of the families :func:`count_families` yields.
COUNT_FAMILIES = frozenset(f"{PREFIX}_{name}" for name, _ in _COUNT_HELP.values())


def count_families(totals: CountTotals) -> Iterator[CounterMetricFamily]:
    """The counters of :class:`Counts` as Prometheus families, from their ``totals()``."""
    for key, value in zip(COUNT_NAMES, totals, strict=True):
        name, documentation = _COUNT_HELP[key]
        yield CounterMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


class _CountsCollector(Collector):
    def __init__(self, counts: Counts) -> None:
        self._counts = counts

    def collect(self) -> Iterator[CounterMetricFamily]:
        return count_families(self._counts.totals())


class AdmissionMetrics:
    """What admission reports (see :class:`~producer.kinesis.admission.Admission`): refusals and
    what is outstanding.

    The producer process's own copies are left out of the service's metrics page
    (:data:`ADMISSION_FAMILIES`): the HTTP process admits records and reports these itself.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.user_records_refused = Counter(
            f"{PREFIX}_user_records_refused",
            "User records refused before buffering, by reason.",
            ["reason"],
            registry=registry,
        )
        self._outstanding_records = Gauge(
            f"{PREFIX}_outstanding_user_records",
            "User records accepted and neither put nor failed yet.",
            registry=registry,
        )
        self._outstanding_bytes = Gauge(
            f"{PREFIX}_outstanding_bytes",
            "Bytes (data plus partition key) of the outstanding user records.",
            registry=registry,
        )

    def watch_outstanding(self, records: Callable[[], float], size: Callable[[], float]) -> None:
        """Read the outstanding gauges from their owner when scraped."""
        self._outstanding_records.set_function(records)
        self._outstanding_bytes.set_function(size)


#: Names of the metric families :class:`AdmissionMetrics` reports.
ADMISSION_FAMILIES = frozenset(
    {
        f"{PREFIX}_user_records_refused",
        f"{PREFIX}_outstanding_user_records",
        f"{PREFIX}_outstanding_bytes",
    }
)


class ProducerMetrics:
    """The producer's counters, gauges and histograms, registered in ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.counts = Counts()
        registry.register(_CountsCollector(self.counts))
        self.user_records_failed = Counter(
            f"{PREFIX}_user_records_failed",
            "User records that could not be put, by the last error code.",
            ["error_code"],
            registry=registry,
        )
        self.admission = AdmissionMetrics(registry)
        self.user_records_refused = self.admission.user_records_refused
        self.put_records_calls = Counter(
            f"{PREFIX}_put_records_calls",
            "PutRecords calls, by outcome (success: the call returned, even if some entries "
            "failed; error: the call itself failed).",
            ["outcome"],
            registry=registry,
        )
        self.retries = Counter(
            f"{PREFIX}_retries",
            "Kinesis records scheduled to be put again, by error code.",
            ["error_code"],
            registry=registry,
        )
        self.shard_map_loads = Counter(
            f"{PREFIX}_shard_map_loads",
            "Times the shard map was loaded.",
            registry=registry,
        )
        self.split_calls = Counter(
            f"{PREFIX}_split_put_records_calls",
            "PutRecords calls split in two (or an aggregate into its user records) after a "
            "request-level InvalidArgumentException, to isolate the offending record.",
            registry=registry,
        )
        self.misplaced_kinesis_records = Counter(
            f"{PREFIX}_misplaced_kinesis_records",
            "Kinesis records that landed in another shard than predicted (resharding).",
            registry=registry,
        )
        self.buffering_seconds = Histogram(
            f"{PREFIX}_buffering_seconds",
            "Time from the arrival of the oldest user record in a Kinesis record to its first "
            "PutRecords call.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.put_records_seconds = Histogram(
            f"{PREFIX}_put_records_seconds",
            "Duration of PutRecords calls.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.user_records_per_put_records = Histogram(
            f"{PREFIX}_user_records_per_put_records",
            "User records carried by one PutRecords call.",
            buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000),
            registry=registry,
        )

    def watch_outstanding(self, records: Callable[[], float], size: Callable[[], float]) -> None:
        """Read the outstanding gauges from the producer when scraped."""
        self.admission.watch_outstanding(records, size)

    def watch_spool(
        self, size: Callable[[], float], oldest_age: Callable[[], float] | None = None
    ) -> None:
        """Read the spool's gauges from it when scraped: its bytes, and (given a way to
        tell) the age of its oldest record."""
        Gauge(
            f"{PREFIX}_spool_bytes",
            "Bytes in the disk spool (records waiting to be put again).",
            registry=self.registry,
        ).set_function(size)
        if oldest_age is not None:
            Gauge(
                f"{PREFIX}_spool_oldest_record_age_seconds",
                "Seconds since the oldest record in the disk spool was spooled (0: empty).",
                registry=self.registry,
            ).set_function(oldest_age)
