"""Every record answered 200 and not in the stream is counted once: lost, or unconfirmed.

``user_records_lost`` counts the records known not to be in the stream (expired before a put,
refused for good, held by a producer process that died before sending them);
``user_records_unconfirmed`` those that failed after a put of them went unanswered, which may
be in the stream. Each test reads the stream back and checks the counters against the ids
missing from it, over the wire (moto's server behind the fault proxy).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fault_proxy import FaultProxy
from producer_support import ServiceProcess, http, producer_pids, read_stream, wait_until

LOST = "kinesis_producer_user_records_lost_total"
UNCONFIRMED = "kinesis_producer_user_records_unconfirmed_total"
RECEIVED = "kinesis_producer_user_records_received_total"
PUT = "kinesis_producer_user_records_put_total"
OUTSTANDING = "kinesis_producer_outstanding_user_records"


class Load:
    """A client thread posting records (one per request) until stopped; it keeps the data of
    each answered 200."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acknowledged: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        while not self._stop.is_set():
            data = f"load-{uuid.uuid4()}"
            try:
                status, _, _ = http("POST", f"{self.url}/", json.dumps({"data": data}))
            except OSError:
                continue
            if status == 200:
                self.acknowledged.append(data.encode())
            else:
                self._stop.wait(0.02)


def post(service: ServiceProcess, data: str, key: str | None = None, wait: bool = False) -> int:
    record = {"data": data} if key is None else {"data": data, "partitionKey": key}
    url = f"{service.url}/?wait=true" if wait else f"{service.url}/"
    return http("POST", url, json.dumps(record))[0]


def missing_from_stream(kinesis: Any, stream: str, acknowledged: list[bytes]) -> list[bytes]:
    in_stream = [record.data for record in read_stream(kinesis, stream)]
    assert len(in_stream) == len(set(in_stream)), "a record is in the stream twice"
    found = set(in_stream)
    return [data for data in acknowledged if data not in found]


@pytest.mark.timeout(120)
def test_a_killed_producer_process_counts_on_lost_and_unconfirmed_exactly(
    kinesis: Any,
    clean_proxy: FaultProxy,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
) -> None:
    """SIGKILL of the producer process under load, while its put is out (held unanswered by
    the proxy, never to reach the stream) and records wait behind it: /metrics then counts
    the dead process's records, lost (never sent) and unconfirmed (in the put that was out),
    and the two add up to exactly what is missing from the stream. Counters do not go back."""
    stream = make_stream(1)
    # One connection: while a put is out, the records that follow wait for it.
    service = start_service(stream, endpoint=clean_proxy.url, MAX_CONNECTIONS="1")
    assert post(service, "confirm", wait=True) == 200
    with Load(service.url) as load:
        wait_until(lambda: len(load.acknowledged) > 50, 30, "some load")
        clean_proxy.hold(True)
        wait_until(lambda: clean_proxy.counts["held"] > 0, 30, "a put held")
        held_at = len(load.acknowledged)
        wait_until(lambda: len(load.acknowledged) > held_at + 50, 30, "records behind it")
        before = service.metrics()
        (pid,) = producer_pids(service)
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: len(producer_pids(service)) == 2, 30, "a new producer process")
        clean_proxy.hold(False)
        wait_until(lambda: http("GET", f"{service.url}/healthcheck")[0] == 200, 30, "readiness")
        after_restart = len(load.acknowledged)
        wait_until(lambda: len(load.acknowledged) > after_restart + 50, 30, "load again")
    wait_until(lambda: service.metrics()[OUTSTANDING] == 0, 30, "the records to be put")
    metrics = service.metrics()
    lost, unconfirmed = metrics[LOST], metrics.get(UNCONFIRMED, 0.0)
    missing = missing_from_stream(kinesis, stream, load.acknowledged)
    # Records in the held put, and records waiting behind it, both died with the process.
    assert unconfirmed > 0 and lost > 0, (lost, unconfirmed)
    assert len(missing) == lost + unconfirmed, (len(missing), lost, unconfirmed)
    # What the dead process had counted is still counted.
    assert metrics[RECEIVED] >= before[RECEIVED] and metrics[PUT] >= before[PUT]
    assert metrics[PUT] == len(load.acknowledged) + 1 - len(missing)
    (exited,) = [
        line
        for line in service.log_lines()
        if line.get("message", "").startswith("the producer process exited unexpectedly")
    ]
    assert (exited["user_records_lost"], exited["user_records_unconfirmed"]) == (
        lost,
        unconfirmed,
    )


@pytest.mark.timeout(120)
def test_a_put_never_answered_counts_unconfirmed_not_lost(
    kinesis: Any,
    clean_proxy: FaultProxy,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
) -> None:
    """Puts that time out unanswered until RecordTtl runs out: their records may have reached
    Kinesis, so they count unconfirmed, not lost. (The proxy never forwards them: they are
    missing.)"""
    stream = make_stream(1)
    service = start_service(
        stream,
        endpoint=clean_proxy.url,
        RECORD_TTL_MS="3000",
        REQUEST_TIMEOUT_MS="500",
        CONNECT_TIMEOUT_MS="500",
    )
    assert post(service, "confirm", wait=True) == 200
    clean_proxy.hold(True)
    acknowledged = [f"unanswered-{n}".encode() for n in range(20)]
    for data in acknowledged:
        assert post(service, data.decode()) == 200
    wait_until(lambda: service.metrics()[OUTSTANDING] == 0, 30, "the records to expire")
    metrics = service.metrics()
    clean_proxy.hold(False)
    assert clean_proxy.counts["held"] > 0
    assert (metrics[LOST], metrics.get(UNCONFIRMED, 0.0)) == (0, len(acknowledged)), metrics
    missing = missing_from_stream(kinesis, stream, acknowledged)
    assert len(missing) == metrics.get(UNCONFIRMED, 0.0)


@pytest.mark.timeout(120)
def test_a_record_refused_for_good_counts_lost(
    kinesis: Any,
    clean_proxy: FaultProxy,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
) -> None:
    """Kinesis refuses one record of a call (a request-level InvalidArgumentException): the
    call is split until it fails alone; it counts lost (answered: not in the stream), its
    neighbours are put."""
    stream = make_stream(1)
    # Unaggregated: the proxy sees each record's partition key in its entry.
    service = start_service(stream, endpoint=clean_proxy.url, AGGREGATION_ENABLED="false")
    assert post(service, "confirm", wait=True) == 200
    clean_proxy.poison_key = "poison"
    acknowledged = [f"neighbour-{n}".encode() for n in range(10)]
    for data in acknowledged[:5]:
        assert post(service, data.decode()) == 200
    assert post(service, "refused", key="poison") == 200
    for data in acknowledged[5:]:
        assert post(service, data.decode()) == 200
    acknowledged.append(b"refused")
    wait_until(lambda: service.metrics()[OUTSTANDING] == 0, 30, "the records to be put")
    metrics = service.metrics()
    assert (metrics[LOST], metrics.get(UNCONFIRMED, 0.0)) == (1, 0), metrics
    assert missing_from_stream(kinesis, stream, acknowledged) == [b"refused"]
    failed = 'kinesis_producer_user_records_failed_total{error_code="InvalidArgumentException"}'
    assert metrics[failed] == 1
