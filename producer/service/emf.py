"""The producer's own metrics in CloudWatch: a log line a minute in the embedded metric format.

The line is one of the service's JSON log lines (logger ``producer.cloudwatch``, message
``metrics``), written whatever LOG_LEVEL says.
The task's log goes to CloudWatch Logs (the awslogs driver); a JSON line with an ``_aws``
member there becomes metric data points, with no agent and no API call. The namespace,
dimension and names are those the stack's dashboard and alarms read
(``modules/observability.py``; a test checks the two agree). Counters are sent as what was
added since the previous line, so that CloudWatch's Sum over a minute is the minute's count;
histograms as the mean since the previous line. The metrics are the KPL's, as far as they
apply: user records received, put, pending, failed, lost and unconfirmed, buffering time,
PutRecords latency, retries, refusals, the spool. Failures and retries by error code and
refusals by reason go out as lines of their own (:meth:`EmfReporter.lines`), with an
``ErrorCode`` or ``Reason`` dimension, like the KPL's ``ErrorsByCode``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry

from ..logs import EMF_FIELD

#: Its lines go out at any LOG_LEVEL (``logs.configure_logging`` sets its level).
METRICS_LOG = logging.getLogger("producer.cloudwatch")

NAMESPACE = "KinesisProducer"
DIMENSION = "StreamName"
_P = "kinesis_producer_"
#: CloudWatch metric -> (Prometheus counter sample, unit); they go out as increments, summed
#: over the sample's labels (the per-label increments go out too, see :data:`BY_LABEL`).
COUNTERS: Mapping[str, tuple[str, str]] = {
    "UserRecordsReceived": (f"{_P}user_records_received_total", "Count"),
    "UserRecordsPut": (f"{_P}user_records_put_total", "Count"),
    "KinesisRecordsPut": (f"{_P}kinesis_records_put_total", "Count"),
    "UserRecordsFailed": (f"{_P}user_records_failed_total", "Count"),
    "RecordsRefused": (f"{_P}user_records_refused_total", "Count"),
    "Retries": (f"{_P}retries_total", "Count"),
    "RecordsSpooled": (f"{_P}user_records_spooled_total", "Count"),
    "RecordsReplayed": (f"{_P}user_records_replayed_total", "Count"),
    "RecordsLost": (f"{_P}user_records_lost_total", "Count"),
    "RecordsUnconfirmed": (f"{_P}user_records_unconfirmed_total", "Count"),
}
#: Gauges, as they are when the line is written; one the registry lacks is left out
#: (``SpoolBytes`` without a spool).
GAUGES: Mapping[str, tuple[str, str]] = {
    "UserRecordsPending": (f"{_P}outstanding_user_records", "Count"),
    "SpoolBytes": (f"{_P}spool_bytes", "Bytes"),
    "SpoolOldestRecordAge": (f"{_P}spool_oldest_record_age_seconds", "Seconds"),
}
#: Histograms (seconds), as the mean of what was observed since the previous line, in
#: milliseconds; left out when nothing was.
AVERAGES: Mapping[str, str] = {
    "BufferingTime": f"{_P}buffering_seconds",
    "PutRecordsLatency": f"{_P}put_records_seconds",
}
#: Counters also sent per label value, each in a line of its own with that dimension
#: (CloudWatch metric -> dimension, Prometheus label): like the KPL's ``ErrorsByCode``.
BY_LABEL: Mapping[str, tuple[str, str]] = {
    "UserRecordsFailed": ("ErrorCode", "error_code"),
    "Retries": ("ErrorCode", "error_code"),
    "RecordsRefused": ("Reason", "reason"),
}
#: Every metric of the main line.
METRIC_NAMES = (*COUNTERS, *GAUGES, *AVERAGES)

_Samples = dict[str, dict[tuple[tuple[str, str], ...], float]]


class EmfReporter:
    """Builds the metric lines of one stream from a Prometheus registry."""

    def __init__(self, registry: CollectorRegistry, stream_name: str) -> None:
        self._registry = registry
        self._stream = stream_name
        self._last: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self._extra: list[dict[str, Any]] = []

    def _samples(self) -> _Samples:
        samples: _Samples = {}
        for family in self._registry.collect():
            for sample in family.samples:
                labels = tuple(sorted(sample.labels.items()))
                samples.setdefault(sample.name, {})[labels] = sample.value
        return samples

    def _increment(self, name: str, labels: tuple[tuple[str, str], ...], total: float) -> float:
        key = (name, labels)
        increment = max(0.0, total - self._last.get(key, 0.0))
        self._last[key] = total
        return increment

    def fields(self, now: float | None = None) -> dict[str, Any]:
        """The next line's fields (``logs.EMF_FIELD`` is written as ``_aws``): counter
        increments since the last one, gauges as they are now, histogram means since the last
        one. The per-label lines of the same period are kept for :meth:`lines`.
        """
        timestamp = int((time.time() if now is None else now) * 1000)
        samples = self._samples()
        values: dict[str, float] = {}
        units: dict[str, str] = {}
        by_label: dict[tuple[str, str], dict[str, float]] = {}
        for metric, (sample, unit) in COUNTERS.items():
            found = samples.get(sample, {})
            values[metric] = self._increment(sample, (), sum(found.values()))
            units[metric] = unit
            if metric in BY_LABEL:
                dimension, label = BY_LABEL[metric]
                for labels, total in found.items():
                    increment = self._increment(sample, labels, total)
                    value = dict(labels).get(label)
                    if increment and value is not None:
                        by_label.setdefault((dimension, value), {})[metric] = increment
        for metric, (sample, unit) in GAUGES.items():
            if () in samples.get(sample, {}):
                values[metric] = samples[sample][()]
                units[metric] = unit
        for metric, histogram in AVERAGES.items():
            total = samples.get(f"{histogram}_sum", {}).get((), 0.0)
            count = samples.get(f"{histogram}_count", {}).get((), 0.0)
            total = self._increment(f"{histogram}_sum", (), total)
            count = self._increment(f"{histogram}_count", (), count)
            if count:
                values[metric] = round(total / count * 1000, 3)
                units[metric] = "Milliseconds"
        self._extra = [
            self._line(timestamp, increments, [DIMENSION, dimension], {dimension: value})
            for (dimension, value), increments in by_label.items()
        ]
        return self._line(timestamp, values, [DIMENSION], {}, units)

    def lines(self, now: float | None = None) -> list[dict[str, Any]]:
        """Every line of the period: :meth:`fields`, then one per error code and refusal
        reason seen since the previous period, with that dimension."""
        main = self.fields(now)
        return [main, *self._extra]

    def _line(
        self,
        timestamp: int,
        values: Mapping[str, float],
        dimensions: list[str],
        dimension_values: Mapping[str, str],
        units: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        return {
            EMF_FIELD: {
                "Timestamp": timestamp,
                "CloudWatchMetrics": [
                    {
                        "Namespace": NAMESPACE,
                        "Dimensions": [dimensions],
                        "Metrics": [
                            {"Name": name, "Unit": (units or {}).get(name, "Count")}
                            for name in values
                        ],
                    }
                ],
            },
            DIMENSION: self._stream,
            **dimension_values,
            **values,
        }
