"""The producer process: the HTTP process hands records over to it, and either may die.

Records acknowledged with 200 survive the HTTP process being killed (the producer process
puts them and exits); the producer process dying stops the service with status 1 and fails
what waited for it. The library side (``ProducerProcess``) is used directly too.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from producer_support import (
    ROOT,
    ServiceProcess,
    assert_all_in_stream,
    http,
    producer_pids,
    run_to_exit,
    wait_until,
)

from producer import (
    BackPressureError,
    ProducerClosedError,
    ProducerConfig,
    ProducerProcess,
    RecordTooLargeError,
)


def producer_pid(service: ServiceProcess) -> int:
    """The producer process's pid, from the HTTP process's log."""
    wait_until(lambda: len(producer_pids(service)) == 1, 10, "the producer process's pid")
    return producer_pids(service)[0]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is not alive either.
    status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return status != "Z"


def send(
    service: ServiceProcess, count: int, tag: str
) -> dict[bytes, tuple[str | None, str | None]]:
    """One record confirmed (until a put succeeds, each answer waits for its put), then
    ``count`` records fire and forget."""
    status, _, _ = http("POST", f"{service.url}/", json.dumps({"data": f"{tag}-confirm"}))
    assert status == 200
    sent: dict[bytes, tuple[str | None, str | None]] = {f"{tag}-confirm".encode(): (None, None)}
    for number in range(count):
        data = f"{tag}-{number}"
        status, _, _ = http("POST", f"{service.url}/", json.dumps({"data": data}))
        assert status == 200
        sent[data.encode()] = (None, None)
    return sent


@pytest.mark.timeout(120)
def test_records_acknowledged_survive_the_http_process_being_killed(
    make_stream: Callable[[int], str], start_service: Callable[..., ServiceProcess], kinesis: Any
) -> None:
    stream = make_stream(2)
    # Records wait up to 60 s for more to aggregate with: at the kill, all are still buffered.
    service = start_service(stream, RECORD_MAX_BUFFERED_TIME_MS="60000")
    pid = producer_pid(service)
    sent = send(service, 40, "orphaned")
    assert service.metrics()["kinesis_producer_user_records_put_total"] == 1
    service.kill()  # SIGKILL: no shutdown of its own
    wait_until(lambda: not alive(pid), 60, "the producer process to put its records and exit")
    assert_all_in_stream(kinesis, stream, sent)
    log = [json.loads(line) for line in service.log().splitlines() if line.startswith("{")]
    assert any(line["message"].startswith("the HTTP process went away") for line in log)


@pytest.mark.timeout(120)
def test_a_ctrl_c_reaching_both_processes_still_drains_in_order(
    make_stream: Callable[[int], str], start_service: Callable[..., ServiceProcess], kinesis: Any
) -> None:
    """A terminal's Ctrl-C signals the whole process group; the producer process ignores it
    and is closed by the HTTP process, after everything buffered is put."""
    stream = make_stream(2)
    service = start_service(stream, RECORD_MAX_BUFFERED_TIME_MS="60000")
    pid = producer_pid(service)
    sent = send(service, 30, "interrupted")
    os.kill(pid, signal.SIGINT)
    os.kill(service.process.pid, signal.SIGINT)
    status = service.process.wait(60)
    assert status == 0, service.log()
    assert not alive(pid)
    assert_all_in_stream(kinesis, stream, sent)


@pytest.mark.timeout(120)
def test_a_producer_process_that_dies_is_restarted_and_its_records_count_as_lost(
    make_stream: Callable[[int], str], start_service: Callable[..., ServiceProcess], kinesis: Any
) -> None:
    stream = make_stream(1)
    service = start_service(stream, RECORD_MAX_BUFFERED_TIME_MS="60000")
    pid = producer_pid(service)
    confirmed = send(service, 5, "lost")
    # A record whose result is awaited when the producer process goes.
    waiting: dict[str, Any] = {}

    def wait_for_result() -> None:
        waiting["answer"] = http("POST", f"{service.url}/?wait=true", json.dumps({"data": "w"}))

    async def kill_while_waiting() -> None:
        request = asyncio.get_running_loop().run_in_executor(None, wait_for_result)
        await asyncio.sleep(0.5)
        os.kill(pid, signal.SIGKILL)
        await request

    asyncio.run(kill_while_waiting())
    status, _, body = waiting["answer"]
    assert status == 502, body
    assert json.loads(body)["errorCode"] == "ProducerProcessExited"
    # A new producer process takes records again; the service did not stop.
    wait_until(lambda: len(producer_pids(service)) == 2, 30, "a second producer process")
    assert service.process.poll() is None
    wait_until(lambda: http("GET", f"{service.url}/healthcheck")[0] == 200, 30, "readiness again")
    assert http("GET", f"{service.url}/livez")[0] == 200
    after = send(service, 3, "after")
    # Lost during the life of the process: exit status 1, and the log says how many.
    assert service.terminate()[0] == 1
    (exited,) = [
        line
        for line in service.log_lines()
        if line.get("message", "").startswith("the producer process exited unexpectedly")
    ]
    assert exited["status"] == -signal.SIGKILL and exited["user_records_lost"] == 5
    (stopped,) = [line for line in service.log_lines() if line.get("message") == "stopped"]
    assert stopped["user_records_lost"] == 5 and stopped["level"] == "ERROR"
    # The confirmed record and those after the restart are in the stream; the five lost are
    # not (and were counted).
    first = {data: key for data, key in confirmed.items() if data.endswith(b"confirm")}
    assert_all_in_stream(kinesis, stream, first | after)


def test_the_library_runs_the_producer_in_a_process_of_its_own(
    make_stream: Callable[[int], str],
    moto_endpoint: str,
    kinesis: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = make_stream(4)
    monkeypatch.setenv("AWS_ENDPOINT_URL_KINESIS", moto_endpoint)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))

    async def run() -> dict[str, Any]:
        config = ProducerConfig(max_outstanding_records=50)
        async with ProducerProcess(stream, region="us-east-1", config=config) as producer:
            assert producer.shards == 4
            waited = [
                producer.add_user_record(f"key-{n}", f"waited-{n}".encode()) for n in range(10)
            ]
            producer.add_user_records(
                [(f"key-{n}", f"batched-{n}".encode(), None) for n in range(30)], futures=False
            )
            admitted = producer.outstanding_records
            results = await asyncio.gather(*waited)
            await producer.flush()
            settled = producer.outstanding_records, producer.outstanding_bytes
            await producer.refresh_metrics()
            families = {family.name: family for family in producer.registry.collect()}
            return {
                "admitted": admitted,
                "results": results,
                "settled": settled,
                "families": families,
            }

    outcome = asyncio.run(run())
    assert outcome["admitted"] == 40
    assert outcome["settled"] == (0, 0)
    assert all(result.successful and result.shard_id for result in outcome["results"])
    families = outcome["families"]
    put = families["kinesis_producer_user_records_put"].samples
    assert [sample.value for sample in put if sample.name.endswith("_total")] == [40]
    # The front's own gauges, and no second copy of them from the producer process.
    assert families["kinesis_producer_outstanding_user_records"].samples[0].value == 0
    sent = {f"waited-{n}".encode(): (f"key-{n}", None) for n in range(10)}
    sent |= {f"batched-{n}".encode(): (f"key-{n}", None) for n in range(30)}
    assert_all_in_stream(kinesis, stream, sent)


def test_the_front_refuses_at_its_bound_and_after_close(
    make_stream: Callable[[int], str], moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = make_stream(1)
    monkeypatch.setenv("AWS_ENDPOINT_URL_KINESIS", moto_endpoint)

    async def run() -> tuple[int, int]:
        config = ProducerConfig(max_outstanding_records=5, record_max_buffered_time_ms=60_000)
        producer = ProducerProcess(stream, region="us-east-1", config=config)
        await producer.start()
        with pytest.raises(RecordTooLargeError):
            producer.add_user_record_nowait("big", b"x" * 1024 * 1024)
        refused = producer.registry.get_sample_value(
            "kinesis_producer_user_records_refused_total", {"reason": "too_large"}
        )
        assert refused == 1 and producer.outstanding_records == 0
        producer.add_user_records([(f"k{n}", b"x", None) for n in range(5)], futures=False)
        with pytest.raises(BackPressureError, match="5 user records"):
            producer.add_user_record("one-more", b"x")
        refused_at_bound = producer.outstanding_records
        started = time.monotonic()
        abandoned = await producer.close(timeout=30)
        assert time.monotonic() - started < 30
        with pytest.raises(ProducerClosedError):
            producer.add_user_record("late", b"x")
        return refused_at_bound, abandoned

    assert asyncio.run(run()) == (5, 0)


@pytest.mark.parametrize(
    ("v2", "v1", "expected"),
    [
        ("50000 100000\n", None, 0.5),  # an ECS task of 512 CPU units
        ("max 100000\n", None, None),  # no limit: the affinity mask counts
        ("300000 100000\n", None, None),  # above the CPUs there are
        (None, ("150000", "100000"), 1.5),  # cgroup v1
        (None, ("-1", "100000"), None),
        ("garbage", None, None),
        (None, None, None),
    ],
)
def test_available_cpus_are_capped_by_the_container_quota(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    v2: str | None,
    v1: tuple[str, str] | None,
    expected: float | None,
) -> None:
    from producer.process import cpus

    cpu_max = tmp_path / "cpu.max"
    v1_dir = tmp_path / "cpu"
    if v2 is not None:
        cpu_max.write_text(v2)
    if v1 is not None:
        v1_dir.mkdir()
        (v1_dir / "cpu.cfs_quota_us").write_text(v1[0])
        (v1_dir / "cpu.cfs_period_us").write_text(v1[1])
    monkeypatch.setattr(cpus, "CGROUP_CPU_MAX", cpu_max)
    monkeypatch.setattr(cpus, "CGROUP_V1_CPU", v1_dir)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    assert cpus.available_cpus() == (2.0 if expected is None else expected)
    assert cpus.wants_own_process("auto") is ((expected or 2.0) >= 2)
    assert cpus.wants_own_process("true") and not cpus.wants_own_process("false")


@pytest.mark.parametrize("own_process", ["true", "false"])
def test_a_producer_that_cannot_start_stops_the_service_with_status_2(
    tmp_path: Path, own_process: str
) -> None:
    """No Region anywhere: the Kinesis client cannot be made, in either process."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key != "REGION"
    }
    env |= {
        "STREAM_NAME": "s",
        "PRODUCER_PROCESS": own_process,
        "PYTHONPATH": str(ROOT),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    result = run_to_exit(env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot create the Kinesis client" in result.stderr
    assert "region" in result.stderr.lower()
    assert "Traceback" not in result.stdout + result.stderr
