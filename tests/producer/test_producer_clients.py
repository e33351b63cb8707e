"""Slow, idle and malformed clients cannot starve the others."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

import pytest
from producer_support import ServiceProcess, assert_all_in_stream, http, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def connect(service: ServiceProcess) -> socket.socket:
    host, port = service.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def closed_by_server(sock: socket.socket, within: float) -> bytes:
    """Everything the server sent until it closed the connection (fails if it does not)."""
    sock.settimeout(within)
    received = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return received
        received += chunk


def test_slow_bodies_and_idle_connections_do_not_starve_other_clients(
    kinesis: Any, make_stream: Callable[[int], str], start_service: Callable[..., ServiceProcess]
) -> None:
    stream = make_stream(1)
    service = start_service(
        stream,
        BODY_TIMEOUT_MS="2000",
        KEEPALIVE_TIMEOUT_MS="2000",
        # Nine bodies of nearly 1 MiB declared would exceed this if reserved up front.
        MAX_OUTSTANDING_BYTES="6000000",
        MAX_BATCH_BODY_BYTES="1000000",
    )
    assert http("POST", f"{service.url}/", '{"data":"confirm"}')[0] == 200
    sent = {b"confirm": (None, None)}
    trickling = []
    for _ in range(9):
        sock = connect(service)
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1040000\r\n\r\n" + b'{"data":"'
        )
        trickling.append(sock)
    idle = connect(service)  # never sends a request
    # Meanwhile every other client is served.
    for n in range(30):
        for sock in trickling:
            sock.sendall(b"x")
        status, _, body = http("POST", f"{service.url}/", json.dumps({"data": f"other {n}"}))
        assert status == 200, body
        sent[f"other {n}".encode()] = (None, None)
    # The trickling bodies time out: 408 and the connection closed.
    for sock in trickling:
        answer = closed_by_server(sock, 20)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b'"body_timeout"' in answer
        sock.close()
    # The idle connection is closed once the keep-alive timeout has passed.
    assert closed_by_server(idle, 20) == b""
    idle.close()
    metrics = service.metrics()
    assert (
        metrics['kinesis_producer_http_rejected_requests_total{reason="body_timeout",status="408"}']
        == 9
    )
    assert service.terminate()[0] == 0
    assert_all_in_stream(kinesis, stream, sent)


def test_a_malformed_request_logs_one_line_without_a_traceback(
    make_stream: Callable[[int], str], start_service: Callable[..., ServiceProcess]
) -> None:
    service = start_service(make_stream(1))
    sock = connect(service)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n")
    answer = closed_by_server(sock, 20)
    sock.close()
    assert answer.split(b" ")[1] == b"400", answer[:200]

    def malformed() -> list[dict[str, Any]]:
        return [line for line in service.log_lines() if line.get("message") == "malformed request"]

    wait_until(lambda: bool(malformed()), 10, "the malformed request's log line")
    (line,) = malformed()
    assert line["level"] == "WARNING" and line["error"]
    assert "Traceback" not in service.log()
    assert service.terminate()[0] == 0
