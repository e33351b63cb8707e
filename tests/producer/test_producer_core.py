"""The producer library against a Kinesis-compatible server, with and without faults."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fault_proxy import FaultProxy
from producer_support import (
    assert_all_in_stream,
    expected_shard,
    hash_key,
    read_stream,
    shard_ranges,
)

from producer import (
    BackPressureError,
    KinesisProducer,
    ProducerClosedError,
    ProducerConfig,
    RecordTooLargeError,
    UserRecordFailedError,
    UserRecordResult,
)
from producer.kinesis.records import UnavailableError
from producer.kinesis.retrier import RetryPolicy

pytestmark = pytest.mark.timeout(120)

REGION = "us-east-1"


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(asyncio.wait_for(scenario(), 100))


def producer_for(stream: str, endpoint: str, **config: Any) -> KinesisProducer:
    return KinesisProducer(
        stream, region=REGION, endpoint_url=endpoint, config=ProducerConfig(**config)
    )


def metric(producer: KinesisProducer, name: str, **labels: str) -> float:
    value = producer.registry.get_sample_value(f"kinesis_producer_{name}", labels or None)
    return value or 0.0


def make_records(count: int, prefix: str = "r") -> dict[bytes, tuple[str, str | None]]:
    """data -> (partition key, explicit hash key); every tenth with an explicit hash key."""
    records: dict[bytes, tuple[str, str | None]] = {}
    for n in range(count):
        explicit = str((n * 7919 * 2**100) % (2**128 - 2) + 1) if n % 10 == 0 else None
        records[f"{prefix}-{n}-{uuid.uuid4()}".encode()] = (str(uuid.uuid4()), explicit)
    return records


def test_results_name_the_shard_sequence_and_sub_sequence(
    kinesis: Any, make_stream: Callable[[int], str], moto_endpoint: str
) -> None:
    stream = make_stream(4)
    sent = make_records(3_000)

    async def scenario() -> tuple[list[UserRecordResult], KinesisProducer]:
        async with producer_for(stream, moto_endpoint) as producer:
            futures = [
                producer.add_user_record(key, data, ehk) for data, (key, ehk) in sent.items()
            ]
            return list(await asyncio.gather(*futures)), producer

    results, producer = run(scenario)
    ranges = shard_ranges(kinesis, stream)
    in_stream = {
        (r.shard_id, r.sequence_number, r.sub_sequence_number): r.data
        for r in assert_all_in_stream(kinesis, stream, sent)
    }
    for (data, (key, explicit)), result in zip(sent.items(), results, strict=True):
        assert result.successful and result.error_code is None
        assert result.shard_id == expected_shard(ranges, hash_key(key, explicit))
        position = (result.shard_id, result.sequence_number, result.sub_sequence_number)
        assert in_stream[position] == data
    # Aggregation: far fewer Kinesis records and calls than user records.
    assert metric(producer, "user_records_put_total") == 3_000
    assert metric(producer, "kinesis_records_put_total") < 100
    assert metric(producer, "put_records_calls_total", outcome="success") < 20
    assert producer.outstanding_records == 0 and producer.outstanding_bytes == 0


def test_records_over_the_kinesis_limit_are_refused_at_once(
    kinesis: Any, make_stream: Callable[[int], str], moto_endpoint: str
) -> None:
    stream = make_stream(1)
    key = "k" * 16
    largest = b"L" * (1024 * 1024 - len(key))

    async def scenario() -> UserRecordResult:
        async with producer_for(stream, moto_endpoint) as producer:
            with pytest.raises(RecordTooLargeError, match="1048577 bytes"):
                producer.add_user_record(key, largest + b"!")
            assert producer.outstanding_records == 0
            return await producer.add_user_record(key, largest)

    result = run(scenario)
    assert result.successful
    assert [r.data for r in read_stream(kinesis, stream)] == [largest]


def test_back_pressure_refuses_beyond_the_bound_all_or_nothing(
    make_stream: Callable[[int], str], moto_endpoint: str
) -> None:
    stream = make_stream(1)

    async def scenario() -> None:
        async with producer_for(
            stream, moto_endpoint, max_outstanding_records=100, record_max_buffered_time_ms=5000
        ) as producer:
            producer.add_user_records([(f"k{n}", b"x", None) for n in range(60)])
            with pytest.raises(BackPressureError, match="bound is 100 records"):
                producer.add_user_records([(f"k{n}", b"x", None) for n in range(41)])
            assert producer.outstanding_records == 60  # none of the 41 was taken
            producer.add_user_records([(f"k{n}", b"x", None) for n in range(40)])
            with pytest.raises(BackPressureError):
                producer.add_user_record("k", b"x")
            await producer.flush()
            assert producer.outstanding_records == 0
            after = producer.add_user_record("k", b"after")
            await producer.flush()
            assert after.result().successful
            assert metric(producer, "user_records_refused_total", reason="back_pressure") == 42

    run(scenario)


def test_records_wait_for_the_oldest_to_reach_record_max_buffered_time(
    clean_proxy: FaultProxy, make_stream: Callable[[int], str]
) -> None:
    stream = make_stream(2)

    async def scenario() -> None:
        async with producer_for(
            stream, clean_proxy.url, record_max_buffered_time_ms=600
        ) as producer:
            # Until a put succeeded, nothing is buffered: the caller waits for it anyway.
            await producer.add_user_record("z", b"0")
            assert producer.status.confirmed
            assert clean_proxy.counts["put_records_calls"] == 1
            started = time.monotonic()
            first = producer.add_user_record("a", b"1")
            await asyncio.sleep(0.3)
            second = producer.add_user_record("b", b"2")
            await asyncio.sleep(0.1)
            assert clean_proxy.counts["put_records_calls"] == 1  # still buffering
            await asyncio.gather(first, second)
            assert time.monotonic() - started >= 0.6
            # One call for both: the flush came when the oldest was due.
            assert clean_proxy.counts["put_records_calls"] == 2

    run(scenario)


def test_close_drains_everything_and_then_refuses(
    kinesis: Any, make_stream: Callable[[int], str], moto_endpoint: str
) -> None:
    stream = make_stream(2)
    sent = make_records(500)

    async def scenario() -> None:
        producer = producer_for(stream, moto_endpoint, record_max_buffered_time_ms=10_000)
        await producer.start()
        futures = [producer.add_user_record(key, data, ehk) for data, (key, ehk) in sent.items()]
        assert await producer.close() == 0
        assert all(f.done() and f.result().successful for f in futures)
        with pytest.raises(ProducerClosedError):
            producer.add_user_record("k", b"late")

    run(scenario)
    assert_all_in_stream(kinesis, stream, sent)


def test_a_missing_stream_refuses_records_naming_the_error(moto_endpoint: str) -> None:
    async def scenario() -> None:
        async with producer_for("no-such-stream", moto_endpoint) as producer:
            assert producer.shard_map is None
            assert producer.status.cause == "kinesis_error"
            assert producer.status.error_code == "ResourceNotFoundException"
            with pytest.raises(UnavailableError) as refusal:
                producer.add_user_record("k", b"x")
            assert refusal.value.cause == "kinesis_error"
            assert "ResourceNotFoundException" in str(refusal.value)
            assert producer.outstanding_records == 0
        refused = metric(producer, "user_records_refused_total", reason="kinesis_error")
        assert refused == 1

    run(scenario)


def test_a_stream_created_later_is_found_by_the_probe(
    kinesis: Any, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused while missing; once the stream exists, the probe finds it, and records that
    wait for the first put are taken."""
    from producer.kinesis import core

    monkeypatch.setattr(core, "PROBE_INTERVAL", 0.1)
    name = f"test-late-{uuid.uuid4().hex[:8]}"

    async def scenario() -> UserRecordResult:
        async with producer_for(name, moto_endpoint) as producer:
            assert producer.status.cause == "kinesis_error"
            kinesis.create_stream(StreamName=name, ShardCount=1)
            for _ in range(100):
                if producer.status.ready:
                    break
                await asyncio.sleep(0.1)
            assert producer.status.ready and not producer.status.confirmed
            result = await producer.add_user_record("k", b"late stream")
            assert producer.status.confirmed
            return result

    assert run(scenario).successful
    assert_all_in_stream(kinesis, name, {b"late stream": ("k", None)})


# Faults --------------------------------------------------------------------------------------


def test_throttled_entries_are_retried_until_put_once(
    kinesis: Any, clean_proxy: FaultProxy, make_stream: Callable[[int], str]
) -> None:
    stream = make_stream(4)
    sent = make_records(2_000)
    clean_proxy.throttle_share = 0.4
    # Smaller aggregates, so that the throttled share is spread over many entries.
    config = {"aggregation_max_size": 4096, "retry_base_delay_ms": 20}

    async def scenario() -> tuple[list[UserRecordResult], KinesisProducer]:
        async with producer_for(stream, clean_proxy.url, **config) as producer:
            futures = [
                producer.add_user_record(key, data, ehk) for data, (key, ehk) in sent.items()
            ]
            return list(await asyncio.gather(*futures)), producer

    results, producer = run(scenario)
    throttled = clean_proxy.counts["entries_throttled"]
    assert throttled > 20
    assert metric(
        producer, "retries_total", error_code="ProvisionedThroughputExceededException"
    ) == pytest.approx(throttled)
    # Only the failed entries were sent again: every entry was forwarded exactly once.
    assert clean_proxy.counts["entries_forwarded"] == metric(producer, "kinesis_records_put_total")
    retried = [r for r in results if len(r.attempts) > 1]
    assert retried and all(
        a.error_code == "ProvisionedThroughputExceededException"
        for r in retried
        for a in r.attempts[:-1]
    )
    assert_all_in_stream(kinesis, stream, sent)


def test_an_unreachable_server_for_seconds_loses_nothing(
    kinesis: Any, clean_proxy: FaultProxy, make_stream: Callable[[int], str]
) -> None:
    stream = make_stream(2)
    sent = make_records(800)
    ttl = 20.0

    async def scenario() -> KinesisProducer:
        async with producer_for(
            stream, clean_proxy.url, record_ttl_ms=int(ttl * 1000), connect_timeout_ms=500
        ) as producer:
            clean_proxy.set_down(True)
            items = list(sent.items())
            futures = [producer.add_user_record(k, d, e) for d, (k, e) in items[:400]]
            await asyncio.sleep(1.5)
            # The failed calls tell: records are refused (the outage could outlast their
            # TTL), those taken stay buffered.
            assert producer.status.cause == "kinesis_unreachable"
            with pytest.raises(UnavailableError):
                producer.add_user_record(*items[400][1][:1], items[400][0])
            assert producer.outstanding_records == 400
            clean_proxy.set_down(False)
            while not producer.status.ready:
                await asyncio.sleep(0.1)
            futures += [producer.add_user_record(k, d, e) for d, (k, e) in items[400:]]
            results = await asyncio.gather(*futures)
            assert all(result.successful for result in results)
            return producer

    producer = run(scenario)
    retries = sum(
        value
        for name, value in _samples(producer, "kinesis_producer_retries_total").items()
        if name
    )
    attempts_bound = RetryPolicy(0.1, 2.0).max_attempts(ttl)
    kinesis_records = metric(producer, "kinesis_records_put_total")
    assert 0 < retries <= kinesis_records * attempts_bound
    assert_all_in_stream(kinesis, stream, sent)


def _samples(producer: KinesisProducer, name: str) -> dict[str, float]:
    return {
        sample.labels.get("error_code", ""): sample.value
        for family in producer.registry.collect()
        for sample in family.samples
        if sample.name == name
    }


def test_slow_answers_are_waited_for(
    kinesis: Any, clean_proxy: FaultProxy, make_stream: Callable[[int], str]
) -> None:
    stream = make_stream(2)
    sent = make_records(600)
    clean_proxy.delay = 1.0

    async def scenario() -> list[UserRecordResult]:
        async with producer_for(stream, clean_proxy.url, request_timeout_ms=5000) as producer:
            futures = [producer.add_user_record(k, d, e) for d, (k, e) in sent.items()]
            return list(await asyncio.gather(*futures))

    results = run(scenario)
    assert all(r.successful and r.attempts[-1].duration >= 1.0 for r in results)
    assert_all_in_stream(kinesis, stream, sent)


def test_record_ttl_fails_records_with_the_last_error(
    clean_proxy: FaultProxy, make_stream: Callable[[int], str]
) -> None:
    stream = make_stream(1)
    ttl = 2.5

    async def scenario() -> None:
        async with producer_for(
            stream, clean_proxy.url, record_ttl_ms=int(ttl * 1000), connect_timeout_ms=300
        ) as producer:
            clean_proxy.set_down(True)
            started = time.monotonic()
            futures = [producer.add_user_record(f"k{n}", b"x") for n in range(50)]
            outcomes = await asyncio.gather(*futures, return_exceptions=True)
            elapsed = time.monotonic() - started
            assert all(isinstance(o, UserRecordFailedError) for o in outcomes)
            failure = outcomes[0]
            assert isinstance(failure, UserRecordFailedError)
            # The last error, not a generic "expired".
            assert failure.error_code in {"EndpointConnectionError", "ConnectionClosedError"}
            assert 1 < len(failure.result.attempts) <= RetryPolicy(0.1, 2.0).max_attempts(ttl)
            # Failed within the TTL (give or take one connection attempt), not long before.
            assert ttl - 2.0 < elapsed < ttl + 1.5
            assert producer.outstanding_records == 0
            assert (
                metric(producer, "user_records_failed_total", error_code=failure.error_code) == 50
            )

    run(scenario)


def test_a_stale_shard_map_is_reloaded_and_misplaced_records_are_resent(
    kinesis: Any, clean_proxy: FaultProxy, make_stream: Callable[[int], str]
) -> None:
    """As after a reshard: the producer predicts a shard that no longer takes these keys."""
    stream = make_stream(4)
    sent = make_records(1_200)
    clean_proxy.stale_shards = 1  # the first ListShards answers with an outdated map

    async def scenario() -> tuple[list[UserRecordResult], KinesisProducer]:
        async with producer_for(stream, clean_proxy.url) as producer:
            shard_map = producer.shard_map
            assert shard_map is not None and shard_map.shard_ids == {"shardId-000000009999"}
            futures = [producer.add_user_record(k, d, e) for d, (k, e) in sent.items()]
            results = list(await asyncio.gather(*futures))
            shard_map = producer.shard_map
            assert shard_map is not None and len(shard_map) == 4
            return results, producer

    results, producer = run(scenario)
    assert metric(producer, "misplaced_kinesis_records_total") >= 1
    assert metric(producer, "shard_map_loads_total") == 2
    ranges = shard_ranges(kinesis, stream)
    for (_, (key, explicit)), result in zip(sent.items(), results, strict=True):
        assert result.shard_id == expected_shard(ranges, hash_key(key, explicit))
    # Read like the KCL: skip user records outside the range of the shard they are in.
    raw = read_stream(kinesis, stream)
    kept: dict[bytes, list[str]] = {}
    for record in raw:
        key, explicit = sent[record.data]
        low, high = ranges[record.shard_id]
        if low <= hash_key(key, explicit) <= high:
            kept.setdefault(record.data, []).append(record.shard_id)
    assert set(kept) == set(sent)
    assert all(len(shards) == 1 for shards in kept.values())
    assert len(raw) > len(sent)  # the misplaced copies, which such readers skip
