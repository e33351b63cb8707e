"""Health that tells the truth: readiness and liveness, faults at start and at run time, and
the exit status that counts records answered 200 and lost.

Every record answered 200 is read back from the stream, or the test shows it was refused, or
it is counted lost or unconfirmed (metric, log, exit status) to the record.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fault_proxy import FaultProxy
from producer_support import ServiceProcess, assert_all_in_stream, http, read_stream, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

LOST = "kinesis_producer_user_records_lost_total"


def health(service: ServiceProcess, route: str = "/healthcheck") -> tuple[int, dict[str, Any]]:
    status, _, body = http("GET", f"{service.url}{route}", timeout=5)
    return status, json.loads(body)


def post(service: ServiceProcess, data: str) -> tuple[int, dict[str, Any]]:
    status, _, body = http("POST", f"{service.url}/", json.dumps({"data": data}), timeout=30)
    return status, json.loads(body)


def stopped_line(service: ServiceProcess) -> dict[str, Any]:
    (line,) = [line for line in service.log_lines() if line.get("message") == "stopped"]
    return line


@pytest.mark.parametrize("own_process", ["true", "false"])
def test_a_missing_stream_is_named_by_readiness_and_records_are_refused_until_it_exists(
    kinesis: Any, start_service: Callable[..., ServiceProcess], own_process: str
) -> None:
    stream = f"test-missing-{uuid.uuid4().hex[:8]}"
    service = start_service(stream, ready="/livez", PRODUCER_PROCESS=own_process)
    status, body = health(service)
    assert status == 503 and body["status"] == "kinesis_error", body
    assert body["errorCode"] == "ResourceNotFoundException"
    assert health(service, "/livez")[0] == 200  # not the task's fault: no replacement
    refused = 0
    for n in range(20):
        status, answer = post(service, f"refused {n}")
        assert status == 503 and answer["error"] == "kinesis_error", answer
        assert answer["errorCode"] == "ResourceNotFoundException"
        refused += 1
    status, _, raw = http(
        "POST", f"{service.url}/records", b'{"data":"a"}\n{"data":"b"}\n', "application/x-ndjson"
    )
    assert status == 503 and json.loads(raw)["error"] == "kinesis_error"
    # The stream appears (the probe lists it again every second): records are taken.
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    wait_until(lambda: health(service)[0] == 200, 30, "readiness once the stream exists")
    sent = {}
    for n in range(10):
        assert post(service, f"taken {n}")[0] == 200
        sent[f"taken {n}".encode()] = (None, None)
    assert service.terminate()[0] == 0, service.log()
    assert stopped_line(service)["user_records_lost"] == 0
    assert refused == 20
    assert_all_in_stream(kinesis, stream, sent)


def test_a_stream_that_cannot_be_written_is_never_answered_200(
    kinesis: Any,
    clean_proxy: FaultProxy,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
) -> None:
    """Listed but not writable (no kinesis:PutRecords, a disabled KMS key): until a put
    succeeds, each answer waits for its put, so the first records get 503 naming the error."""
    stream = make_stream(1)
    clean_proxy.refuse_puts = "AccessDeniedException"
    service = start_service(stream, endpoint=clean_proxy.url)
    status, answer = post(service, "not writable")
    assert status == 503 and answer["error"] == "kinesis_error", answer
    assert answer["errorCode"] == "AccessDeniedException"
    status, body = health(service)
    assert status == 503 and body["errorCode"] == "AccessDeniedException"
    assert post(service, "refused")[0] == 503
    clean_proxy.refuse_puts = None  # the permission is granted
    wait_until(lambda: health(service)[0] == 200, 30, "readiness after the probe")
    sent = {}
    for n in range(10):
        assert post(service, f"written {n}")[0] == 200
        sent[f"written {n}".encode()] = (None, None)
    assert service.terminate()[0] == 0, service.log()
    assert_all_in_stream(kinesis, stream, sent)


class Load:
    """A client thread posting records until stopped; it remembers each answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acknowledged: list[bytes] = []
        self.refusals: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            data = f"load {n} {uuid.uuid4()}"
            n += 1
            try:
                status, _, body = http("POST", f"{self.url}/", json.dumps({"data": data}))
            except OSError:
                continue
            if status == 200:
                self.acknowledged.append(data.encode())
            else:
                error = json.loads(body)["error"]
                self.refusals[error] = self.refusals.get(error, 0) + 1
                time.sleep(0.02)


def test_an_outage_longer_than_the_ttl_refuses_records_and_counts_every_loss(
    kinesis: Any,
    clean_proxy: FaultProxy,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
) -> None:
    """The service link down for longer than RecordTtl (scaled down: 3 s TTL, 6 s outage),
    without a spool: readiness says so and records are refused while it lasts; liveness stays
    200 (ECS must not replace tasks in a loop); each record answered 200 is in the stream or
    counted lost or unconfirmed, and the exit status says so."""
    stream = make_stream(2)
    service = start_service(
        stream, endpoint=clean_proxy.url, RECORD_TTL_MS="3000", CONNECT_TIMEOUT_MS="300"
    )
    assert post(service, "confirm")[0] == 200
    with Load(service.url) as load:
        wait_until(lambda: len(load.acknowledged) > 50, 30, "some load")
        clean_proxy.set_down(True)
        wait_until(lambda: health(service)[0] == 503, 30, "readiness to fail")
        assert health(service)[1]["status"] == "kinesis_unreachable"
        down_since = time.monotonic()
        while time.monotonic() - down_since < 6:
            assert health(service, "/livez")[0] == 200
            time.sleep(0.5)
        assert load.refusals.get("kinesis_unreachable", 0) > 0, load.refusals
        clean_proxy.set_down(False)
        wait_until(lambda: health(service)[0] == 200, 30, "readiness after the outage")
        acknowledged = len(load.acknowledged)
        wait_until(lambda: len(load.acknowledged) > acknowledged + 20, 30, "load again")
    wait_until(
        lambda: service.metrics()["kinesis_producer_outstanding_user_records"] == 0, 30, "drain"
    )
    metrics = service.metrics()
    lost = int(metrics[LOST])
    # Puts cut off by the outage went unanswered: their records may have landed.
    unconfirmed = int(metrics["kinesis_producer_user_records_unconfirmed_total"])
    status, _ = service.terminate()
    in_stream = {record.data for record in read_stream(kinesis, stream)}
    missing = [data for data in load.acknowledged if data not in in_stream]
    # Exactly the records counted lost or unconfirmed are missing (the proxy forwards
    # nothing of a dropped request); none is in the stream twice.
    assert len(missing) == lost + unconfirmed
    stopped = stopped_line(service)
    assert (stopped["user_records_lost"], stopped["user_records_unconfirmed"]) == (
        lost,
        unconfirmed,
    )
    assert status == (1 if lost or unconfirmed else 0)
    assert len(in_stream) == len(read_stream(kinesis, stream))


def test_a_hung_producer_process_fails_liveness_and_recovers_when_it_resumes(
    kinesis: Any, make_stream: Callable[[int], str], start_service: Callable[..., ServiceProcess]
) -> None:
    stream = make_stream(1)
    service = start_service(stream, HEARTBEAT_TIMEOUT_MS="1000")
    assert post(service, "before")[0] == 200
    (pid,) = [
        int(line["pid"])
        for line in service.log_lines()
        if line.get("message") == "producer process started"
    ]
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_until(lambda: health(service, "/livez")[0] == 503, 30, "liveness to fail")
        assert health(service, "/livez")[1]["status"] == "producer_unresponsive"
        status, body = health(service)
        assert status == 503 and body["status"] == "producer_unresponsive"
        status, answer = post(service, "while hung")
        assert status == 503 and answer["error"] == "producer_unresponsive"
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_until(lambda: health(service, "/livez")[0] == 200, 30, "liveness again")
    wait_until(lambda: health(service)[0] == 200, 30, "readiness again")
    assert post(service, "after")[0] == 200
    assert service.terminate()[0] == 0, service.log()
    assert_all_in_stream(kinesis, stream, {b"before": (None, None), b"after": (None, None)})
