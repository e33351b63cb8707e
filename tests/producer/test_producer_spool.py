"""The disk spool: alone (format, bound, torn writes, reopening), and in the service through
outages, a SIGKILL of the whole service, and a full spool."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fault_proxy import FaultProxy
from producer_support import ServiceProcess, assert_all_in_stream, http, wait_until

from producer.kinesis.config import _SPOOL_ENTRY_OVERHEAD
from producer.kinesis.spool import ENTRY_OVERHEAD, QUARANTINED, Spool, _entry

LOST = "kinesis_producer_user_records_lost_total"
SPOOLED = "kinesis_producer_user_records_spooled_total"
REPLAYED = "kinesis_producer_user_records_replayed_total"
SPOOL_BYTES = "kinesis_producer_spool_bytes"


# The spool alone -----------------------------------------------------------------------------


def records(count: int, prefix: str = "r") -> list[tuple[str, bytes, str | None]]:
    return [
        (f"key-{n}-ü", f"{prefix}-{n}".encode() * 3, str(n * 10**30) if n % 3 == 0 else None)
        for n in range(count)
    ]


def test_parked_records_come_back_in_order_and_segments_go_once_settled(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 10_000_000, fsync="always", segment_bytes=500)
    parts = [records(20, prefix) for prefix in "abcd"]
    for part in parts:
        appended = spool.append(part)
        assert appended is not None
        segment, offsets = appended
        for offset in offsets:  # not put in time: parked in place, to be read back
            spool.park(segment, offset)
    assert len(list(tmp_path.glob("*/*.spool"))) == 4  # one append never straddles two
    read = spool.read(1_000, 10_000_000)
    assert [record for _, _, record in read] == [record for part in parts for record in part]
    assert spool.empty and spool.bytes > 0
    for segment, _, _ in read:
        spool.settled(segment)
    spool.retire_idle()  # the segment being written goes too, once all of it is settled
    assert spool.bytes == 0 and not list(tmp_path.glob("*/*.spool"))


def test_the_spool_survives_reopening_and_unsettled_records_come_back(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 10_000_000, fsync="never")
    spool.append(records(30))
    spool.read(10, 10_000_000)  # read, never settled: the process died meanwhile
    # As after a SIGKILL: nothing closed but the lock, which the kernel releases.
    os.close(spool.slots[0].lock)
    again = Spool(tmp_path, 10_000_000)
    assert [record for _, _, record in again.read(1_000, 10_000_000)] == records(30)


def test_processes_sharing_a_directory_get_slots_of_their_own(tmp_path: Path) -> None:
    """Two tasks on one instance write apart; a successor takes over the slot left free."""
    first, second = Spool(tmp_path, 10_000_000), Spool(tmp_path, 10_000_000)
    assert first.directory != second.directory
    first.append(records(5, "first"))
    second.append(records(5, "second"))
    first.close()
    successor = Spool(tmp_path, 10_000_000)
    assert successor.directory == first.directory
    assert [record for _, _, record in successor.read(100, 10_000_000)] == records(5, "first")


def test_a_torn_tail_is_skipped_and_what_precedes_it_is_read(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 10_000_000)
    spool.append(records(10))
    spool.close()
    (path,) = tmp_path.glob("*/*.spool")
    whole = path.read_bytes()
    path.write_bytes(whole[:-7])  # the last entry torn by a crash
    reopened = Spool(tmp_path, 10_000_000)
    assert [record for _, _, record in reopened.read(1_000, 10_000_000)] == records(9)
    assert reopened.corrupt_entries == 1


def test_a_flipped_bit_fails_the_checksum(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 10_000_000)
    spool.append(records(10))
    spool.close()
    (path,) = tmp_path.glob("*/*.spool")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    reopened = Spool(tmp_path, 10_000_000)
    read = [record for _, _, record in reopened.read(1_000, 10_000_000)]
    # Only the damaged entry is lost: reading resumes at the next valid entry.
    assert len(read) == 9 and all(record in records(10) for record in read)
    (damaged,) = [record for record in records(10) if record not in read]
    assert reopened.corrupt_entries == 1
    assert reopened.corrupt_bytes == len(_entry(*damaged))


def test_the_size_bound_refuses_appends_all_or_none(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 2_000)
    assert spool.append(records(10))
    used = spool.bytes
    assert not spool.append(records(100))
    assert spool.bytes == used
    assert ENTRY_OVERHEAD <= _SPOOL_ENTRY_OVERHEAD


def test_a_starting_spool_adopts_every_slot_no_live_process_holds(tmp_path: Path) -> None:
    """Three tasks on one instance, two killed; the one restarted replays both of their
    slots (not the live one's) and removes the other once drained."""
    first, alive, third = (Spool(tmp_path, 10_000_000) for _ in range(3))
    first.append(records(5, "first"))
    alive.append(records(5, "alive"))
    third.append(records(5, "third"))
    for dead in (first, third):  # SIGKILL: only the locks go, with the process
        os.close(dead.slots[0].lock)
    successor = Spool(tmp_path, 10_000_000)
    assert [slot.path.name for slot in successor.slots] == ["slot-0", "slot-2"]
    read = successor.read(100, 10_000_000)
    assert sorted(record for _, _, record in read) == sorted(
        records(5, "first") + records(5, "third")
    )
    for segment, _, _ in read:
        successor.settled(segment)
    assert successor.bytes == 0 and len(successor.slots) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["slot-0", "slot-1"]
    assert len(list(tmp_path.glob("*/*.spool"))) == 1  # the live one's


def test_a_record_read_back_keeps_its_place_when_parked_again(tmp_path: Path) -> None:
    """A full spool never loses a record read back: it is never appended again."""
    spool = Spool(tmp_path, 4_000)
    appended = spool.append(records(20))
    assert appended is not None
    segment, offsets = appended
    for offset in offsets:
        spool.park(segment, offset)
    while spool.append(records(1, "filler")) is not None:
        pass  # the spool is full
    used = spool.bytes
    read = spool.read(1_000, 10_000_000)
    assert [record for _, _, record in read] == records(20)
    for segment, offset, _ in read:  # a second outage: not put in time again
        assert spool.park(segment, offset)
    assert spool.bytes == used
    again = spool.read(1_000, 10_000_000)
    assert [record for _, _, record in again] == [record for _, _, record in read]


def unreadable_file(path: Path) -> str:
    """A file named like a segment that cannot be read: chmod 000 (EACCES), or, as root
    (whom permissions do not stop), a FIFO (not a regular file)."""
    if os.geteuid() != 0:
        path.write_bytes(b"x" * 100)
        path.chmod(0)
        return "EACCES"
    os.mkfifo(path)
    return "fifo"


def test_unreadable_segments_and_slots_are_renamed_aside_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path, 10_000_000)
    spool.append(records(10))
    spool.close()
    slot = tmp_path / "slot-0"
    (slot / f"{1:020d}.spool").rename(slot / f"{5:020d}.spool")
    (slot / f"{2:020d}.spool").mkdir()  # a directory named like a segment
    unreadable_file(slot / f"{3:020d}.spool")
    (tmp_path / "slot-1").write_bytes(b"not a slot")  # a file named like a slot
    reopened = Spool(tmp_path, 10_000_000)
    assert reopened.quarantined == 3
    assert [record for _, _, record in reopened.read(1_000, 10_000_000)] == records(10)
    assert (slot / f"{2:020d}.spool{QUARANTINED}").is_dir()
    assert (slot / f"{3:020d}.spool{QUARANTINED}").exists()
    assert (tmp_path / f"slot-1{QUARANTINED}").read_bytes() == b"not a slot"


# The service ---------------------------------------------------------------------------------


class Sender:
    """Posts records one by one; remembers which got 200 and what the others got."""

    def __init__(self, service: ServiceProcess) -> None:
        self.service = service
        self.acknowledged: list[bytes] = []
        self.refusals: dict[str, int] = {}

    def send(self, count: int, tag: str) -> None:
        for n in range(count):
            data = f"{tag} {n} {uuid.uuid4()}"
            status, _, body = http("POST", f"{self.service.url}/", json.dumps({"data": data}))
            if status == 200:
                self.acknowledged.append(data.encode())
            else:
                error = json.loads(body)["error"]
                self.refusals[error] = self.refusals.get(error, 0) + 1


def spool_env(directory: Path, **extra: str) -> dict[str, str]:
    return {
        "SPOOL_DIR": str(directory),
        "RECORD_TTL_MS": "3000",
        "CONNECT_TIMEOUT_MS": "300",
        "SPOOL_FSYNC": "always",
        **extra,
    }


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_an_outage_longer_than_the_ttl_loses_nothing_with_the_spool(
    kinesis: Any,
    tmp_path: Path,
    clean_proxy: FaultProxy,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
) -> None:
    """Scaled down: RecordTtl 3 s, the link down for 6 s. Records keep being taken (the
    task stays ready: it can keep them), and every one answered 200 reaches the stream."""
    stream = make_stream(2)
    service = start_service(stream, endpoint=clean_proxy.url, **spool_env(tmp_path / "spool"))
    sender = Sender(service)
    sender.send(1, "confirm")
    # Buffered when the link goes down, and taken while it is down.
    clean_proxy.set_down(True)
    down = time.monotonic()
    while time.monotonic() - down < 6:
        sender.send(20, "during")
        assert http("GET", f"{service.url}/healthcheck")[0] == 200
        assert http("GET", f"{service.url}/livez")[0] == 200
    assert service.metrics()[SPOOLED] > 0
    clean_proxy.set_down(False)
    sender.send(20, "after")
    wait_until(lambda: service.metrics()[SPOOL_BYTES] == 0, 60, "the spool to be replayed")
    metrics = service.metrics()
    assert metrics[LOST] == 0 and metrics[REPLAYED] == metrics[SPOOLED] > 0
    assert service.terminate()[0] == 0, service.log()
    assert not sender.refusals, sender.refusals
    assert_all_in_stream(kinesis, stream, dict.fromkeys(sender.acknowledged, (None, None)))
    assert not list((tmp_path / "spool").glob("*/*.spool"))


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_sigkill_of_the_whole_service_during_an_outage_is_replayed_by_the_next_one(
    kinesis: Any,
    tmp_path: Path,
    clean_proxy: FaultProxy,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
) -> None:
    stream = make_stream(2)
    env = spool_env(tmp_path / "spool")
    first = start_service(stream, endpoint=clean_proxy.url, **env)
    sender = Sender(first)
    sender.send(1, "confirm")
    clean_proxy.set_down(True)
    sender.send(100, "during")
    wait_until(lambda: first.metrics()[SPOOLED] >= 100, 30, "the records to be spooled")
    # The whole task goes, as when its container is killed: both processes at once.
    (child,) = [
        int(line["pid"])
        for line in first.log_lines()
        if line.get("message") == "producer process started"
    ]
    os.kill(child, signal.SIGKILL)
    first.kill()
    clean_proxy.set_down(False)
    # Its successor on the same host, with the same spool directory.
    second = start_service(stream, endpoint=clean_proxy.url, **env)
    wait_until(lambda: second.metrics()[SPOOL_BYTES] == 0, 60, "the spool to be replayed")
    assert second.metrics()[REPLAYED] >= 100
    assert second.terminate()[0] == 0, second.log()
    assert not sender.refusals, sender.refusals
    assert_all_in_stream(kinesis, stream, dict.fromkeys(sender.acknowledged, (None, None)))


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_full_spool_refuses_records_with_503_and_loses_none(
    kinesis: Any,
    tmp_path: Path,
    clean_proxy: FaultProxy,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
) -> None:
    stream = make_stream(1)
    service = start_service(
        stream,
        endpoint=clean_proxy.url,
        **spool_env(
            tmp_path / "spool",
            MAX_OUTSTANDING_RECORDS="1000",
            MAX_OUTSTANDING_BYTES="1048576",
            MAX_BATCH_RECORDS="1000",
            MAX_BATCH_BODY_BYTES="1048576",
            SPOOL_MAX_BYTES="2400000",
        ),
    )
    sender = Sender(service)
    sender.send(1, "confirm")
    clean_proxy.set_down(True)
    padding = "p" * 2_000
    # Before the first call fails, records wait in memory (back-pressure, or the backlog
    # that one shard takes in a quarter of the TTL, may refuse some); from then on they go
    # to the spool, until it is full.
    while "spool_full" not in sender.refusals:
        data = [f"full {uuid.uuid4()} {padding}" for _ in range(50)]
        body = "".join(json.dumps({"data": d}) + "\n" for d in data)
        status, _, answer = http("POST", f"{service.url}/records", body, "application/x-ndjson")
        if status == 200:
            sender.acknowledged.extend(d.encode() for d in data)
        else:
            assert status == 503, answer
            error = json.loads(answer)["error"]
            sender.refusals[error] = sender.refusals.get(error, 0) + 1
            time.sleep(0.05)
        assert len(sender.acknowledged) < 5_000, "the spool was never full"
    assert set(sender.refusals) <= {"spool_full", "back_pressure", "overloaded"}
    assert service.metrics()[SPOOLED] > 0
    status, _, answer = http("GET", f"{service.url}/healthcheck")
    assert status == 503 and json.loads(answer)["status"] == "spool_full"
    clean_proxy.set_down(False)
    wait_until(lambda: service.metrics()[SPOOL_BYTES] == 0, 60, "the spool to be replayed")
    wait_until(lambda: http("GET", f"{service.url}/healthcheck")[0] == 200, 30, "readiness")
    assert service.metrics()[LOST] == 0
    assert service.terminate()[0] == 0, service.log()
    assert_all_in_stream(kinesis, stream, dict.fromkeys(sender.acknowledged, (None, None)))
