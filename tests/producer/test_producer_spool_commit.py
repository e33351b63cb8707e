"""Group commit of the spool under SPOOL_FSYNC=always: one fsync, in a worker thread, covers
every append made before it started, and :meth:`Spool.durable` returns only after it."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from producer.kinesis.spool import Spool


def _record(n: int) -> list[tuple[str, bytes, str | None]]:
    return [(f"key-{n}", f"data-{n}".encode(), None)]


def test_concurrent_requests_share_fsyncs_and_each_waits_for_one_after_its_append(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path, 10_000_000, fsync="always")
    flushes: list[int] = []  # appends made when each fsync started
    real_fsync = os.fsync

    def slow_fsync(descriptor: int) -> None:
        flushes.append(spool._appended)
        threading.Event().wait(0.02)
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    released: dict[int, int] = {}  # request -> fsyncs started when its durable() returned

    async def request(n: int) -> None:
        assert spool.append(_record(n)) is not None
        number = spool._appended
        await spool.durable()
        # Some fsync that started after this append has finished.
        assert any(covered >= number for covered in flushes[: len(flushes)])
        released[n] = len(flushes)

    async def main() -> None:
        await asyncio.gather(*(request(n) for n in range(200)))

    asyncio.run(main())
    assert len(released) == 200
    # Group commit: far fewer flushes than requests (each flush covers what came meanwhile).
    assert 1 <= len(flushes) < 50, flushes
    spool.close()


def test_durable_waits_for_the_flush(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spool = Spool(tmp_path, 10_000_000, fsync="always")
    gate = threading.Event()
    real_fsync = os.fsync

    def held_fsync(descriptor: int) -> None:
        gate.wait(5)
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", held_fsync)

    async def main() -> None:
        spool.append(_record(1))
        waiting = asyncio.ensure_future(spool.durable())
        await asyncio.sleep(0.1)
        assert not waiting.done()  # the 200 is not given before the device has it
        gate.set()
        await asyncio.wait_for(waiting, 5)

    asyncio.run(main())
    spool.close()


def test_a_failed_flush_fails_the_waiting_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path, 10_000_000, fsync="always")
    spool.append(_record(0))  # the segment exists (its directory entry flushed)

    def failing_fsync(descriptor: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)

    async def main() -> None:
        assert spool.append(_record(1)) is not None
        with pytest.raises(OSError, match="Input/output error"):
            await spool.durable()

    asyncio.run(main())
    monkeypatch.undo()
    spool.close()


@pytest.mark.parametrize("policy", ["interval", "never"])
def test_other_policies_answer_at_once(tmp_path: Path, policy: str) -> None:
    spool = Spool(tmp_path, 10_000_000, fsync=policy)  # type: ignore[arg-type]

    async def main() -> None:
        spool.append(_record(1))
        await asyncio.wait_for(spool.durable(), 0.5)

    asyncio.run(main())
    spool.close()


def test_a_fast_device_is_flushed_on_the_event_loop_once_a_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flushes measured faster than INLINE_FSYNC_SECONDS: no worker thread; the appends made
    in one turn of the loop share one flush, which every one of them waits for."""
    spool = Spool(tmp_path, 10_000_000, fsync="always")
    spool._fsync_seconds = 0.00001  # as measured on a fast device
    threads: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(descriptor: int) -> None:
        threads.append(threading.current_thread().name)
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording_fsync)

    async def request(n: int) -> None:
        assert spool.append(_record(n)) is not None
        await spool.durable()

    async def main() -> None:
        await asyncio.gather(*(request(n) for n in range(100)))
        assert spool._synced == spool._appended

    asyncio.run(main())
    assert threads and set(threads) == {threading.main_thread().name}
    assert len(threads) < 10, threads  # one per turn, not one per append
    spool.close()


def test_a_slow_device_moves_the_flushes_to_a_worker_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path, 10_000_000, fsync="always")
    spool._fsync_seconds = 0.00001
    threads: list[str] = []
    real_fsync = os.fsync

    def slow_fsync(descriptor: int) -> None:
        threads.append(threading.current_thread().name)
        threading.Event().wait(0.01)
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", slow_fsync)

    async def main() -> None:
        for n in range(12):
            spool.append(_record(n))
            await spool.durable()

    asyncio.run(main())
    # The first flushes ran on the loop; once their time was known, a worker thread took over.
    assert threads[0] == threading.main_thread().name
    assert threads[-1] != threading.main_thread().name
    assert spool._fsync_seconds is not None and spool._fsync_seconds > 0.005
    spool.close()


def test_a_failed_inline_flush_fails_the_waiting_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path, 10_000_000, fsync="always")
    spool.append(_record(0))  # the segment exists (its directory entry flushed)
    spool._fsync_seconds = 0.00001

    def failing_fsync(descriptor: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)

    async def main() -> None:
        assert spool.append(_record(1)) is not None
        with pytest.raises(OSError, match="Input/output error"):
            await spool.durable()

    asyncio.run(main())
