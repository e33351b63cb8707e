"""The front of a :class:`KinesisProducer` in a process of its own, used as if it were local.

The Kinesis Producer Library splits the same way: a thin front in the application's process
checks and hands over user records; aggregation, collection, rate limiting and retries run in
a separate producer process. Here the front is the HTTP process, which then spends its core on
HTTP alone; the producer process (:mod:`producer.process.main`) takes another one. The two
talk over a channel (:mod:`producer.process.ipc`) in the messages of
:mod:`producer.process.messages`.

What stays in the front, so that it answers at once without a round trip:

* the checks of each user record (:func:`~producer.kinesis.records.check_user_record`);
* admission against the outstanding-records and -bytes bounds. The producer process reports
  the totals of records it finished; outstanding is what was admitted minus that;
* refusals once closing, and their metrics.

Records admitted during one event-loop turn (or within :data:`SEND_DELAY`) travel together in
one message.

The producer process is watched. It reports its :class:`~producer.kinesis.health.Status` when it
changes and every half second (the heartbeat). If no message comes for the heartbeat timeout,
it counts as hung: records are refused and :attr:`ProducerProcess.alive` turns false (the
service's liveness route then fails, so that ECS replaces the task). If it dies, every awaited
result fails with ``ProducerProcessExited``, the records it held are counted lost (those it had
sent in a put: unconfirmed, they may be in the stream) on top of what it had counted (its
counters do not go back on /metrics), and a new one is started; if that fails, or it died
:data:`MAX_RESTARTS` times within :data:`RESTART_WINDOW`, ``on_exit`` is called.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, cast

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from ..kinesis.admission import Admission
from ..kinesis.config import ProducerConfig
from ..kinesis.health import (
    PRODUCER_FAILED,
    PRODUCER_RESTARTING,
    PRODUCER_UNRESPONSIVE,
    SPOOL_FULL,
    Status,
)
from ..kinesis.metrics import (
    ADMISSION_FAMILIES,
    COUNT_FAMILIES,
    COUNT_NAMES,
    AdmissionMetrics,
    CountTotals,
    count_families,
)
from ..kinesis.protocol import Producer
from ..kinesis.records import (
    Attempt,
    InvalidRecordError,
    ProducerClosedError,
    ProducerError,
    RecordInput,
    UnavailableError,
    UserRecordFailedError,
    UserRecordResult,
)
from .ipc import ChannelClosed, UnexpectedMessage, frame, receive
from .messages import (
    Add,
    AddResults,
    BoundChanged,
    Close,
    Closed,
    Failed,
    FetchMetrics,
    Flush,
    Flushed,
    Message,
    Metrics,
    Ready,
    Settled,
    Start,
    StartRequest,
    StatusReport,
    Written,
)

log = logging.getLogger(__name__)

#: Seconds admitted records may wait to be sent together to the producer process. Each
#: message wakes both processes: at 8,000 records/s, 10 ms measured a third less CPU in the
#: producer process than 1 ms, and less contention with the HTTP process. Small beside
#: RecordMaxBufferedTime (100 ms); records whose results are awaited go at once.
SEND_DELAY = 0.01
#: Records (or bytes) admitted that are sent at once, without waiting for SEND_DELAY.
SEND_RECORDS = 1_000
SEND_BYTES = 1024 * 1024
#: With a spool, the answers wait for their records to be written there, so records go as
#: soon as the requests that this turn of the event loop parsed have been admitted (at load,
#: many together); an answer gives up after WRITTEN_TIMEOUT.
WRITTEN_TIMEOUT = 10.0
SPOOL_FULL_MESSAGE = "the spool had no room for the records; they were not taken"
UNFLUSHED_MESSAGE = "the producer process could not flush the spool to its device"
#: Seconds to wait for the producer process to start (create its client, load the shard map).
START_TIMEOUT = 120.0
#: Error code of the results lost with a producer process that exited unexpectedly.
PROCESS_EXITED = "ProducerProcessExited"
#: A producer process that died this many times within RESTART_WINDOW seconds is not started
#: again: something a new task would cure is wrong.
MAX_RESTARTS = 3
RESTART_WINDOW = 60.0
#: Seconds between the watchdog's looks at the last heartbeat.
WATCHDOG_INTERVAL = 0.5
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
_NO_COUNTS: CountTotals = (0, 0, 0, 0, 0, 0, 0)
_LOST = COUNT_NAMES.index("lost")
_UNCONFIRMED = COUNT_NAMES.index("unconfirmed")


class ProducerStartError(ProducerError):
    """The producer process could not start; the message says why."""


#: Types of the families whose samples only grow: carried over from a process that died.
_MONOTONIC_TYPES = frozenset({"counter", "histogram"})
_SampleKey = tuple[str, tuple[tuple[str, str], ...]]


class _RemoteFamilies(Collector):
    """The producer process's metric families, as last fetched, on top of what the producer
    processes that died had counted (so that no counter goes backwards across a restart).

    The counters of :class:`~producer.kinesis.metrics.Counts` come from ``counts`` (the front's own
    totals, kept up to date by every ``Settled``), not from a fetch.
    """

    def __init__(self, counts: Callable[[], CountTotals]) -> None:
        self.families: list[Metric] = []
        self._counts = counts
        #: Family name -> (the family, as a template; its samples' totals in dead processes).
        self._dead: dict[str, tuple[Metric, dict[_SampleKey, float]]] = {}

    def process_died(self) -> None:
        """The producer process died: what it counted (as last fetched) carries over."""
        for family in self.families:
            if family.type not in _MONOTONIC_TYPES:
                continue
            _, totals = self._dead.setdefault(family.name, (family, {}))
            for sample in family.samples:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                totals[key] = totals.get(key, 0.0) + sample.value
        self.families = []

    def collect(self) -> Iterator[Metric]:
        yield from count_families(self._counts())
        current = {family.name for family in self.families}
        for family in self.families:
            dead = self._dead.get(family.name)
            yield family if dead is None else _with_dead(family, dead[1])
        for name, (template, totals) in self._dead.items():
            if name not in current:
                yield _with_dead(template, totals, current=False)


def _with_dead(family: Metric, dead: dict[_SampleKey, float], current: bool = True) -> Metric:
    """``family`` (its samples if ``current``) plus the totals of dead producer processes."""
    values = dict(dead)
    for sample in family.samples if current else ():
        key = (sample.name, tuple(sorted(sample.labels.items())))
        values[key] = values.get(key, 0.0) + sample.value
    merged = Metric(family.name, family.documentation, family.type, family.unit)
    for (name, labels), value in values.items():
        merged.add_sample(name, dict(labels), value)
    return merged


class ProducerProcess(Producer):
    """Runs a :class:`~producer.kinesis.core.KinesisProducer` in a child process.

    Same surface as the producer for what the HTTP service needs: :meth:`add_user_record`
    (a future of the :class:`UserRecordResult`), :meth:`add_user_records`, the outstanding
    counts, :meth:`flush` and :meth:`close`, with the same errors.
    """

    def __init__(
        self,
        stream_name: str,
        *,
        region: str | None = None,
        config: ProducerConfig | None = None,
        registry: CollectorRegistry | None = None,
        log_level: str = "INFO",
        orphan_timeout: float = 20.0,
        on_exit: Callable[[], None] | None = None,
        heartbeat_timeout: float = 10.0,
    ) -> None:
        self.stream_name = stream_name
        self.config = config or ProducerConfig()
        self.registry = registry if registry is not None else CollectorRegistry()
        self.metrics = AdmissionMetrics(self.registry)
        #: Admission against the limits, the status and the bound the producer process
        #: reports (what it expects Kinesis to take within a share of RecordTtl).
        self.admission = Admission(self.config, self.metrics)
        self.metrics.watch_outstanding(
            lambda: self.outstanding_records, lambda: self.outstanding_bytes
        )
        self._remote_families = _RemoteFamilies(self._count_totals)
        self.registry.register(self._remote_families)
        self._start = StartRequest(stream_name, region, self.config, log_level, orphan_timeout)
        self._on_exit = on_exit
        self._shards: int | None = None

        self._process: subprocess.Popen[bytes] | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._admitted_records = 0
        self._admitted_bytes = 0
        self._settled_records = 0
        self._settled_bytes = 0
        self._batch: list[RecordInput] = []
        self._batch_bytes = 0
        self._send_handle: asyncio.Handle | None = None
        #: The batch goes at the end of this turn of the event loop (an answer waits for it).
        self._send_soon = False
        self._next_result_id = 0
        self._results: dict[int, asyncio.Future[UserRecordResult]] = {}
        self._requests: dict[int, asyncio.Future[Any]] = {}
        self._request_ids = itertools.count()
        self._closed_answer: asyncio.Future[int] | None = None
        self._closing = False
        self._closed = False
        self._failed = False
        self._heartbeat_timeout = heartbeat_timeout
        self._watchdog: asyncio.TimerHandle | None = None
        self._last_heard = 0.0
        self._unresponsive = False
        self._restarting = False
        self._restarts: deque[float] = deque()
        self._child_status = Status()
        #: What refuses records now (the child's status, or the front's view of the child).
        self.status = Status()
        #: The counters (``Counts.totals()``) of the producer processes that died, with the
        #: records they held counted lost or unconfirmed; and the current one's, as it last
        #: reported them, with the records it holds that may be in the stream.
        self._dead_counts: CountTotals = _NO_COUNTS
        self._child_counts: CountTotals = _NO_COUNTS
        self._child_in_doubt = 0
        #: Records settled by producer processes that died (the current one counts from 0).
        self._settled_base = (0, 0)
        #: With a spool: Add messages sent to the current producer process, and the most of
        #: them it reported written.
        self._adds_sent = 0
        self._adds_written = 0
        #: Answers waiting until the records of an Add message (by number) are written, and
        #: the timer that fails them after WRITTEN_TIMEOUT.
        self._written_waiters: dict[
            int, tuple[list[asyncio.Future[None]], asyncio.TimerHandle]
        ] = {}

    # Lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the producer process and wait until its producer is ready."""
        if self._loop is not None:
            raise RuntimeError("the producer process was already started")
        self._loop = asyncio.get_running_loop()
        await self._spawn()
        self._watchdog = self._loop.call_later(WATCHDOG_INTERVAL, self._watch)

    async def _spawn(self) -> None:
        assert self._loop is not None
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        # The child imports this package, wherever it was started from.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        with theirs:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "producer.process.main", "--fd", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env=env,
                # Not in the terminal's process group: a Ctrl-C reaches only this process,
                # which then closes the producer in order.
                start_new_session=True,
            )
        reader, self._writer = await asyncio.open_unix_connection(sock=ours)
        self._writer.write(frame(Start(self._start)))
        try:
            async with asyncio.timeout(START_TIMEOUT):
                message = await receive(reader)
        except (ChannelClosed, TimeoutError) as error:
            status = await self._reap(5.0)
            if status is None:
                self._process.kill()
                await self._reap(None)
            raise ProducerStartError(
                f"the producer process exited with status {status} before it was ready"
                if status is not None
                else f"the producer process did not start within {START_TIMEOUT} s ({error})"
            ) from None
        match message:
            case Ready(shards=shards, status=child_status, bound=bound):
                self._shards = shards
                self._child_status = child_status
                self.admission.bound = bound
            case Failed(message=why):
                await self._reap(5.0)
                raise ProducerStartError(why)
            case _:
                self._process.kill()
                await self._reap(None)
                raise ProducerStartError(
                    f"the producer process did not start: {UnexpectedMessage(message)}"
                )
        self._child_counts = _NO_COUNTS
        self._child_in_doubt = 0
        self._last_heard = self._loop.time()
        self._closed_answer = self._loop.create_future()
        self._reader_task = self._loop.create_task(self._read(reader))
        self._update_status()
        log.info("producer process started", extra={"pid": self._process.pid})

    async def __aenter__(self) -> ProducerProcess:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def flush(self) -> None:
        """Send everything buffered now and wait until no record is outstanding.

        Raises :class:`ProducerClosedError` if the producer process is not running.
        """
        await self._request(Flush)

    async def close(self, timeout: float | None = None) -> int:
        """Refuse new records, let the producer process put what it holds, and stop it.

        Returns how many user records could not be put (those still outstanding after
        ``timeout`` seconds, or lost with a producer process that died).
        """
        if self._closed:
            return 0
        self._closing = True
        self._closed = True
        if self._process is None or self._closed_answer is None:
            return 0
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._send_now()
        abandoned = self.outstanding_records
        if self._unresponsive and not self.failed:
            log.error("the producer process is not responding; killing it")
            self._process.kill()
        elif not self.failed and not self._restarting:
            self._write(Close(timeout))
            try:
                # The producer process bounds its own wait; this covers a hung one.
                grace = None if timeout is None else timeout + 15.0
                async with asyncio.timeout(grace):
                    abandoned = await asyncio.shield(self._closed_answer)
            except (TimeoutError, ProducerClosedError):
                abandoned = self.outstanding_records
        if await self._reap(10.0) is None:
            log.error("the producer process did not exit; killing it")
            self._process.kill()
            await self._reap(None)
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
        assert self._writer is not None
        self._writer.close()
        self._fail_waiting("the producer closed before a put")
        return abandoned

    async def _reap(self, timeout: float | None) -> int | None:
        """Wait for the producer process to exit; its status, or None if it did not."""
        process = self._process
        assert process is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            return await asyncio.to_thread(process.wait, timeout)
        return None

    # State ----------------------------------------------------------------------------------

    @property
    def outstanding_records(self) -> int:
        return self._admitted_records - self._settled_records

    @property
    def outstanding_bytes(self) -> int:
        return self._admitted_bytes - self._settled_bytes

    @property
    def closing(self) -> bool:
        return self._closing

    @property
    def shards(self) -> int | None:
        """Shards in the map when the producer process started (None: not loaded yet)."""
        return self._shards

    @property
    def failed(self) -> bool:
        """The producer process exited and could not be started again."""
        return self._failed

    @property
    def alive(self) -> bool:
        """False once the producer process stopped answering or cannot be started again:
        only a new task cures that."""
        return not (self.failed or self._unresponsive)

    @property
    def lost_records(self) -> int:
        """User records answered 200 (added without a result awaited) known not to be in
        the stream (see :class:`~producer.kinesis.metrics.Counts`)."""
        return self._count_totals()[_LOST]

    @property
    def unconfirmed_records(self) -> int:
        """User records answered 200 that failed but may be in the stream: a put of them
        went unanswered, or was out when a producer process died."""
        return self._count_totals()[_UNCONFIRMED]

    async def durable(self) -> None:
        """With a spool: return once the producer process reports the records added so far
        (without a future) written to it, as SPOOL_FSYNC promises; at once without one.
        Raises ``UnavailableError`` (spool_full) when it had no room for them and did not take
        them, ``ProducerClosedError`` when the process dies first, ``OSError`` after
        WRITTEN_TIMEOUT."""
        if not self.config.spool_dir:
            return
        target = self._adds_sent + (1 if self._batch else 0)
        if self._adds_written >= target:
            return
        loop = self._loop
        assert loop is not None
        waiter: asyncio.Future[None] = loop.create_future()
        pending = self._written_waiters.get(target)
        if pending is None:
            # One timer for every answer waiting on one Add message, not one per answer.
            late = loop.call_later(WRITTEN_TIMEOUT, self._written_late, target)
            self._written_waiters[target] = ([waiter], late)
        else:
            pending[0].append(waiter)
        handle = self._send_handle
        if handle is not None and not self._send_soon:
            handle.cancel()
            self._send_handle = loop.call_soon(self._send_now)
            self._send_soon = True
        await waiter

    def _written(
        self, adds: int, refused: tuple[int, ...], unflushed: tuple[int, int] | None
    ) -> None:
        self._adds_written = max(self._adds_written, adds)
        pending = self._written_waiters
        for target in [target for target in pending if target <= self._adds_written]:
            waiters, late = pending.pop(target)
            late.cancel()
            if target in refused:
                self._fail_waiters(waiters, UnavailableError(SPOOL_FULL, SPOOL_FULL_MESSAGE))
                continue
            if unflushed is not None and unflushed[0] <= target <= unflushed[1]:
                self._fail_waiters(waiters, OSError(UNFLUSHED_MESSAGE))
                continue
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def _written_late(self, target: int) -> None:
        pending = self._written_waiters.pop(target, None)
        if pending is not None:
            error = OSError(
                f"the producer process did not report the records written to the spool "
                f"within {WRITTEN_TIMEOUT:g} s"
            )
            self._fail_waiters(pending[0], error)

    @staticmethod
    def _fail_waiters(waiters: list[asyncio.Future[None]], error: Exception) -> None:
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(error)

    def _count_totals(self) -> CountTotals:
        dead, child = self._dead_counts, self._child_counts
        return cast(CountTotals, tuple(a + b for a, b in zip(dead, child, strict=True)))

    def _update_status(self) -> None:
        if self.failed:
            status = Status(PRODUCER_FAILED, "the producer process could not be restarted")
        elif self._restarting:
            status = Status(PRODUCER_RESTARTING, "the producer process is being restarted")
        elif self._unresponsive:
            status = Status(
                PRODUCER_UNRESPONSIVE,
                f"the producer process sent nothing for {self._heartbeat_timeout:g} s",
            )
        else:
            status = self._child_status
        if status.cause != self.status.cause and status.cause in (
            PRODUCER_FAILED,
            PRODUCER_UNRESPONSIVE,
        ):
            log.error("producer process: %s", status.message)
        self.status = status

    def _watch(self) -> None:
        assert self._loop is not None
        self._watchdog = self._loop.call_later(WATCHDOG_INTERVAL, self._watch)
        if self._restarting or self.failed:
            return
        unresponsive = self._loop.time() - self._last_heard > self._heartbeat_timeout
        if unresponsive != self._unresponsive:
            self._unresponsive = unresponsive
            if not unresponsive:
                log.info("the producer process is responding again")
            self._update_status()

    async def refresh_metrics(self, timeout: float = 5.0) -> None:
        """Fetch the producer process's metrics, for the next scrape of :attr:`registry`."""
        try:
            async with asyncio.timeout(timeout):
                families: list[Metric] = await self._request(FetchMetrics)
        except (TimeoutError, ProducerClosedError):
            return  # the last ones fetched stand
        self._remote_families.families = [
            family
            for family in families
            if family.name not in ADMISSION_FAMILIES and family.name not in COUNT_FAMILIES
        ]

    # Adding records -------------------------------------------------------------------------

    def add_user_record(
        self, partition_key: str, data: bytes, explicit_hash_key: str | None = None
    ) -> asyncio.Future[UserRecordResult]:
        """Admit one user record; the future resolves once Kinesis confirmed it."""
        return self.add_user_records(((partition_key, data, explicit_hash_key),))[0]

    def add_user_record_nowait(
        self, partition_key: str, data: bytes, explicit_hash_key: str | None = None
    ) -> None:
        """Admit one user record, fire and forget (what ``POST /`` does, so kept lean).

        Same errors as :meth:`add_user_record`; what becomes of the record shows in the
        producer process's metrics and log only.
        """
        if self._loop is None:
            raise RuntimeError("start() the producer process before adding records")
        _, data, size = self.admission.check_record(partition_key, data, explicit_hash_key)
        self._admit(1, size)
        self._batch.append((partition_key, data, explicit_hash_key))
        self._batch_bytes += size
        self._schedule_send()

    def add_user_records(
        self, records: Iterable[RecordInput], *, futures: bool = True
    ) -> list[asyncio.Future[UserRecordResult]]:
        """Admit several user records, all or none; with ``futures=False`` no results."""
        if self._loop is None:
            raise RuntimeError("start() the producer process before adding records")
        prepared: list[RecordInput] = []
        size = 0
        for index, (partition_key, data, explicit_hash_key) in enumerate(records):
            try:
                _, data, record_size = self.admission.check_record(
                    partition_key, data, explicit_hash_key
                )
            except InvalidRecordError as error:
                error.index = index
                raise
            prepared.append((partition_key, data, explicit_hash_key))
            size += record_size
        self._admit(len(prepared), size)
        if futures:
            first_id = self._next_result_id
            self._next_result_id += len(prepared)
            return self._enqueue_waited(prepared, size, first_id)
        self._batch.extend(prepared)
        self._batch_bytes += size
        self._schedule_send()
        return []

    def _admit(self, count: int, size: int) -> None:
        self.admission.check(
            self._admitted_records - self._settled_records,
            self._admitted_bytes - self._settled_bytes,
            count,
            size,
            self._closing,
            self.status,
        )
        self._admitted_records += count
        self._admitted_bytes += size

    def _enqueue_waited(
        self, records: list[RecordInput], size: int, first_id: int
    ) -> list[asyncio.Future[UserRecordResult]]:
        # Records whose results are awaited go in a message of their own per call, so that
        # their ids are one range: (first id, count).
        assert self._loop is not None
        futures = [self._loop.create_future() for _ in records]
        for offset, future in enumerate(futures):
            self._results[first_id + offset] = future
        self._send_now()
        self._write(AddResults(records, size, first_id))
        return futures

    def _schedule_send(self) -> None:
        if len(self._batch) >= SEND_RECORDS or self._batch_bytes >= SEND_BYTES:
            self._send_now()
        elif self._send_handle is None:
            assert self._loop is not None
            self._send_handle = self._loop.call_later(SEND_DELAY, self._send_now)

    def _send_now(self) -> None:
        if self._send_handle is not None:
            self._send_handle.cancel()
            self._send_handle = None
            self._send_soon = False
        # While a new producer process starts, admitted records wait here for it.
        if self._batch and not self._restarting:
            self._write(Add(self._batch, self._batch_bytes))
            self._adds_sent += 1
            self._batch = []
            self._batch_bytes = 0

    def _write(self, message: Message) -> None:
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(frame(message))

    async def _request(self, kind: type[Flush | FetchMetrics]) -> Any:
        if self.failed or self._restarting or self._loop is None or self._closed:
            raise ProducerClosedError("the producer process is not running")
        request = next(self._request_ids)
        future = self._loop.create_future()
        self._requests[request] = future
        self._send_now()
        self._write(kind(request))
        try:
            return await future
        finally:
            self._requests.pop(request, None)

    # Messages from the producer process -----------------------------------------------------

    async def _read(self, reader: asyncio.StreamReader) -> None:
        assert self._closed_answer is not None and self._loop is not None
        loop = self._loop
        try:
            while True:
                message = await receive(reader)
                self._last_heard = loop.time()
                match message:
                    case Settled(
                        records=records,
                        size=size,
                        results=results,
                        counts=counts,
                        in_doubt=in_doubt,
                    ):
                        self._child_counts = counts
                        self._child_in_doubt = in_doubt
                        self._settle(records, size, results)
                    case BoundChanged(bound=bound):
                        self.admission.bound = bound
                    case Written(adds=adds, refused=refused, unflushed=unflushed):
                        self._written(adds, refused, unflushed)
                    case StatusReport(status=status):
                        self._child_status = status
                        if self._unresponsive:
                            self._unresponsive = False
                            log.info("the producer process is responding again")
                        self._update_status()
                    case Closed(abandoned=abandoned):
                        self._closed_answer.set_result(abandoned)
                        return
                    case Flushed(request=request):
                        self._answer(request, None)
                    case Metrics(request=request, families=families):
                        self._answer(request, families)
                    case _:
                        raise UnexpectedMessage(message)
        except ChannelClosed as error:
            if isinstance(error, UnexpectedMessage):
                log.error("the producer process sent %s; stopping it", error)
                assert self._process is not None
                self._process.kill()
            if self._closing:
                self._lost()
                return
        outstanding = self.outstanding_records
        # Records answered 200 that the dead process held: neither awaited (those get 502)
        # nor still waiting here to be handed over (the next process gets those). Those it
        # had sent in a put, or whose put went unanswered, may be in the stream: it reports
        # how many before each put.
        held = outstanding - len(self._results) - len(self._batch)
        if self.config.spool_dir:
            # Each was answered 200 only once the dead process had written it to the spool
            # (the others are answered 503): the next process takes over its slot, and puts
            # them from there.
            held = 0
        unconfirmed = min(held, self._child_in_doubt)
        lost = held - unconfirmed
        dead = [a + b for a, b in zip(self._dead_counts, self._child_counts, strict=True)]
        dead[_LOST] += lost
        dead[_UNCONFIRMED] += unconfirmed
        self._dead_counts = cast(CountTotals, tuple(dead))
        self._child_counts = _NO_COUNTS
        self._child_in_doubt = 0
        self._remote_families.process_died()
        self._fail_waiting("the producer process exited", PROCESS_EXITED)
        self._settled_base = (
            self._admitted_records - len(self._batch),
            self._admitted_bytes - self._batch_bytes,
        )
        self._settled_records, self._settled_bytes = self._settled_base
        self._restarting = True
        self._update_status()
        fate = "its records wait in its spool" if self.config.spool_dir else "its records are lost"
        log.error(
            f"the producer process exited unexpectedly; {fate}",
            extra={
                "status": await self._reap(5.0),
                "user_records_outstanding": outstanding,
                "user_records_lost": lost,
                "user_records_unconfirmed": unconfirmed,
            },
        )
        await self._restart()

    async def _restart(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        while self._restarts and self._restarts[0] < now - RESTART_WINDOW:
            self._restarts.popleft()
        if len(self._restarts) >= MAX_RESTARTS:
            self._give_up(f"it exited {MAX_RESTARTS} times within {RESTART_WINDOW:g} s")
            return
        self._restarts.append(now)
        try:
            await self._spawn()
        except ProducerStartError as error:
            self._give_up(str(error))
            return
        self._restarting = False
        self._update_status()
        self._send_now()

    def _give_up(self, why: str) -> None:
        log.error("the producer process cannot be restarted", extra={"error": why})
        self._restarting = False
        self._lost()
        self._update_status()
        if self._on_exit is not None:
            self._on_exit()

    def _settle(self, records: int, size: int, results: list[tuple[int, UserRecordResult]]) -> None:
        self._settled_records = self._settled_base[0] + records
        self._settled_bytes = self._settled_base[1] + size
        pop = self._results.pop
        for result_id, result in results:
            future = pop(result_id, None)
            if future is None or future.done():
                continue
            if result.successful:
                future.set_result(result)
            else:
                future.set_exception(UserRecordFailedError(result))

    def _answer(self, request: int, answer: object) -> None:
        future = self._requests.get(request)
        if future is not None and not future.done():
            future.set_result(answer)

    def _lost(self) -> None:
        """The producer process exited without being asked to: refuse records from now on."""
        self._failed = True
        self._closing = True
        self._fail_waiting("the producer process exited", PROCESS_EXITED)
        assert self._closed_answer is not None
        if not self._closed_answer.done():
            self._closed_answer.set_exception(ProducerClosedError("the producer process exited"))
            self._closed_answer.exception()  # retrieved by close(), if it ever runs

    def _fail_waiting(self, message: str, error_code: str = "ProducerClosed") -> None:
        attempts = (Attempt(0.0, False, error_code, message),)
        for future in self._results.values():
            if not future.done():
                future.set_exception(
                    UserRecordFailedError(UserRecordResult(False, attempts=attempts))
                )
                future.exception()
        self._results.clear()
        for request in self._requests.values():
            if not request.done():
                request.set_exception(ProducerClosedError(message))
        # Answers waiting for their records to be written: not written by this process (the
        # next one gets the records still here, numbering its Add messages from 0).
        for waiters, late in self._written_waiters.values():
            late.cancel()
            self._fail_waiters(waiters, ProducerClosedError(message))
        self._written_waiters = {}
        self._adds_sent = self._adds_written = 0
