"""Unit tests of each pipeline stage alone: aggregator, collector, limiter, retrier, shard map."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import random
import uuid
from datetime import UTC, datetime
from typing import Any

import botocore.exceptions
import pytest
from aws_kinesis_agg.aggregator import AggRecord
from aws_kinesis_agg.deaggregator import deaggregate_records
from hypothesis import given, settings
from hypothesis import strategies as st

from producer.kinesis.aggregator import Aggregator, FastAggRecord
from producer.kinesis.collector import Collector
from producer.kinesis.limiter import SentLog, ShardLimiter
from producer.kinesis.records import (
    KinesisRecord,
    UserRecord,
    check_explicit_hash_key,
    check_partition_key,
    check_user_record,
    hash_key_of,
    utf16_length,
)
from producer.kinesis.retrier import Retrier, RetryPolicy, classify_exception
from producer.kinesis.shard_map import ShardMap

_LOOP = asyncio.new_event_loop()


def user_record(
    data: bytes = b"x",
    key: str | None = None,
    explicit_hash_key: str | None = None,
    arrival: float = 0.0,
    ttl: float = 30.0,
    future: bool = False,
) -> UserRecord:
    key = key if key is not None else str(uuid.uuid4())
    return UserRecord(
        key,
        key.encode(),
        data,
        explicit_hash_key,
        len(data) + len(key.encode()),
        arrival,
        arrival + ttl,
        _LOOP.create_future() if future else None,
    )


def official_deaggregate(record: KinesisRecord) -> list[tuple[str, bytes]]:
    """(partition key, data) of each user record, read by aws_kinesis_agg's deaggregator."""
    lambda_record = {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "sequenceNumber": "1",
            "approximateArrivalTimestamp": datetime.now(UTC).timestamp(),
            "partitionKey": record.partition_key,
            "data": base64.b64encode(record.data),
        }
    }
    return [
        (user["kinesis"]["partitionKey"], base64.b64decode(user["kinesis"]["data"]))
        for user in deaggregate_records([lambda_record])
    ]


# Records -------------------------------------------------------------------------------------


def test_hash_key_is_md5_of_the_partition_key_or_the_explicit_hash_key() -> None:
    assert hash_key_of("abc", None) == int(hashlib.md5(b"abc").hexdigest(), 16)
    assert hash_key_of("ünïcode", None) == int(hashlib.md5("ünïcode".encode()).hexdigest(), 16)
    assert hash_key_of("abc", "12345") == 12345


@pytest.mark.parametrize(
    "key", ["", "k" * 257, 5, None, "\ud800", "🚀" * 129, "a" + "🚀" * 128, "é" * 200 + "🚀" * 29]
)
def test_invalid_partition_keys_are_refused(key: Any) -> None:
    with pytest.raises(ValueError):
        check_partition_key(key)
    with pytest.raises(ValueError):
        check_user_record(key, b"x", None)


@pytest.mark.parametrize(
    "key", ["k" * 256, "🚀" * 128, "é" * 256, "é" * 198 + "🚀" * 29, "日" * 256]
)
def test_partition_keys_up_to_256_utf16_code_units_pass(key: str) -> None:
    """Kinesis and the KPL count UTF-16 code units: an emoji counts two."""
    assert utf16_length(key) <= 256
    assert check_partition_key(key) == key.encode()
    assert check_user_record(key, b"x", None)[0] == key.encode()


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert utf16_length("🚀" * 200) == 400
    assert utf16_length("a" * 300) == 300
    assert utf16_length("é🚀" * 70) == 210


@pytest.mark.parametrize("hash_key", ["-1", "01", "1.5", "", "abc", str(2**128), " 1", 7, "1" * 40])
def test_invalid_explicit_hash_keys_are_refused(hash_key: Any) -> None:
    with pytest.raises(ValueError):
        check_explicit_hash_key(hash_key)


@pytest.mark.parametrize("hash_key", [None, "0", "1", str(2**128 - 1), str(2**127)])
def test_valid_explicit_hash_keys_pass(hash_key: str | None) -> None:
    check_explicit_hash_key(hash_key)


# Aggregator ----------------------------------------------------------------------------------


def test_aggregates_are_read_back_by_the_official_deaggregator() -> None:
    aggregator = Aggregator("shard-1")
    records = [user_record(f"record {n}".encode()) for n in range(100)]
    for record in records:
        assert aggregator.add(record) is None
    assert len(aggregator) == 100
    aggregate = aggregator.flush()
    assert aggregate is not None and aggregate.aggregated
    assert aggregate.shard_id == "shard-1"
    assert aggregate.partition_key == records[0].partition_key
    assert aggregate.user_records == records
    assert official_deaggregate(aggregate) == [(r.partition_key, r.data) for r in records]
    assert len(aggregator) == 0 and aggregator.flush() is None


def test_full_aggregates_stay_within_the_size_limit_and_lose_nothing() -> None:
    aggregator = Aggregator("s", max_size=51_200)
    records = [user_record(bytes([n % 256]) * 300) for n in range(1_000)]
    emitted = [a for a in (aggregator.add(r) for r in records) if a is not None]
    last = aggregator.flush()
    assert last is not None
    emitted.append(last)
    assert len(emitted) > 5
    for aggregate in emitted:
        assert len(aggregate.data) <= 51_200
        assert aggregate.size == len(aggregate.data) + len(aggregate.partition_key)
    read = [pair for aggregate in emitted for pair in official_deaggregate(aggregate)]
    assert read == [(r.partition_key, r.data) for r in records]


def test_a_lone_record_goes_out_as_it_is() -> None:
    aggregator = Aggregator("s")
    record = user_record(b"alone", explicit_hash_key="42")
    aggregator.add(record)
    single = aggregator.flush()
    assert single is not None and not single.aggregated
    assert single.data == b"alone"
    assert single.entry() == {
        "Data": b"alone",
        "PartitionKey": record.partition_key,
        "ExplicitHashKey": "42",
    }


def test_a_record_larger_than_an_aggregate_bypasses_aggregation() -> None:
    aggregator = Aggregator("s", max_size=1_000)
    small = user_record(b"small")
    big = user_record(b"B" * 5_000)
    assert aggregator.add(small) is None
    bypass = aggregator.add(big)
    assert bypass is not None and not bypass.aggregated and bypass.data == big.data
    rest = aggregator.flush()
    assert rest is not None and rest.user_records == [small]


def test_max_count_closes_the_aggregate() -> None:
    aggregator = Aggregator("s", max_count=3)
    out = [aggregator.add(user_record()) for _ in range(7)]
    completed = [a for a in out if a is not None]
    assert [len(a.user_records) for a in completed] == [3, 3]


def test_explicit_hash_keys_survive_aggregation() -> None:
    aggregator = Aggregator("s")
    for n in range(5):
        aggregator.add(user_record(f"{n}".encode(), explicit_hash_key=str(n * 1000)))
    aggregate = aggregator.flush()
    assert aggregate is not None
    # The aggregate is routed by its first user record's explicit hash key.
    assert aggregate.explicit_hash_key == "0"


_keys = st.text(min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(_keys, st.binary(max_size=400), st.none() | st.integers(0, 2**128 - 1)),
        min_size=1,
        max_size=60,
    )
)
def test_fast_size_estimate_equals_the_library_s(
    records: list[tuple[str, bytes, int | None]],
) -> None:
    fast, reference = FastAggRecord(10_000), AggRecord(10_000)
    for key, data, hash_key in records:
        explicit = None if hash_key is None else str(hash_key)
        args = (key.encode(), data, None if explicit is None else explicit.encode())
        assert fast._calculate_record_size(*args) == reference._calculate_record_size(*args)
        assert fast.add_user_record(key, data, explicit) == reference.add_user_record(
            key, data, explicit
        )
    assert fast.get_contents() == reference.get_contents()


# Collector -----------------------------------------------------------------------------------


def kinesis_record(size: int, shard: str | None = "s") -> KinesisRecord:
    key = "k" * 10
    return KinesisRecord.single(user_record(b"d" * (size - len(key)), key=key), shard)


def test_collector_batches_at_most_500_records() -> None:
    collector = Collector()
    batches = [b for b in (collector.add(kinesis_record(100)) for _ in range(1_200)) if b]
    assert [len(b) for b in batches] == [500, 500]
    rest = collector.flush()
    assert rest is not None and len(rest) == 200
    assert collector.flush() is None


def test_collector_batches_at_most_5_mib() -> None:
    collector = Collector()
    record_size = 1024 * 1024 - 100
    batches = [b for b in (collector.add(kinesis_record(record_size)) for _ in range(11)) if b]
    assert [len(b) for b in batches] == [5, 5]
    for batch in batches:
        assert sum(record.size for record in batch) <= 5 * 1024 * 1024
    assert len(collector) == 1


def test_collector_respects_custom_limits() -> None:
    collector = Collector(max_count=3, max_size=250)
    assert collector.add(kinesis_record(100)) is None
    assert collector.add(kinesis_record(100)) is None
    closed = collector.add(kinesis_record(100))  # 300 bytes would exceed 250
    assert closed is not None and len(closed) == 2
    assert len(collector) == 1


# Limiter -------------------------------------------------------------------------------------


def kinesis_record_due(size: int, deadline: float, shard: str | None = "s") -> KinesisRecord:
    record = kinesis_record(size, shard)
    record.deadline = deadline
    return record


def test_sent_log_allows_the_limit_in_any_window_and_no_more() -> None:
    log = SentLog(max_records=100, max_bytes=10_000)
    for n in range(100):
        assert log.wait_time(10, n * 0.001) == 0.0
        log.take(10, n * 0.001)
    # Full: the 101st waits until the first send leaves the window.
    assert log.wait_time(10, 0.5) == pytest.approx(0.5)
    assert log.wait_time(10, 1.0001) == 0.0
    assert log.totals(1.0001) == (99, 990)


def test_sent_log_lets_an_oversized_record_through_an_empty_window() -> None:
    log = SentLog(max_records=10, max_bytes=1_000)
    assert log.wait_time(2_500, 0.0) == 0.0
    log.take(2_500, 0.0)
    assert log.wait_time(10, 0.5) == pytest.approx(0.5)  # until it leaves the window


def test_limiter_does_not_start_full() -> None:
    """A fresh shard gets its limit in the first second, not twice it."""
    limiter = ShardLimiter(rate_limit_percent=100)
    sent = [limiter.submit(kinesis_record_due(1_000, 30.0), 0.0) for _ in range(1_500)]
    assert sent.count(True) == 1_000
    assert limiter.queued == 500
    ready, delay = limiter.release(0.5)
    assert ready == [] and delay == pytest.approx(0.5)
    ready, delay = limiter.release(1.0)
    assert len(ready) == 500 and delay is None and limiter.queued == 0


def test_limiter_releases_the_earliest_deadline_first() -> None:
    """A retried record (an earlier deadline) goes ahead of newer records queued before it."""
    limiter = ShardLimiter(rate_limit_percent=100, records_per_second=2)
    assert limiter.submit(kinesis_record_due(10, 10.0), 0.0)
    assert limiter.submit(kinesis_record_due(10, 10.0), 0.0)
    newer = [kinesis_record_due(10, 20.0 + n) for n in range(3)]
    for record in newer:
        assert not limiter.submit(record, 0.1)
    retried = kinesis_record_due(10, 5.0)
    assert not limiter.submit(retried, 0.2)
    ready, _ = limiter.release(1.0)
    assert ready == [retried, newer[0]]
    ready, _ = limiter.release(2.0)
    assert ready == newer[1:]


def test_limiter_limits_bytes_per_shard() -> None:
    limiter = ShardLimiter(rate_limit_percent=50)  # 512 KiB/s
    records = [kinesis_record_due(200 * 1024, 30.0 + n) for n in range(5)]
    assert [limiter.submit(r, 0.0) for r in records] == [True, True, False, False, False]
    ready, delay = limiter.release(0.0)
    assert ready == [] and delay == pytest.approx(1.0)
    ready, _ = limiter.release(1.0)
    assert ready == records[2:4]
    ready, _ = limiter.release(2.0)
    assert ready == records[4:]


def test_limiter_keeps_shards_apart_and_lets_unknown_shards_pass() -> None:
    limiter = ShardLimiter()
    for _ in range(1_000):
        assert limiter.submit(kinesis_record(10, "a"), 0.0)
    assert not limiter.submit(kinesis_record(10, "a"), 0.0)
    assert limiter.submit(kinesis_record(10, "b"), 0.0)
    assert all(limiter.submit(kinesis_record(10, None), 0.0) for _ in range(5_000))


def test_a_throttled_shard_takes_a_smaller_share_and_grows_back() -> None:
    """Several producers on one shard: each backs off when Kinesis throttles it, and takes
    its limits back while it does not."""
    limiter = ShardLimiter(rate_limit_percent=100)
    limiter.throttled("s", 10.0)
    assert limiter.share("s") == pytest.approx(0.85)
    limiter.throttled("s", 10.1)  # the same call's other entries: counted once
    assert limiter.share("s") == pytest.approx(0.85)
    for n in range(40):
        limiter.throttled("s", 10.3 + n * 0.3)
    assert limiter.share("s") == pytest.approx(0.3, abs=0.05)  # not below the floor
    # A second without throttling gives back a tenth of the limits.
    sent = [limiter.submit(kinesis_record_due(10, 60.0), 23.0) for _ in range(1_000)]
    assert 350 <= sent.count(True) <= 450
    assert limiter.share("s") == pytest.approx(0.4, abs=0.05)
    assert limiter.mean_share(23.0) == limiter.share("s")
    limiter.release(100.0)
    assert limiter.share("s") == 1.0


@settings(max_examples=30, deadline=None)
@given(
    arrivals=st.lists(
        st.tuples(st.floats(0, 5), st.integers(1, 300_000)), min_size=1, max_size=3_000
    ),
    percent=st.sampled_from([50, 100]),
)
def test_no_sliding_second_carries_more_than_the_shard_limits(
    arrivals: list[tuple[float, int]], percent: int
) -> None:
    """Whatever arrives when, what leaves one shard within any 1 s window stays within its
    records and bytes limits (a record larger than the byte limit alone excepted)."""
    limiter = ShardLimiter(rate_limit_percent=percent)
    max_records, max_bytes = 1_000 * percent / 100, 1024 * 1024 * percent / 100
    sent: list[tuple[float, int]] = []
    wake: float | None = None
    for now, size in sorted(arrivals):
        while wake is not None and wake <= now:
            ready, delay = limiter.release(wake)
            sent.extend((wake, r.size) for r in ready)
            wake = None if delay is None else wake + delay
        record = kinesis_record_due(max(size, 11), now + 30)
        if limiter.submit(record, now):
            sent.append((now, record.size))
        elif wake is None:
            wake = now
    while wake is not None:
        ready, delay = limiter.release(wake)
        sent.extend((wake, r.size) for r in ready)
        wake = None if delay is None else wake + delay
    assert len(sent) == len(arrivals)
    for start, _ in sent:
        window = [size for time, size in sent if start <= time < start + 1.0]
        assert len(window) <= max_records
        assert sum(window) <= max_bytes or len(window) == 1


# Retrier -------------------------------------------------------------------------------------


def test_backoff_grows_exponentially_with_jitter_within_bounds() -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=2.0)
    rng = random.Random(7)
    for retry in range(1, 12):
        ceiling = min(2.0, 0.1 * 2 ** (retry - 1))
        delays = [policy.backoff(retry, rng.random) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 100  # jittered
    assert policy.backoff(1, lambda: 0.0) == pytest.approx(0.05)
    assert policy.backoff(1, lambda: 1.0) == pytest.approx(0.1)


def test_max_attempts_bounds_the_attempts_within_a_ttl() -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=2.0)
    # Shortest waits: .05 .1 .2 .4 .8 (1.55 s), then 1 s each: the 34th wait ends past 30 s.
    assert policy.max_attempts(30.0) == 34
    assert policy.max_attempts(0.01) == 1


def batch_of(count: int, ttl: float = 30.0) -> list[KinesisRecord]:
    return [KinesisRecord.single(user_record(ttl=ttl), "s") for _ in range(count)]


def test_partial_failure_retries_only_the_failed_entries() -> None:
    retrier = Retrier(RetryPolicy(), rng=lambda: 0.5)
    batch = batch_of(4)
    response = {
        "FailedRecordCount": 2,
        "Records": [
            {"ShardId": "s", "SequenceNumber": "1"},
            {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "slow"},
            {"ShardId": "s", "SequenceNumber": "2"},
            {"ErrorCode": "InternalFailure", "ErrorMessage": "oops"},
        ],
    }
    outcome = retrier.on_response(batch, response, duration=0.01, now=1.0)
    assert [(r, s, n) for r, s, n in outcome.succeeded] == [
        (batch[0], "s", "1"),
        (batch[2], "s", "2"),
    ]
    assert [r for r, _ in outcome.retry] == [batch[1], batch[3]]
    assert all(delay == pytest.approx(0.075) for _, delay in outcome.retry)
    assert outcome.failed == []
    assert batch[1].attempts[-1].error_code == "ProvisionedThroughputExceededException"
    assert batch[0].attempts[-1].success


def test_errors_that_waiting_cannot_fix_fail_at_once() -> None:
    retrier = Retrier(RetryPolicy())
    batch = batch_of(1)
    response = {"Records": [{"ErrorCode": "KMSAccessDeniedException", "ErrorMessage": "no"}]}
    outcome = retrier.on_response(batch, response, 0.01, 1.0)
    assert outcome.failed == batch and outcome.retry == []


def test_a_retry_that_would_come_after_the_ttl_fails_with_the_last_error() -> None:
    retrier = Retrier(RetryPolicy(base_delay=1.0, max_delay=1.0), rng=lambda: 1.0)
    batch = batch_of(1, ttl=10.0)
    response = {"Records": [{"ErrorCode": "KMSThrottlingException", "ErrorMessage": "kms"}]}
    assert retrier.on_response(batch, response, 0.01, now=8.5).retry  # 9.5 < 10
    outcome = retrier.on_response(batch, response, 0.01, now=9.5)  # 10.5 >= 10
    assert outcome.failed == batch
    assert batch[0].attempts[-1].error_code == "KMSThrottlingException"
    assert len(batch[0].attempts) == 2


def test_fail_if_throttled() -> None:
    retrier = Retrier(RetryPolicy(fail_if_throttled=True))
    batch = batch_of(2)
    response = {
        "Records": [
            {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "x"},
            {"ErrorCode": "InternalFailure", "ErrorMessage": "y"},
        ]
    }
    outcome = retrier.on_response(batch, response, 0.01, 1.0)
    assert outcome.failed == [batch[0]] and [r for r, _ in outcome.retry] == [batch[1]]


def client_error(code: str, status: int) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {
            "Error": {"Code": code, "Message": "m"},
            # All of the metadata, as botocore parses it from an error response.
            "ResponseMetadata": {
                "RequestId": "request",
                "HostId": "",
                "HTTPStatusCode": status,
                "HTTPHeaders": {},
                "RetryAttempts": 0,
            },
        },
        "PutRecords",
    )


@pytest.mark.parametrize(
    ("exception", "code", "retryable"),
    [
        (client_error("ProvisionedThroughputExceededException", 400), None, True),
        (client_error("KMSThrottlingException", 400), None, True),
        (client_error("InternalFailure", 500), None, True),
        (client_error("SomethingNew", 503), None, True),
        (client_error("ResourceNotFoundException", 400), None, False),
        (client_error("AccessDeniedException", 400), None, False),
        (botocore.exceptions.EndpointConnectionError(endpoint_url="x"), None, True),
        (botocore.exceptions.ConnectionClosedError(endpoint_url="x"), None, True),
        (botocore.exceptions.ReadTimeoutError(endpoint_url="x"), None, True),
        (TimeoutError(), "TimeoutError", True),
        (ValueError("bug"), "ValueError", False),
    ],
)
def test_exception_classification(exception: Exception, code: str | None, retryable: bool) -> None:
    got_code, _, got_retryable = classify_exception(exception)
    assert got_retryable is retryable
    if code is not None:
        assert got_code == code


def test_a_failed_call_retries_every_entry() -> None:
    retrier = Retrier(RetryPolicy())
    batch = batch_of(3)
    exc = botocore.exceptions.EndpointConnectionError(endpoint_url="http://x")
    outcome = retrier.on_exception(batch, exc, 0.01, 1.0)
    assert [r for r, _ in outcome.retry] == batch
    assert batch[0].attempts[-1].error_code == "EndpointConnectionError"


def test_a_malformed_answer_counts_as_a_failure() -> None:
    outcome = Retrier(RetryPolicy()).on_response(batch_of(2), {"Records": []}, 0.01, 1.0)
    assert len(outcome.retry) == 2


# Shard map -----------------------------------------------------------------------------------


def list_shards_entry(shard_id: str, low: int, high: int, closed: bool = False) -> dict[str, Any]:
    sequence: dict[str, str] = {"StartingSequenceNumber": "1"}
    if closed:
        sequence["EndingSequenceNumber"] = "9"
    return {
        "ShardId": shard_id,
        "HashKeyRange": {"StartingHashKey": str(low), "EndingHashKey": str(high)},
        "SequenceNumberRange": sequence,
    }


def test_shard_map_finds_the_owner_of_every_key_including_the_boundaries() -> None:
    top = 2**128 - 1
    third = top // 3
    shard_map = ShardMap.from_list_shards(
        [
            list_shards_entry("old", 0, top, closed=True),
            list_shards_entry("c", 2 * third + 1, top),
            list_shards_entry("a", 0, third),
            list_shards_entry("b", third + 1, 2 * third),
        ]
    )
    assert len(shard_map) == 3 and shard_map.shard_ids == {"a", "b", "c"}
    expectations = {
        0: "a",
        third: "a",
        third + 1: "b",
        2 * third: "b",
        2 * third + 1: "c",
        top: "c",
    }
    for key, shard_id in expectations.items():
        shard = shard_map.shard_for(key)
        assert shard is not None and shard.shard_id == shard_id, key
        assert key in shard
    assert shard_map.get("old") is None


def test_shard_map_reports_keys_no_open_shard_owns() -> None:
    shard_map = ShardMap.from_list_shards([list_shards_entry("a", 100, 200)])
    assert shard_map.shard_for(99) is None
    assert shard_map.shard_for(201) is None
    assert shard_map.shard_for(150) is not None
