"""The HTTP process's side of ``Written``: answers that wait for their records to be written to
the spool by the producer process are released, refused or timed out by Add message."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from producer import ProducerConfig, ProducerProcess
from producer.kinesis.records import ProducerClosedError, UnavailableError
from producer.process import front as front_module


def _front(tmp_path: Path) -> ProducerProcess:
    return ProducerProcess("stream", config=ProducerConfig(spool_dir=str(tmp_path)))


async def _waiting(front: ProducerProcess, adds_sent: int) -> asyncio.Future[None]:
    front._loop = asyncio.get_running_loop()
    front._adds_sent = adds_sent
    waiting = asyncio.ensure_future(front.durable())
    await asyncio.sleep(0)
    assert not waiting.done()
    return waiting


def test_answers_are_released_by_add_and_those_of_refused_adds_fail(tmp_path: Path) -> None:
    async def main() -> None:
        front = _front(tmp_path)
        first = [await _waiting(front, 1) for _ in range(3)]
        second = [await _waiting(front, 2) for _ in range(2)]
        third = await _waiting(front, 3)
        front._written(2, refused=(2,), unflushed=None)
        await asyncio.sleep(0)
        for waiting in first:
            assert waiting.result() is None
        for waiting in second:
            with pytest.raises(UnavailableError) as refused:
                waiting.result()
            assert refused.value.cause == "spool_full"
        assert not third.done()
        front._written(3, refused=(), unflushed=None)
        await asyncio.sleep(0)
        assert third.result() is None
        assert front._written_waiters == {}
        # Written already: no wait at all.
        await asyncio.wait_for(front.durable(), 0.1)

    asyncio.run(main())


def test_answers_time_out_and_fail_when_the_process_dies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(front_module, "WRITTEN_TIMEOUT", 0.05)

    async def main() -> None:
        front = _front(tmp_path)
        late = await _waiting(front, 1)
        with pytest.raises(OSError, match="did not report the records written"):
            await asyncio.wait_for(late, 1)
        dying = await _waiting(front, 2)
        front._fail_waiting("the producer process exited")
        with pytest.raises(ProducerClosedError):
            await dying
        assert front._written_waiters == {}

    asyncio.run(main())


def test_answers_of_adds_that_were_not_flushed_fail_though_a_later_flush_succeeded(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        front = _front(tmp_path)
        failed = [await _waiting(front, n) for n in (1, 2)]
        flushed = await _waiting(front, 3)
        front._written(2, refused=(), unflushed=(1, 2))
        front._written(3, refused=(), unflushed=None)
        await asyncio.sleep(0)
        for waiting in failed:
            with pytest.raises(OSError, match="could not flush"):
                waiting.result()
        assert flushed.result() is None

    asyncio.run(main())
