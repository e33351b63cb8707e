"""The service under stress: SIGTERM under load, and back-pressure."""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import psutil
import pytest
from fault_proxy import FaultProxy
from producer_support import ServiceProcess, assert_all_in_stream, http, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


class Load:
    """Client threads sending records until told to stop; they remember what got a 200."""

    def __init__(self, url: str, threads: int = 4) -> None:
        self.url = url
        self.acknowledged: set[bytes] = set()
        self.statuses: dict[int | str, int] = {}
        self.unavailable_headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._counter = itertools.count()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def _run(self) -> None:
        deadline = time.monotonic() + 60
        while not self._stop.is_set() and time.monotonic() < deadline:
            n = next(self._counter)
            body: bytes | str
            if n % 10 == 0:
                data = [f"batch {n}.{i} {uuid.uuid4()}".encode() for i in range(20)]
                body = b"".join(json.dumps({"data": d.decode()}).encode() + b"\n" for d in data)
                path, content_type = "/records", "application/x-ndjson"
            else:
                data = [f"single {n} {uuid.uuid4()}".encode()]
                body = json.dumps({"data": data[0].decode()})
                path, content_type = "/", "application/json"
            status: int | str  # the HTTP status, or the name of the error without one
            try:
                status, headers, _ = http(
                    "POST", f"{self.url}{path}", body, content_type, timeout=10
                )
            except OSError as error:
                status, headers = type(error).__name__, {}
                time.sleep(0.01)
            with self._lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if status == 200:
                    self.acknowledged.update(data)
                elif status == 503:
                    self.unavailable_headers.append(headers)


@pytest.mark.parametrize("own_process", ["true", "false"])
def test_sigterm_under_load_flushes_every_acknowledged_record_and_exits_0(
    kinesis: Any,
    clean_proxy: FaultProxy,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
    own_process: str,
) -> None:
    stream = make_stream(2)
    service = start_service(stream, endpoint=clean_proxy.url, PRODUCER_PROCESS=own_process)
    # Slow Kinesis answers keep records in flight when SIGTERM comes.
    clean_proxy.delay = 1.0
    with Load(service.url) as load:
        wait_until(lambda: len(load.acknowledged) > 300, 30, "some load")
        service.process.send_signal(15)
        signalled = time.monotonic()
        # At once: the health check fails so the load balancer drains the target.
        status, _, body = http("GET", f"{service.url}/healthcheck")
        assert (status, json.loads(body)["status"]) == (503, "draining")
        status, headers, body = http("POST", f"{service.url}/", '{"data":"too late"}')
        assert status == 503 and headers["Retry-After"] == "1"
        assert json.loads(body)["error"] == "shutting_down"
        service.process.wait(25)
        took = time.monotonic() - signalled
    assert service.process.returncode == 0, service.log()
    assert took < 25
    assert load.statuses.get(503, 0) > 0, load.statuses
    assert all(h.get("Retry-After") == "1" for h in load.unavailable_headers)
    clean_proxy.delay = 0
    assert_all_in_stream(kinesis, stream, dict.fromkeys(load.acknowledged, (None, None)))
    stopped = [line for line in service.log_lines() if line.get("message") == "stopped"]
    assert stopped and stopped[0]["user_records_abandoned"] == 0


@pytest.mark.parametrize("own_process", ["true", "false"])
def test_back_pressure_refuses_with_503_keeps_memory_bounded_and_recovers(
    kinesis: Any,
    clean_proxy: FaultProxy,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
    own_process: str,
) -> None:
    stream = make_stream(2)
    bound = 3_000
    service = start_service(
        stream,
        endpoint=clean_proxy.url,
        PRODUCER_PROCESS=own_process,
        MAX_OUTSTANDING_RECORDS=str(bound),
        MAX_BATCH_RECORDS="1000",
        RECORD_TTL_MS="60000",
        RETRY_MAX_DELAY_MS="500",
        REQUEST_TIMEOUT_MS="120000",
    )
    process = psutil.Process(service.process.pid)

    def rss() -> int:
        """Of the service's processes together."""
        return sum(p.memory_info().rss for p in [process, *process.children()])

    # The first put confirms the stream is writable (until then each answer waits for it).
    status, _, _ = http("POST", f"{service.url}/?wait=true", '{"data":"first"}')
    assert status == 200
    acknowledged: set[bytes] = {b"first"}
    # Kinesis takes the calls and does not answer: records pile up (neither failing, which
    # would refuse records as Kinesis unreachable, nor throttled, which would refuse them as
    # a backlog that outlives their TTL).
    clean_proxy.hold(True)

    def batch(size: int, payload: int = 1_000) -> tuple[int, dict[str, str], list[bytes]]:
        data = [f"{uuid.uuid4()} {'p' * payload}".encode() for _ in range(size)]
        body = b"".join(json.dumps({"data": d.decode()}).encode() + b"\n" for d in data)
        status, headers, _ = http("POST", f"{service.url}/records", body, "application/x-ndjson")
        return status, headers, data

    statuses = []
    for _ in range(6):
        status, headers, data = batch(1_000)
        statuses.append(status)
        if status == 200:
            acknowledged.update(data)
        else:
            assert headers["Retry-After"] == "1"
    assert statuses == [200, 200, 200, 503, 503, 503]
    status, _, body = http("POST", f"{service.url}/", '{"data":"one more"}')
    assert status == 503 and json.loads(body)["error"] == "back_pressure"
    metrics = service.metrics()
    assert metrics["kinesis_producer_outstanding_user_records"] == bound

    # A long burst beyond the bound: refused at once, and memory does not grow with it.
    rss_before = rss()
    refused = 0
    for _ in range(150):
        status, _, _ = batch(1_000, payload=2_000)
        refused += status == 503
    assert refused == 150
    rss_after = rss()
    assert rss_after - rss_before < 40 * 1024 * 1024, (rss_before, rss_after)
    # Refused before their bodies were read: three batches and one record, then the burst.
    refused_metric = (
        'kinesis_producer_http_rejected_requests_total{reason="back_pressure",status="503"}'
    )
    assert service.metrics()[refused_metric] == 3 + 1 + 150

    clean_proxy.hold(False)
    wait_until(
        lambda: service.metrics()["kinesis_producer_outstanding_user_records"] == 0,
        30,
        "the backlog to drain",
    )
    status, _, data = batch(500)
    assert status == 200
    acknowledged.update(data)
    assert service.terminate()[0] == 0
    assert_all_in_stream(kinesis, stream, dict.fromkeys(acknowledged, (None, None)))
