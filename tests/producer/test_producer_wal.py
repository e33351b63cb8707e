"""The spool as a write-ahead log, over the real wire: a record answered 200 is on disk first,
so a SIGKILL (during an outage or under load) loses none; slots left by dead tasks are adopted;
damage costs only what is damaged; a replay interrupted when the spool is full loses nothing.

Every test asserts on ids: each record answered 200 is in the stream (read back deaggregated;
at least once, so duplicates are allowed), and what is missing is what the counters say.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fault_proxy import FaultProxy
from producer_support import ServiceProcess, http, producer_pids, read_stream, wait_until

from producer.kinesis.spool import QUARANTINED, Spool, _entry

LOST = "kinesis_producer_user_records_lost_total"
UNCONFIRMED = "kinesis_producer_user_records_unconfirmed_total"
SPOOLED = "kinesis_producer_user_records_spooled_total"
REPLAYED = "kinesis_producer_user_records_replayed_total"
SPOOL_BYTES = "kinesis_producer_spool_bytes"
CORRUPT = "kinesis_producer_spool_corrupt_entries_total"
QUARANTINED_FILES = "kinesis_producer_spool_quarantined_files_total"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


class Sender:
    """Posts batches of records with unique ids; remembers the ids answered 200."""

    def __init__(self, service: ServiceProcess) -> None:
        self.service = service
        self.acknowledged: set[bytes] = set()
        self.refusals: dict[str, int] = {}

    def send(self, batches: int, tag: str, size: int = 20) -> None:
        for _ in range(batches):
            data = [f"{tag} {uuid.uuid4()}" for _ in range(size)]
            body = "".join(json.dumps({"data": d}) + "\n" for d in data)
            status, _, answer = http(
                "POST", f"{self.service.url}/records", body, "application/x-ndjson"
            )
            if status == 200:
                self.acknowledged.update(d.encode() for d in data)
            else:
                error = json.loads(answer)["error"]
                self.refusals[error] = self.refusals.get(error, 0) + 1


def in_stream(kinesis: Any, stream: str) -> set[bytes]:
    return {record.data for record in read_stream(kinesis, stream)}


def assert_acknowledged_in_stream(kinesis: Any, stream: str, acknowledged: set[bytes]) -> None:
    missing = acknowledged - in_stream(kinesis, stream)
    assert not missing, f"{len(missing)} of {len(acknowledged)} records answered 200 are lost"


def wal_env(directory: Path, **extra: str) -> dict[str, str]:
    return {
        "SPOOL_DIR": str(directory),
        "CONNECT_TIMEOUT_MS": "300",
        "SPOOL_FSYNC": "never",  # a SIGKILL is covered whatever the policy
        "PRODUCER_PROCESS": "false",
        **extra,
    }


def drained(service: ServiceProcess) -> Callable[[], bool]:
    return lambda: service.metrics()[SPOOL_BYTES] == 0


@pytest.mark.parametrize("when", ["puts_hanging", "records_parked"])
def test_a_sigkill_during_an_outage_loses_no_acknowledged_record(
    when: str,
    kinesis: Any,
    tmp_path: Path,
    clean_proxy: FaultProxy,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
) -> None:
    """Kinesis connections hang; the service is killed while its puts hang (nothing spooled
    after a failure yet), or once they failed and the records wait in the spool."""
    stream = make_stream(2)
    timeout = "30000" if when == "puts_hanging" else "1000"
    env = wal_env(tmp_path / "spool", REQUEST_TIMEOUT_MS=timeout)
    first = start_service(stream, endpoint=clean_proxy.url, **env)
    sender = Sender(first)
    sender.send(1, "confirm", size=1)
    clean_proxy.hold(True)
    sender.send(10, "during")
    if when == "records_parked":
        wait_until(lambda: first.metrics()[SPOOLED] > 0, 30, "the records to be parked")
        sender.send(10, "parked")
    assert sender.acknowledged
    first.kill()
    clean_proxy.hold(False)
    second = start_service(stream, endpoint=clean_proxy.url, **env)
    wait_until(drained(second), 60, "the spool to be replayed")
    assert second.terminate()[0] == 0, second.log()
    assert_acknowledged_in_stream(kinesis, stream, sender.acknowledged)
    assert not list((tmp_path / "spool").glob("*/*.spool"))


@pytest.mark.parametrize("producer_process", ["false", "true"])
def test_a_sigkill_under_load_loses_no_acknowledged_record(
    kinesis: Any,
    tmp_path: Path,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
    moto_endpoint: str,
    producer_process: str,
) -> None:
    """Both processes (with PRODUCER_PROCESS=true) killed at once under load: each record
    answered 200 was written to the spool first, by whichever process writes it."""
    stream = make_stream(2)
    env = wal_env(tmp_path / "spool", PRODUCER_PROCESS=producer_process)
    first = start_service(stream, **env)
    sender = Sender(first)
    sender.send(1, "confirm", size=1)
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            try:
                sender.send(1, "load", size=50)
            except OSError:
                return  # killed

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(sender.acknowledged) >= 3_000, 60, "records to be taken")
        first.kill_all()
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    second = start_service(stream, **env)
    wait_until(drained(second), 60, "the spool to be replayed")
    assert second.terminate()[0] == 0, second.log()
    assert_acknowledged_in_stream(kinesis, stream, sender.acknowledged)


def test_a_sigkill_of_the_producer_process_alone_loses_and_counts_nothing(
    kinesis: Any,
    tmp_path: Path,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
) -> None:
    """PRODUCER_PROCESS=true, the producer process alone killed under load: the next one it
    is replaced with takes over the dead one's slot and puts what was written there; the
    answers that waited for the dead one are 503, not 200. Nothing answered 200 is missing,
    and nothing is counted lost or unconfirmed (the exit status is 0)."""
    stream = make_stream(2)
    service = start_service(stream, **wal_env(tmp_path / "spool", PRODUCER_PROCESS="true"))
    sender = Sender(service)
    sender.send(1, "confirm", size=1)
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            sender.send(1, "load", size=50)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(sender.acknowledged) >= 2_000, 60, "records to be taken")
        (pid,) = producer_pids(service)
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: len(producer_pids(service)) == 2, 30, "a new producer process")
        taken = len(sender.acknowledged)
        wait_until(lambda: len(sender.acknowledged) > taken + 500, 60, "records taken again")
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    wait_until(drained(service), 60, "the spool to be replayed")
    metrics = service.metrics()
    counted = (metrics[LOST], metrics[UNCONFIRMED])
    status, _ = service.terminate()
    assert_acknowledged_in_stream(kinesis, stream, sender.acknowledged)
    assert counted == (0, 0)
    assert status == 0, service.log()


def test_a_producer_adopts_the_slot_of_a_dead_neighbour(
    kinesis: Any,
    tmp_path: Path,
    clean_proxy: FaultProxy,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
) -> None:
    """Two tasks on one instance share SPOOL_DIR; both are killed during an outage, one is
    restarted: it replays both slots, and removes the other once drained."""
    stream = make_stream(2)
    spool = tmp_path / "spool"
    env = wal_env(spool, REQUEST_TIMEOUT_MS="30000")
    services = [start_service(stream, endpoint=clean_proxy.url, **env) for _ in range(2)]
    senders = [Sender(service) for service in services]
    for sender in senders:
        sender.send(1, "confirm", size=1)
    clean_proxy.hold(True)
    for sender in senders:
        sender.send(10, "during")
    for service in services:
        service.kill()
    clean_proxy.hold(False)
    assert sorted(path.name for path in spool.iterdir()) == ["slot-0", "slot-1"]
    successor = start_service(stream, endpoint=clean_proxy.url, **env)
    wait_until(drained(successor), 60, "both slots to be replayed")
    assert successor.terminate()[0] == 0, successor.log()
    acknowledged = senders[0].acknowledged | senders[1].acknowledged
    assert len(acknowledged) == 402
    assert_acknowledged_in_stream(kinesis, stream, acknowledged)
    assert [path.name for path in spool.iterdir()] == ["slot-0"]


def damaged_spool(directory: Path) -> tuple[list[bytes], list[bytes]]:
    """A spool left by a dead process, then damaged: a flipped byte in the middle of one
    segment, a torn tail in another, a directory and an unreadable file named like segments.
    Returns (the records that must come back, those the damage took)."""
    spool = Spool(directory, 100_000_000, segment_bytes=20_000)
    kept: list[bytes] = []
    for part in range(3):
        datas = [f"damaged {part} {n} {uuid.uuid4()}".encode() for n in range(200)]
        spool.append([(f"key-{n}", d, None) for n, d in enumerate(datas)])
        kept.extend(datas)
    os.close(spool.slots[0].lock)  # killed
    slot = directory / "slot-0"
    segments = sorted(slot.glob("*.spool"))
    assert len(segments) == 3
    flipped = bytearray(segments[0].read_bytes())
    middle = len(flipped) // 2
    flipped[middle] ^= 0xFF
    segments[0].write_bytes(bytes(flipped))
    segments[1].write_bytes(segments[1].read_bytes()[:-5])
    (slot / f"{10:020d}.spool").mkdir()
    unreadable = slot / f"{11:020d}.spool"
    if os.geteuid() != 0:
        unreadable.write_bytes(b"\0" * 64)
        unreadable.chmod(0)  # EACCES
    else:
        os.mkfifo(unreadable)  # root reads any file: not a regular file instead
    # Which records the damage took: the one whose entry holds the flipped byte, and the last
    # one of the torn segment.
    offset = 0
    for n, flipped_record in enumerate(kept[:200]):
        offset += len(_entry(f"key-{n}", flipped_record, None))
        if offset > middle:
            break
    lost = [flipped_record, kept[399]]
    return [d for d in kept if d not in lost], lost


def test_damage_costs_only_what_is_damaged_and_the_service_starts(
    kinesis: Any,
    tmp_path: Path,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
) -> None:
    stream = make_stream(1)
    spool = tmp_path / "spool"
    kept, lost = damaged_spool(spool)
    # With the producer in a process of its own: its counters reach /metrics too.
    service = start_service(stream, **wal_env(spool, PRODUCER_PROCESS="true"))
    wait_until(drained(service), 60, "the spool to be replayed")
    metrics = service.metrics()
    found = in_stream(kinesis, stream)
    missing = [d for d in kept + lost if d not in found]
    assert sorted(missing) == sorted(lost)
    assert metrics[CORRUPT] == len(missing) == 2
    assert metrics[QUARANTINED_FILES] == 2
    assert http("GET", f"{service.url}/healthcheck")[0] == 200
    assert service.terminate()[0] == 0, service.log()
    slot = spool / "slot-0"
    assert (slot / f"{10:020d}.spool{QUARANTINED}").is_dir()
    assert (slot / f"{11:020d}.spool{QUARANTINED}").exists()
    assert not list(slot.glob("*.spool"))


def test_a_replay_interrupted_while_the_spool_is_full_loses_nothing(
    kinesis: Any,
    tmp_path: Path,
    clean_proxy: FaultProxy,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
) -> None:
    """The spool at its bound; the link comes back, the replay starts, and the link goes
    again: the records read back go back to their places (there is no room to append them)."""
    stream = make_stream(1)
    service = start_service(
        stream,
        endpoint=clean_proxy.url,
        **wal_env(
            tmp_path / "spool",
            RECORD_TTL_MS="3000",
            MAX_OUTSTANDING_RECORDS="1000",
            MAX_OUTSTANDING_BYTES="1048576",
            MAX_BATCH_RECORDS="1000",
            MAX_BATCH_BODY_BYTES="1048576",
            SPOOL_MAX_BYTES="2400000",
        ),
    )
    sender = Sender(service)
    sender.send(1, "confirm", size=1)
    clean_proxy.set_down(True)
    padding = "p" * 2_000
    while "spool_full" not in sender.refusals:
        sender.send(1, f"full {padding}", size=50)
        assert len(sender.acknowledged) < 5_000, "the spool was never full"
    clean_proxy.set_down(False)
    wait_until(lambda: service.metrics()[REPLAYED] > 0, 30, "the replay to start")
    clean_proxy.set_down(True)
    spooled = service.metrics()[SPOOLED]
    wait_until(lambda: service.metrics()[SPOOLED] > spooled, 30, "records read back to be parked")
    clean_proxy.set_down(False)
    wait_until(drained(service), 60, "the spool to be replayed")
    assert service.metrics()[LOST] == 0
    assert service.terminate()[0] == 0, service.log()
    assert_acknowledged_in_stream(kinesis, stream, sender.acknowledged)


@pytest.mark.parametrize("producer_process", ["false", "true"])
def test_records_the_spool_cannot_write_are_refused_and_none_answered_200_is_lost(
    kinesis: Any,
    tmp_path: Path,
    clean_proxy: FaultProxy,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
    producer_process: str,
) -> None:
    """The disk fails under the spool (RLIMIT_FSIZE: EFBIG, as ENOSPC would) while Kinesis
    hangs: the records of the failed append are answered 503 spool_full, also when the HTTP
    process had admitted them already; then every process is killed. Every id answered 200 was
    written down, so the next start on a healthy disk puts it."""
    stream = make_stream(2)
    env = wal_env(tmp_path / "spool", PRODUCER_PROCESS=producer_process, REQUEST_TIMEOUT_MS="30000")
    first = start_service(stream, endpoint=clean_proxy.url, file_size_limit=200_000, **env)
    sender = Sender(first)
    sender.send(1, "confirm", size=1)
    clean_proxy.hold(True)
    while "spool_full" not in sender.refusals:
        sender.send(1, "before the disk fails", size=50)
        assert len(sender.acknowledged) < 20_000, "the spool never failed"
    assert set(sender.refusals) == {"spool_full"}, sender.refusals
    assert sender.acknowledged
    first.kill_all()
    clean_proxy.hold(False)
    second = start_service(stream, endpoint=clean_proxy.url, **env)
    wait_until(drained(second), 60, "the spool to be replayed")
    assert second.metrics()[LOST] == 0
    assert second.terminate()[0] == 0, second.log()
    assert_acknowledged_in_stream(kinesis, stream, sender.acknowledged)
