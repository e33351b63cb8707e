"""The producer's own metrics in CloudWatch: a log line a minute in the embedded metric format.

The line is one of the service's JSON log lines (logger ``producer.cloudwatch``, message
``metrics``), written whatever LOG_LEVEL says.
The task's log goes to CloudWatch Logs (the awslogs driver); a JSON line with an ``_aws``
member there becomes metric data points, with no agent and no API call. The namespace,
dimension and names are those the stack's dashboard and alarms read
(``modules/observability.py``; a test checks the two agree). Counters are sent as what was
added since the previous line, so that CloudWatch's Sum over a minute is the minute's count.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry

from .logs import EMF_FIELD

#: Its lines go out at any LOG_LEVEL (``logs.configure_logging`` sets its level).
METRICS_LOG = logging.getLogger("producer.cloudwatch")

NAMESPACE = "KinesisProducer"
DIMENSION = "StreamName"
#: CloudWatch metric -> (Prometheus sample, unit); counters go out as increments.
COUNTERS: Mapping[str, tuple[str, str]] = {
    "RecordsSpooled": ("kinesis_producer_user_records_spooled_total", "Count"),
    "RecordsReplayed": ("kinesis_producer_user_records_replayed_total", "Count"),
    "RecordsLost": ("kinesis_producer_user_records_lost_total", "Count"),
}
GAUGES: Mapping[str, tuple[str, str]] = {
    "SpoolBytes": ("kinesis_producer_spool_bytes", "Bytes"),
}


class EmfReporter:
    """Builds the metric lines of one stream from a Prometheus registry."""

    def __init__(self, registry: CollectorRegistry, stream_name: str) -> None:
        self._registry = registry
        self._stream = stream_name
        self._last: dict[str, float] = {}

    def _value(self, sample: str) -> float | None:
        return self._registry.get_sample_value(sample)

    def fields(self, now: float | None = None) -> dict[str, Any]:
        """The next line's fields (``logs.EMF_FIELD`` is written as ``_aws``): counter
        increments since the last one, gauges as they are now. A gauge the registry does not
        have (``SpoolBytes`` without a spool) is left out.
        """
        values: dict[str, float] = {}
        units: dict[str, str] = {}
        for metric, (sample, unit) in COUNTERS.items():
            total = self._value(sample) or 0.0
            values[metric] = max(0.0, total - self._last.get(metric, 0.0))
            self._last[metric] = total
            units[metric] = unit
        for metric, (sample, unit) in GAUGES.items():
            value = self._value(sample)
            if value is not None:
                values[metric] = value
                units[metric] = unit
        return {
            EMF_FIELD: {
                "Timestamp": int((time.time() if now is None else now) * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": NAMESPACE,
                        "Dimensions": [[DIMENSION]],
                        "Metrics": [{"Name": name, "Unit": units[name]} for name in values],
                    }
                ],
            },
            DIMENSION: self._stream,
            **values,
        }
