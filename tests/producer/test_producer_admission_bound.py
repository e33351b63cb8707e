"""The admission bound: what Kinesis is expected to take within a quarter of RecordTtl.

Pure arithmetic on what the producer measured, checked against the shard limits Kinesis
documents (1 MiB and 1,000 records per second per shard) and the rules the bound follows.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from producer import ProducerConfig
from producer.kinesis.admission import (
    RATE_SAMPLES,
    Delivery,
    DeliveryRate,
    admission_bound,
)

MIB = 1024 * 1024
#: RecordTtl 30 s (the default): the window is a quarter of it.
WINDOW = 7.5


#: One shard at its full limits, nothing put yet, no backlog.
FRESH = Delivery(shards=1, share=1.0, put_rate=(0.0, 0.0), saturated=False, lag=0.0)


def delivery(**changes: Any) -> Delivery:
    return dataclasses.replace(FRESH, **changes)


def test_a_fresh_producer_assumes_the_share_of_a_shared_shard_not_the_whole_shard() -> None:
    records, size = admission_bound(ProducerConfig(), delivery(shards=2))
    # The limiter's floor share (0.3) of two shards' 1 MiB/s, for 7.5 s.
    assert size == int(2 * MIB * 0.3 * WINDOW)
    # Aggregated, the record count does not bind below the configured limit.
    assert records == ProducerConfig().max_outstanding_records


def test_what_it_puts_raises_the_bound_up_to_the_limits_and_no_further() -> None:
    config = ProducerConfig()
    _, halfway = admission_bound(config, delivery(put_rate=(500.0, 0.6 * MIB)))
    assert halfway == int(0.6 * MIB * WINDOW)
    _, beyond = admission_bound(config, delivery(put_rate=(900.0, 5 * MIB)))
    assert beyond == int(MIB * WINDOW)


def test_saturated_the_floor_goes_and_the_measured_rate_is_the_capacity() -> None:
    _, size = admission_bound(ProducerConfig(), delivery(put_rate=(0.0, 0.1 * MIB), saturated=True))
    assert size == int(0.1 * MIB * WINDOW)


def test_a_backlog_older_than_half_the_window_counts_as_saturation() -> None:
    config = ProducerConfig()
    rate = (0.0, 0.1 * MIB)
    _, young = admission_bound(config, delivery(put_rate=rate, lag=WINDOW / 2 - 0.1))
    _, old = admission_bound(config, delivery(put_rate=rate, lag=WINDOW / 2 + 0.1))
    assert young == int(MIB * 0.3 * WINDOW)
    assert old == int(0.1 * MIB * WINDOW)


def test_a_backlog_older_than_the_window_shrinks_the_bound_in_proportion() -> None:
    _, size = admission_bound(
        ProducerConfig(), delivery(put_rate=(0.0, 0.4 * MIB), saturated=True, lag=2 * WINDOW)
    )
    assert size == int(0.4 * MIB * WINDOW / 2)


def test_not_aggregated_the_record_limit_binds_too() -> None:
    config = ProducerConfig(aggregation_enabled=False)
    fresh_records, _ = admission_bound(config, delivery())
    assert fresh_records == int(1_000 * 0.3 * WINDOW)
    records, _ = admission_bound(config, delivery(put_rate=(400.0, 0.0), saturated=True))
    assert records == int(400 * WINDOW)


def test_throttled_shards_lower_the_ceiling_with_the_limiter_share() -> None:
    _, size = admission_bound(ProducerConfig(), delivery(share=0.5, put_rate=(0.0, 5 * MIB)))
    assert size == int(0.5 * MIB * WINDOW)


def test_spooling_keeps_the_limits_whatever_was_measured() -> None:
    config = ProducerConfig()
    records, size = admission_bound(
        config, delivery(spooling=True, saturated=True, lag=100.0, put_rate=(0.0, 0.0))
    )
    assert size == int(MIB * WINDOW) and records == config.max_outstanding_records


def test_the_configured_limits_cap_the_bound() -> None:
    config = ProducerConfig(max_outstanding_bytes=MIB)
    _, size = admission_bound(config, delivery(shards=64, put_rate=(0.0, 64 * MIB)))
    assert size == MIB


@pytest.mark.parametrize("ttl_ms", [4_000, 60_000])
def test_the_window_is_a_quarter_of_record_ttl(ttl_ms: int) -> None:
    config = ProducerConfig(record_ttl_ms=ttl_ms)
    _, size = admission_bound(config, delivery(put_rate=(0.0, MIB)))
    assert size == int(MIB * ttl_ms / 1000 / 4)


def test_the_delivery_rate_spans_every_sample_even_while_they_fill() -> None:
    rate = DeliveryRate()
    assert rate.sample(0, 0) == (0.0, 0.0)
    # A first burst of 1 MiB in one interval is spread over the whole span (1.75 s).
    records, size = rate.sample(1_000, MIB)
    assert size == pytest.approx(MIB / 1.75) and records == pytest.approx(1_000 / 1.75)
    for n in range(2, RATE_SAMPLES + 3):
        records, size = rate.sample(1_000 * n, MIB * n)
    # Steady: 1 MiB per 0.25 s interval.
    assert size == pytest.approx(4 * MIB)
