"""The producer's CloudWatch metrics: embedded-metric-format lines on stdout."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from producer_support import ServiceProcess, http, wait_until
from prometheus_client import CollectorRegistry, Counter, Gauge

from producer.kinesis.metrics import ProducerMetrics
from producer.service.emf import (
    AVERAGES,
    COUNTERS,
    DIMENSION,
    GAUGES,
    METRIC_NAMES,
    NAMESPACE,
    EmfReporter,
)


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
    assert units == {**dict.fromkeys(COUNTERS, "Count"), "SpoolBytes": "Bytes"}
    assert {"RecordsLost", "RecordsUnconfirmed", "RecordsSpooled"} <= set(units)
    assert first["StreamName"] == "my-stream"
    assert (first["RecordsSpooled"], first["RecordsLost"], first["SpoolBytes"]) == (5, 0, 4096)
    spooled.inc(2)
    lost.inc(1)
    spool.set(0)
    second = reporter.fields()
    assert (second["RecordsSpooled"], second["RecordsLost"], second["SpoolBytes"]) == (2, 1, 0)
    assert reporter.fields()["RecordsSpooled"] == 0


def test_the_kpl_metrics_labels_and_means() -> None:
    """Counters summed over their labels, and per label in lines of their own; histograms as
    the mean of the period, in milliseconds; the pending gauge."""
    registry = CollectorRegistry()
    metrics = ProducerMetrics(registry)
    metrics.watch_outstanding(lambda: 7, lambda: 700)
    metrics.watch_spool(lambda: 4096, lambda: 12.5)
    reporter = EmfReporter(registry, "s")
    metrics.counts.received += 10
    metrics.counts.unconfirmed += 2
    metrics.user_records_failed.labels("Expired").inc(3)
    metrics.user_records_failed.labels("AccessDeniedException").inc(1)
    metrics.retries.labels("ProvisionedThroughputExceededException").inc(5)
    metrics.user_records_refused.labels("overloaded").inc(4)
    metrics.put_records_seconds.observe(0.1)
    metrics.put_records_seconds.observe(0.3)
    main, *by_label = reporter.lines(now=1.0)
    assert (main["UserRecordsReceived"], main["RecordsUnconfirmed"]) == (10, 2)
    assert (main["UserRecordsFailed"], main["Retries"], main["RecordsRefused"]) == (4, 5, 4)
    assert (main["UserRecordsPending"], main["SpoolBytes"]) == (7, 4096)
    assert main["SpoolOldestRecordAge"] == 12.5
    assert main["PutRecordsLatency"] == 200.0 and "BufferingTime" not in main
    units = {m["Name"]: m["Unit"] for m in main["aws_emf"]["CloudWatchMetrics"][0]["Metrics"]}
    assert units["PutRecordsLatency"] == "Milliseconds"
    assert units["SpoolOldestRecordAge"] == "Seconds"
    lines = {
        (line.get("ErrorCode"), line.get("Reason")): (
            line["aws_emf"]["CloudWatchMetrics"][0]["Dimensions"],
            {k: line[k] for k in ("UserRecordsFailed", "Retries", "RecordsRefused") if k in line},
        )
        for line in by_label
    }
    assert lines == {
        ("Expired", None): ([["StreamName", "ErrorCode"]], {"UserRecordsFailed": 3}),
        ("AccessDeniedException", None): (
            [["StreamName", "ErrorCode"]],
            {"UserRecordsFailed": 1},
        ),
        ("ProvisionedThroughputExceededException", None): (
            [["StreamName", "ErrorCode"]],
            {"Retries": 5},
        ),
        (None, "overloaded"): ([["StreamName", "Reason"]], {"RecordsRefused": 4}),
    }
    metrics.user_records_failed.labels("Expired").inc(1)
    main, *by_label = reporter.lines(now=2.0)
    assert main["UserRecordsFailed"] == 1 and main["RecordsRefused"] == 0
    assert "PutRecordsLatency" not in main  # nothing observed this period
    assert [line["ErrorCode"] for line in by_label] == ["Expired"]


def test_without_a_spool_there_is_no_spool_bytes() -> None:
    document = EmfReporter(CollectorRegistry(), "s").fields()
    (directive,) = document["aws_emf"]["CloudWatchMetrics"]
    assert [metric["Name"] for metric in directive["Metrics"]] == list(COUNTERS)
    assert "SpoolBytes" not in document


def test_the_dashboard_reads_what_the_producer_writes() -> None:
    from modules.observability import PRODUCER_METRICS, PRODUCER_NAMESPACE

    assert NAMESPACE == PRODUCER_NAMESPACE
    assert DIMENSION == "StreamName"  # the alarms' and widgets' dimension
    assert sorted(PRODUCER_METRICS) == sorted(METRIC_NAMES)
    assert set(METRIC_NAMES) == {*COUNTERS, *GAUGES, *AVERAGES}


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
        assert line["SpoolOldestRecordAge"] >= 0
    # The last line is written at exit.
    assert found[-1] == lines()[-1]


def test_the_service_writes_the_lines_by_error_code_too(caplog: pytest.LogCaptureFixture) -> None:
    from producer.service.app import _write_metrics
    from producer.service.emf import METRICS_LOG

    registry = CollectorRegistry()
    metrics = ProducerMetrics(registry)
    metrics.user_records_failed.labels("Expired").inc(2)
    with caplog.at_level("INFO", logger=METRICS_LOG.name):
        _write_metrics(EmfReporter(registry, "s"))
    written = [record for record in caplog.records if record.name == METRICS_LOG.name]
    assert len(written) == 2
    fields = vars(written[1])
    assert (fields["ErrorCode"], fields["UserRecordsFailed"]) == ("Expired", 2)
