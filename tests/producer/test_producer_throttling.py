"""Throttled shards: overload becomes 503 back-pressure, never expiry; calls stay full; and a
request-level InvalidArgumentException fails only the record that caused it."""

from __future__ import annotations

import asyncio
import json
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fault_proxy import FaultProxy
from producer_support import REGION, ServiceProcess, assert_all_in_stream, http, wait_until
from prometheus_client.parser import text_string_to_metric_families

from producer import KinesisProducer, ProducerConfig, UserRecordFailedError

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]

LOST = "kinesis_producer_user_records_lost_total"


def metric_families(service: ServiceProcess) -> dict[str, Any]:
    status, _, body = http("GET", f"{service.url}/metrics")
    assert status == 200
    return {family.name: family for family in text_string_to_metric_families(body.decode())}


def backlog_drained(service: ServiceProcess) -> Callable[[], bool]:
    return lambda: service.metrics()["kinesis_producer_outstanding_user_records"] == 0


class BatchLoad:
    """Threads posting NDJSON batches to some services until stopped."""

    def __init__(self, urls: list[str], batch: int, payload: int, threads: int = 2) -> None:
        self.urls = urls
        self.batch = batch
        self.payload = payload
        self.acknowledged: list[bytes] = []
        self.refusals: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)
        ]

    def __enter__(self) -> BatchLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def _run(self, number: int) -> None:
        url = self.urls[number % len(self.urls)]
        padding = "p" * self.payload
        while not self._stop.is_set():
            data = [f"{uuid.uuid4()} {padding}" for _ in range(self.batch)]
            body = "".join(json.dumps({"data": d}) + "\n" for d in data)
            try:
                status, _, answer = http(
                    "POST", f"{url}/records", body, "application/x-ndjson", timeout=30
                )
            except OSError:
                continue
            with self._lock:
                if status == 200:
                    self.acknowledged.extend(d.encode() for d in data)
                else:
                    error = json.loads(answer)["error"]
                    self.refusals[error] = self.refusals.get(error, 0) + 1
            if status != 200:
                time.sleep(0.05)


@pytest.mark.parametrize(
    ("aggregation", "batch", "payload"),
    [
        # Aggregated (the default): the shard's 1 MiB/s binds.
        ("true", 100, 1_000),
        # Not aggregated: its 1,000 records/s bind, and each call must still carry hundreds.
        ("false", 100, 10),
    ],
)
def test_two_services_on_one_throttled_shard_refuse_instead_of_expiring(
    kinesis: Any,
    clean_proxy: FaultProxy,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
    aggregation: str,
    batch: int,
    payload: int,
) -> None:
    """The default deployment's case: one shard, several tasks. The proxy throttles the
    shard at Kinesis' limits over both services together; each service alone would stay
    within them. Scaled down: RecordTtl 15 s, about 8 s of load above the shard's capacity
    (at 10 s, a CI run whose other lanes starved the producer processes of CPU saw 188 records
    expire: the bound models Kinesis' rate, not the machine's)."""
    stream = make_stream(1)
    clean_proxy.shard_limits = (1_000, 1024 * 1024)
    services = [
        start_service(
            stream,
            endpoint=clean_proxy.url,
            AGGREGATION_ENABLED=aggregation,
            RECORD_TTL_MS="15000",
        )
        for _ in range(2)
    ]
    for number, service in enumerate(services):
        confirm = json.dumps({"data": f"confirm {number}"})
        assert http("POST", f"{service.url}/", confirm)[0] == 200
    with BatchLoad([s.url for s in services], batch, payload) as load:
        time.sleep(8)
    families: list[dict[str, Any]] = []
    for service in services:
        wait_until(backlog_drained(service), 30, "the backlog to drain")
        assert service.metrics()[LOST] == 0, service.log()
        families.append(metric_families(service))
        assert service.terminate()[0] == 0, service.log()
    assert load.refusals.get("overloaded", 0) > 0, load.refusals
    assert clean_proxy.counts["entries_throttled"] > 0
    # Full calls at saturation: most carry over a hundred user records (not counting the
    # first confirmations).
    for family in families:
        buckets = {
            sample.labels["le"]: sample.value
            for sample in family["kinesis_producer_user_records_per_put_records"].samples
            if sample.name.endswith("_bucket")
        }
        assert buckets["100.0"] - 1 < (buckets["+Inf"] - 1) / 2, buckets
    if aggregation == "false":
        assert statistics.median(clean_proxy.batch_sizes[2:]) >= 100, clean_proxy.batch_sizes
    sent = dict.fromkeys(load.acknowledged, (None, None))
    sent |= {b"confirm 0": (None, None), b"confirm 1": (None, None)}
    assert_all_in_stream(kinesis, stream, sent)


def test_a_narrow_link_refuses_instead_of_expiring(
    kinesis: Any,
    clean_proxy: FaultProxy,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
) -> None:
    """A service link narrower than the shard: Kinesis answers every call, slowly, and
    throttles nothing. The backlog's age, not an error, must turn the overload into 503s.
    Scaled down: RecordTtl 6 s, 8 s of load at several times what the link carries."""
    stream = make_stream(1)
    clean_proxy.link_bytes_per_second = 250_000
    service = start_service(stream, endpoint=clean_proxy.url, RECORD_TTL_MS="6000")
    assert http("POST", f"{service.url}/", json.dumps({"data": "confirm"}))[0] == 200
    with BatchLoad([service.url], 100, 1_000) as load:
        time.sleep(8)
    wait_until(backlog_drained(service), 30, "the backlog to drain")
    assert service.metrics()[LOST] == 0, service.log()
    assert service.terminate()[0] == 0, service.log()
    assert load.refusals.get("overloaded", 0) > 0, load.refusals
    assert clean_proxy.counts["entries_throttled"] == 0
    sent = dict.fromkeys(load.acknowledged, (None, None)) | {b"confirm": (None, None)}
    assert len(sent) > 1_000
    assert_all_in_stream(kinesis, stream, sent)


@pytest.mark.parametrize("aggregation", [True, False])
def test_a_request_level_invalid_argument_fails_only_the_offending_record(
    kinesis: Any, clean_proxy: FaultProxy, make_stream: Callable[[int], str], aggregation: bool
) -> None:
    stream = make_stream(1)
    clean_proxy.poison_key = "poison"
    keys = [str(uuid.uuid4()) for _ in range(300)]
    # Aggregated, the first record's key is its aggregate's: the aggregate is refused whole,
    # and then its user records one by one.
    keys[0 if aggregation else 150] = "poison"

    async def scenario() -> tuple[list[Any], float]:
        config = ProducerConfig(aggregation_enabled=aggregation)
        async with KinesisProducer(
            stream, region=REGION, endpoint_url=clean_proxy.url, config=config
        ) as producer:
            futures = [
                producer.add_user_record(key, f"r{n}".encode()) for n, key in enumerate(keys)
            ]
            results = await asyncio.gather(*futures, return_exceptions=True)
            splits = producer.registry.get_sample_value(
                "kinesis_producer_split_put_records_calls_total"
            )
            return results, splits or 0.0

    results, splits = asyncio.run(scenario())
    failed = [n for n, result in enumerate(results) if isinstance(result, BaseException)]
    assert failed == [keys.index("poison")]
    error = results[failed[0]]
    assert isinstance(error, UserRecordFailedError)
    assert error.error_code == "InvalidArgumentException"
    assert splits > 0
    sent = {f"r{n}".encode(): (key, None) for n, key in enumerate(keys) if key != "poison"}
    assert_all_in_stream(kinesis, stream, sent)
