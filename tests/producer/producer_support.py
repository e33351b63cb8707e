"""Helpers of the producer tests: HTTP, waiting, reading the stream back, the service process.

Records are read back with boto3 and deaggregated with the official ``aws_kinesis_agg``
deaggregator, independently of the producer's code. (A module of its own rather than
``conftest``, whose name the project's other tests share.)
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_kinesis_agg.deaggregator import iter_deaggregate_records

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def http(
    method: str,
    url: str,
    body: bytes | str | Iterable[bytes] | None = None,
    content_type: str | None = "application/json",
    headers: dict[str, str] | None = None,
    timeout: float = 40,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request; returns (status, headers, body) for any status."""
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if content_type is not None and data is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# Reading the stream back -----------------------------------------------------------------


@dataclass(frozen=True)
class StreamRecord:
    shard_id: str
    partition_key: str
    data: bytes
    sequence_number: str
    sub_sequence_number: int


def shard_ranges(kinesis: KinesisClient, stream: str) -> dict[str, tuple[int, int]]:
    shards = kinesis.list_shards(StreamName=stream)["Shards"]
    return {
        shard["ShardId"]: (
            int(shard["HashKeyRange"]["StartingHashKey"]),
            int(shard["HashKeyRange"]["EndingHashKey"]),
        )
        for shard in shards
    }


def hash_key(partition_key: str, explicit_hash_key: str | None = None) -> int:
    """Kinesis' mapping, written out independently of the producer's code."""
    if explicit_hash_key is not None:
        return int(explicit_hash_key)
    return int(hashlib.md5(partition_key.encode("utf-8")).hexdigest(), 16)


def expected_shard(ranges: dict[str, tuple[int, int]], key: int) -> str:
    owners = [shard for shard, (low, high) in ranges.items() if low <= key <= high]
    assert len(owners) == 1, owners
    return owners[0]


def read_stream(kinesis: KinesisClient, stream: str) -> list[StreamRecord]:
    """Every user record in the stream, deaggregated with the official deaggregator."""
    out = []
    for shard_id in shard_ranges(kinesis, stream):
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            records = response["Records"]
            for user in iter_deaggregate_records(records, data_format="Boto3"):
                item = user["kinesis"]
                aggregated = item.get("aggregated", False)
                out.append(
                    StreamRecord(
                        shard_id,
                        item["partitionKey"],
                        base64.b64decode(item["data"]) if aggregated else item["data"],
                        item["sequenceNumber"],
                        item.get("subSequenceNumber", 0),
                    )
                )
            if not records:
                break
            iterator = response.get("NextShardIterator")
    return out


def assert_all_in_stream(
    kinesis: KinesisClient,
    stream: str,
    sent: Mapping[bytes, tuple[str | None, str | None]],
    exactly: bool = True,
) -> list[StreamRecord]:
    """Every record of ``sent`` (data -> (partition key, explicit hash key)) is in the stream
    once, byte for byte, in the shard its key maps to. With ``exactly``, nothing else is.

    A partition key of ``None`` means "the service chose one": its mapping is checked with
    the key found in the stream.
    """
    records = read_stream(kinesis, stream)
    ranges = shard_ranges(kinesis, stream)
    by_data: dict[bytes, list[StreamRecord]] = {}
    for record in records:
        by_data.setdefault(record.data, []).append(record)
    missing = [data for data in sent if data not in by_data]
    assert not missing, f"{len(missing)} of {len(sent)} records are not in the stream"
    duplicated = {data: len(found) for data, found in by_data.items() if len(found) > 1}
    assert not duplicated, f"duplicated in the stream: {list(duplicated.items())[:5]}"
    if exactly:
        unexpected = [data for data in by_data if data not in sent]
        assert not unexpected, f"unexpected records in the stream: {unexpected[:5]}"
    for data, (partition_key, explicit_hash_key) in sent.items():
        (record,) = by_data[data]
        if partition_key is not None:
            assert record.partition_key == partition_key
        key = hash_key(record.partition_key, explicit_hash_key)
        assert record.shard_id == expected_shard(ranges, key), (data, record)
    return records


# The service as a process ----------------------------------------------------------------


@dataclass
class ServiceProcess:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.log().splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                lines.append({"raw": line})
        return lines

    def metrics(self) -> dict[str, float]:
        status, _, body = http("GET", f"{self.url}/metrics", timeout=10)
        assert status == 200
        values = {}
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def kill_all(self) -> None:
        """SIGKILL the service and its producer process at once (an OOM kill of the task)."""
        import psutil

        if self.process.poll() is not None:
            return
        children = psutil.Process(self.process.pid).children(recursive=True)
        for child in children:
            child.kill()
        self.kill()
        psutil.wait_procs(children, timeout=10)

    def terminate(self, timeout: float = 30) -> tuple[int, float]:
        """SIGTERM; returns (exit status, seconds it took to exit)."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"no exit within {timeout} s after SIGTERM:\n{self.log()}"
            ) from None
        return self.process.returncode, time.monotonic() - started


def run_to_exit(
    env: dict[str, str], cwd: Path = ROOT, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python -m producer`` with ``env`` (and nothing else), run until it exits: for settings
    that stop it at start."""
    return subprocess.run(
        [sys.executable, "-m", "producer"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def launch_service(
    log_dir: Path,
    moto_endpoint: str,
    stream: str,
    endpoint: str | None = None,
    ready: str = "/healthcheck",
    file_size_limit: int | None = None,
    **env: str,
) -> ServiceProcess:
    """Start ``python -m producer`` (the container's command) and wait until ``ready`` (a
    health route) answers 200. ``file_size_limit``: RLIMIT_FSIZE of the service's processes,
    so that a write past it fails with EFBIG (Python ignores SIGXFSZ), as on a full disk."""

    def limit() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    port = free_port()
    log_path = log_dir / f"service-{port}.log"
    environment = {
        **os.environ,
        **AWS_ENV,
        "AWS_ENDPOINT_URL_KINESIS": endpoint or moto_endpoint,
        "REGION": REGION,
        "STREAM_NAME": stream,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "PYTHONPATH": str(ROOT),
        # The default, auto, depends on the machine's CPUs; tests choose.
        "PRODUCER_PROCESS": "true",
        **env,
    }
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "producer"],
            cwd=ROOT,
            env=environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=limit if file_size_limit is not None else None,
        )
    service = ServiceProcess(process, f"http://127.0.0.1:{port}", log_path)

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the service exited:\n{service.log()}")
        try:
            return http("GET", f"{service.url}{ready}", timeout=1)[0] == 200
        except OSError:
            return False

    try:
        wait_until(healthy, 30, "the service's health check")
    except BaseException:
        service.kill()
        raise
    return service


def producer_pids(service: ServiceProcess) -> list[int]:
    """The pids of the producer processes started so far, from the HTTP process's log."""
    return [
        int(line["pid"])
        for line in service.log_lines()
        if line.get("message") == "producer process started"
    ]
