"""Fixtures of the producer tests: a Kinesis-compatible server, a fault proxy, the service.

The server is moto's server mode in a subprocess on a free loopback port, shared by the
session; each test makes its own streams.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from fault_proxy import FaultProxy
from producer_support import (
    AWS_ENV,
    REGION,
    ServiceProcess,
    free_port,
    http,
    launch_service,
    wait_until,
)

from producer.tools.local import kinesis_server_command

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials for the clients of each test (and only during it); nothing reaches
    AWS."""
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        kinesis_server_command(port),  # moto, one request at a time (see producer.tools.local)
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return http("GET", f"{endpoint}/moto-api/", timeout=1)[0] == 200
        except OSError:
            return False

    try:
        wait_until(up, 30, "the moto server")
        yield endpoint
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def kinesis(moto_endpoint: str) -> KinesisClient:
    return boto3.client(
        "kinesis",
        endpoint_url=moto_endpoint,
        region_name=REGION,
        aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture
def make_stream(kinesis: KinesisClient) -> Callable[[int], str]:
    def make(shards: int) -> str:
        name = f"test-{uuid.uuid4().hex[:12]}"
        kinesis.create_stream(StreamName=name, ShardCount=shards)
        # Whole seconds between checks; moto makes a stream ACTIVE at once, so the first passes.
        kinesis.get_waiter("stream_exists").wait(
            StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5}
        )
        return name

    return make


@pytest.fixture(scope="session")
def proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(moto_endpoint).start()
    yield fault_proxy
    fault_proxy.stop()


@pytest.fixture
def clean_proxy(proxy: FaultProxy) -> Iterator[FaultProxy]:
    proxy.reset()
    yield proxy
    proxy.reset()


@pytest.fixture
def start_service(tmp_path: Path, moto_endpoint: str) -> Iterator[Callable[..., ServiceProcess]]:
    """Start services for one test; whatever is still running at the end is killed."""
    started: list[ServiceProcess] = []

    def start(
        stream: str,
        endpoint: str | None = None,
        ready: str = "/healthcheck",
        file_size_limit: int | None = None,
        **env: str,
    ) -> ServiceProcess:
        service = launch_service(
            tmp_path, moto_endpoint, stream, endpoint, ready, file_size_limit, **env
        )
        started.append(service)
        return service

    yield start
    for service in started:
        service.kill()
