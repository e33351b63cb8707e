"""The producer's CloudWatch metrics: embedded-metric-format lines on stdout."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from producer_support import ServiceProcess, http, wait_until
from prometheus_client import CollectorRegistry, Counter, Gauge

from producer.emf import COUNTERS, DIMENSION, GAUGES, NAMESPACE, EmfReporter


def test_counters_go_out_as_increments_and_gauges_as_they_are() -> None:
    registry = CollectorRegistry()
    spooled = Counter("kinesis_producer_user_records_spooled", "", registry=registry)
    lost = Counter("kinesis_producer_user_records_lost", "", registry=registry)
    spool = Gauge("kinesis_producer_spool_bytes", "", registry=registry)
    reporter = EmfReporter(registry, "my-stream")
    spooled.inc(5)
    spool.set(4096)
    first = reporter.fields(now=1_700_000_000.5)
    assert first["aws_emf"]["Timestamp"] == 1_700_000_000_500
    (directive,) = first["aws_emf"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "KinesisProducer"
    assert directive["Dimensions"] == [["StreamName"]]
    units = {metric["Name"]: metric["Unit"] for metric in directive["Metrics"]}
    assert units == {
        "RecordsSpooled": "Count",
        "RecordsReplayed": "Count",
        "RecordsLost": "Count",
        "SpoolBytes": "Bytes",
    }
    assert first["StreamName"] == "my-stream"
    assert (first["RecordsSpooled"], first["RecordsLost"], first["SpoolBytes"]) == (5, 0, 4096)
    spooled.inc(2)
    lost.inc(1)
    spool.set(0)
    second = reporter.fields()
    assert (second["RecordsSpooled"], second["RecordsLost"], second["SpoolBytes"]) == (2, 1, 0)
    assert reporter.fields()["RecordsSpooled"] == 0


def test_without_a_spool_there_is_no_spool_bytes() -> None:
    document = EmfReporter(CollectorRegistry(), "s").fields()
    (directive,) = document["aws_emf"]["CloudWatchMetrics"]
    assert [metric["Name"] for metric in directive["Metrics"]] == list(COUNTERS)
    assert "SpoolBytes" not in document


def test_the_dashboard_reads_what_the_producer_writes() -> None:
    from modules.observability import PRODUCER_METRICS, PRODUCER_NAMESPACE

    assert NAMESPACE == PRODUCER_NAMESPACE
    assert DIMENSION == "StreamName"  # the alarms' and widgets' dimension
    assert sorted(PRODUCER_METRICS) == sorted([*COUNTERS, *GAUGES])


def test_the_service_writes_a_metrics_line_a_period(
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
    tmp_path: Path,
) -> None:
    stream = make_stream(1)
    service = start_service(
        stream, METRICS_LOG_INTERVAL_MS="300", SPOOL_DIR=str(tmp_path / "spool")
    )
    for index in range(20):
        status, _, _ = http("POST", f"{service.url}/", json.dumps({"data": f"r{index}"}))
        assert status == 200

    def lines() -> list[dict[str, Any]]:
        return [line for line in service.log_lines() if "_aws" in line]

    wait_until(lambda: len(lines()) >= 2, 30, "two metrics lines")
    code, _ = service.terminate()
    assert code == 0, service.log()
    found = lines()
    for line in found:
        assert (line["logger"], line["message"]) == ("producer.cloudwatch", "metrics")
        assert line["StreamName"] == stream
        assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "KinesisProducer"
        assert line["RecordsLost"] == 0
        assert line["SpoolBytes"] >= 0
    # The last line is written at exit.
    assert found[-1] == lines()[-1]
