"""The consume CLI and the local run (make local)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from aws_kinesis_agg.aggregator import RecordAggregator
from producer_support import ROOT, hash_key, shard_ranges

from producer.tools import consume

pytestmark = pytest.mark.timeout(90)


def key_in(ranges: dict[str, tuple[int, int]], shard: str) -> str:
    """A partition key that maps to ``shard``."""
    low, high = ranges[shard]
    while True:
        key = str(uuid.uuid4())
        if low <= hash_key(key) <= high:
            return key


def test_consume_prints_user_records_deaggregated(
    kinesis: Any,
    make_stream: Callable[[int], str],
    moto_endpoint: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stream = make_stream(2)
    ranges = shard_ranges(kinesis, stream)
    first, second = sorted(ranges)
    # An aggregate made by the aggregation library itself: keys of the first shard, one with
    # an explicit hash key, and one user record that belongs to the second shard.
    aggregator = RecordAggregator()
    own = [key_in(ranges, first) for _ in range(3)]
    aggregator.add_user_record(own[0], b"one")
    aggregator.add_user_record(own[1], "twö".encode())
    aggregator.add_user_record("explicit", b"three", str(ranges[first][0] + 5))
    aggregator.add_user_record(key_in(ranges, second), b"misplaced")
    aggregator.add_user_record(own[2], b"\xff\xfe binary")
    partition_key, _, data = aggregator.clear_and_get().get_contents()
    kinesis.put_record(StreamName=stream, Data=data, PartitionKey=partition_key)
    plain_key = key_in(ranges, second)
    kinesis.put_record(StreamName=stream, Data=b"plain", PartitionKey=plain_key)

    assert consume.main(["--stream", stream, "--endpoint-url", moto_endpoint]) == 0
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["shardId"], line.get("data"), line["subSequenceNumber"]) for line in lines] == [
        (first, "one", 0),
        (first, "twö", 1),
        (first, "three", 2),
        (first, None, 4),
        (second, "plain", 0),
    ]
    assert lines[2]["explicitHashKey"] == str(ranges[first][0] + 5)
    assert "explicitHashKey" not in lines[0]
    assert lines[3]["dataBase64"] == "//4gYmluYXJ5"
    assert lines[4]["partitionKey"] == plain_key
    assert err.strip() == "5 user records"

    consume.main(["--stream", stream, "--endpoint-url", moto_endpoint, "--keep-misplaced"])
    assert '"misplaced"' in capsys.readouterr().out
    consume.main(["--stream", stream, "--endpoint-url", moto_endpoint, "--limit", "2"])
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_consume_reports_a_missing_stream(moto_endpoint: str, capsys: Any) -> None:
    assert consume.main(["--stream", "nope", "--endpoint-url", moto_endpoint]) == 1
    assert "ResourceNotFoundException" in capsys.readouterr().err


@pytest.mark.slow
def test_local_run_sends_the_sample_request_and_reads_it_back() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "producer.tools.local", "--once", "--port", "0"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=80,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    read_back = result.stdout.split("(the stream, read back)", 1)[1]
    records = [json.loads(line) for line in read_back.splitlines() if line.startswith("{")]
    data = sorted(record["data"] for record in records if "data" in record and "shardId" in record)
    assert data == sorted(
        [
            " This is a testing record",
            "with a partition key",
            "answered once Kinesis confirmed it",
            "batch record 1",
            "batch record 2",
            "batch record 3",
        ]
    )
    assert '-> 400 {"error": "invalid_data"' in result.stdout


def test_local_run_names_a_busy_port(capsys: Any) -> None:
    from producer.tools import local

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert local.main(["--port", str(port), "--once"]) == 2
    error = capsys.readouterr().err
    assert f"error: port {port} is in use" in error
    assert "--port 0" in error
