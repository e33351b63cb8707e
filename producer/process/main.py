"""The producer process: a :class:`KinesisProducer` fed over a channel by the HTTP process.

Started by :class:`producer.process.front.ProducerProcess` as
``python -m producer.process.main --fd N`` (N: its end of the channel; the messages are those
of :mod:`producer.process.messages`). Aggregation, collection, rate limiting and retries run
here, on their own core, while the HTTP process only parses and admits records: the KPL's split
between its Java front and its native producer process.

It ignores SIGINT and SIGTERM: the HTTP process decides when it stops (a Ctrl-C in a terminal
reaches the whole process group, and the buffered records must outlive it). If the HTTP
process goes away, the channel closes and this process puts what it holds, for at most the
orphan timeout, and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import socket
import sys
from functools import partial
from typing import Any

import uvloop
from botocore.exceptions import BotoCoreError
from prometheus_client import disable_created_metrics

from ..kinesis.core import KinesisProducer
from ..kinesis.health import Status
from ..kinesis.metrics import CountTotals
from ..kinesis.records import (
    Attempt,
    ProducerError,
    RecordInput,
    UserRecordFailedError,
    UserRecordResult,
)
from ..logs import configure_logging
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
    StatusReport,
    Written,
)

log = logging.getLogger(__name__)

#: Seconds between reports of finished records (results asked for go at once). Often enough
#: for the front's back-pressure; rarely enough that the reports cost next to nothing.
REPORT_INTERVAL = 0.02
#: Seconds between heartbeats: the front counts this process as hung when none comes for
#: its heartbeat timeout (a status change goes at once).
HEARTBEAT_INTERVAL = 0.5


def _failed(error_code: str, message: str) -> UserRecordResult:
    return UserRecordResult(False, attempts=(Attempt(0.0, False, error_code, message),))


class ProducerProcessMain:
    """One producer process's side of the channel."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._producer: KinesisProducer | None = None
        self._received_records = 0
        self._received_bytes = 0
        self._reported: tuple[int, int, CountTotals, int] | None = None
        self._results: list[tuple[int, UserRecordResult]] = []
        self._report_soon = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._heartbeat_handle: asyncio.TimerHandle | None = None
        #: Add messages taken, and the most of them reported on (written to the spool or not).
        self._adds = 0
        self._adds_reported = 0
        self._reporting_written = False
        #: Numbers of Add messages whose records the spool had no room for (not taken), until
        #: a Written message names them.
        self._refused_adds: list[int] = []

    async def run(self) -> int:
        try:
            match await receive(self._reader):
                case Start(request=start):
                    pass
                case message:
                    raise UnexpectedMessage(message)
        except ChannelClosed as error:
            log.error("no start request from the HTTP process", extra={"error": str(error)})
            return 1
        configure_logging(start.log_level)
        producer = KinesisProducer(
            start.stream_name,
            region=start.region,
            config=start.config,
            on_status=self._on_status,
            on_bound=self._on_bound,
        )
        try:
            await producer.start()
        except BotoCoreError as error:
            # e.g. no Region anywhere: REGION unset and no AWS SDK configuration.
            self._send(Failed(f"cannot create the Kinesis client: {error}"))
            await self._writer.drain()
            return 2
        except OSError as error:
            self._send(Failed(f"cannot open the spool: {error}"))
            await self._writer.drain()
            return 2
        self._producer = producer
        self._send(Ready(producer.shards, producer.status, producer.admission.bound))
        producer.before_put = self._report
        ticker = asyncio.get_running_loop().call_later(REPORT_INTERVAL, self._tick)
        self._heartbeat_handle = asyncio.get_running_loop().call_later(
            HEARTBEAT_INTERVAL, self._heartbeat
        )
        try:
            timeout = await self._serve()
            orphaned = False
        except ChannelClosed as error:
            log.error(
                "the HTTP process went away; putting the buffered records before exiting",
                extra={"user_records": producer.outstanding_records, "error": str(error)},
            )
            timeout = start.orphan_timeout
            orphaned = True
        abandoned = await producer.close(timeout)
        ticker.cancel()
        if self._heartbeat_handle is not None:
            self._heartbeat_handle.cancel()
        if not orphaned:
            self._report()
            self._send(Closed(abandoned))
            await self._writer.drain()
        elif producer.counts.lost or producer.counts.unconfirmed:
            log.error(
                "user records answered 200 were lost, or may not be in the stream",
                extra={
                    "user_records_lost": producer.counts.lost,
                    "user_records_unconfirmed": producer.counts.unconfirmed,
                },
            )
        self._writer.close()
        return 1 if abandoned or producer.counts.lost or producer.counts.unconfirmed else 0

    def _on_status(self, status: Status) -> None:
        # Changes before Ready travel in it.
        if self._producer is not None:
            self._send(StatusReport(status))

    def _on_bound(self, bound: tuple[int, int]) -> None:
        # Changes before Ready travel in it.
        if self._producer is not None:
            self._send(BoundChanged(bound))

    def _heartbeat(self) -> None:
        assert self._producer is not None
        self._send(StatusReport(self._producer.status))
        self._heartbeat_handle = asyncio.get_running_loop().call_later(
            HEARTBEAT_INTERVAL, self._heartbeat
        )

    async def _serve(self) -> float | None:
        """Handle messages until Close; return its timeout."""
        producer = self._producer
        assert producer is not None
        while True:
            match await receive(self._reader):
                case Add(records=records, size=size):
                    self._adds += 1
                    taken = self._add(records, size, None)
                    if producer.config.spool_dir:
                        if not taken:
                            self._refused_adds.append(self._adds)
                        if not self._reporting_written:
                            self._reporting_written = True
                            self._spawn(self._report_written())
                case AddResults(records=records, size=size, first_id=first_id):
                    self._add(records, size, first_id)
                case Flush(request=request):
                    self._spawn(self._flush(request))
                case FetchMetrics(request=request):
                    self._send(Metrics(request, list(producer.registry.collect())))
                case Close(timeout=timeout):
                    return timeout
                case message:
                    raise UnexpectedMessage(message)

    def _add(self, records: list[RecordInput], size: int, first_id: int | None) -> bool:
        """Hand ``records`` to the producer; False if it refused them."""
        producer = self._producer
        assert producer is not None
        self._received_records += len(records)
        self._received_bytes += size
        try:
            futures = producer.add_user_records(
                records, futures=first_id is not None, admitted=True
            )
        except ProducerError as error:
            if first_id is None and producer.config.spool_dir:
                # No room in the spool: their answers wait for Written, which names them
                # refused, so they are answered 503 and nothing is lost.
                self._schedule_report()
                return False
            # The HTTP process admits records against the same bounds and checks, so this
            # does not happen; if it did, the records are reported failed, not lost silently.
            log.error("records refused by the producer process", extra={"error": str(error)})
            if first_id is not None:
                failed = _failed("Refused", str(error))
                self._results.extend((first_id + i, failed) for i in range(len(records)))
            else:
                producer.counts.lost += len(records)
            self._schedule_report()
            return False
        if first_id is not None:
            for offset, future in enumerate(futures):
                future.add_done_callback(partial(self._on_result, first_id + offset))
        return True

    def _on_result(self, result_id: int, future: asyncio.Future[UserRecordResult]) -> None:
        if future.cancelled():
            result = _failed("Cancelled", "the record's future was cancelled")
        elif isinstance(error := future.exception(), UserRecordFailedError):
            result = error.result
        elif error is not None:
            result = _failed("InternalError", str(error))
        else:
            result = future.result()
        self._results.append((result_id, result))
        self._schedule_report()

    async def _flush(self, request: int) -> None:
        assert self._producer is not None
        await self._producer.flush()
        self._report()
        self._send(Flushed(request))

    def _schedule_report(self) -> None:
        if not self._report_soon:
            self._report_soon = True
            asyncio.get_running_loop().call_soon(self._report)

    def _tick(self) -> None:
        self._report()
        asyncio.get_running_loop().call_later(REPORT_INTERVAL, self._tick)

    def _report(self) -> None:
        """Tell the HTTP process how many records are finished, the results it awaits, and
        the counters, all as of now (also right before each PutRecords call)."""
        self._report_soon = False
        producer = self._producer
        assert producer is not None
        replayed_records, replayed_bytes = producer.replayed_outstanding
        counts = producer.counts
        report = (
            self._received_records - producer.outstanding_records + replayed_records,
            self._received_bytes - producer.outstanding_bytes + replayed_bytes,
            counts.totals(),
            counts.in_doubt,
        )
        if report == self._reported and not self._results:
            return
        self._reported = report
        results, self._results = self._results, []
        records, size, totals, in_doubt = report
        self._send(Settled(records, size, results, totals, in_doubt))

    async def _report_written(self) -> None:
        """Tell the HTTP process once the records of the Add messages taken so far are in the
        spool as SPOOL_FSYNC promises (appended already; flushed under ``always``), one
        report at a time, each covering every Add taken before its flush started."""
        producer = self._producer
        assert producer is not None
        try:
            while self._adds > self._adds_reported:
                first, adds = self._adds_reported + 1, self._adds
                refused = tuple(n for n in self._refused_adds if n <= adds)
                self._refused_adds = [n for n in self._refused_adds if n > adds]
                unflushed = None
                try:
                    await producer.durable()
                except OSError as error:
                    # Not answered 200: a later flush that succeeds does not cover them.
                    log.error("cannot flush the spool to its device", extra={"error": str(error)})
                    unflushed = (first, adds)
                self._adds_reported = adds
                self._send(Written(adds, refused, unflushed))
        finally:
            self._reporting_written = False

    def _send(self, message: Message) -> None:
        if not self._writer.is_closing():
            self._writer.write(frame(message))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _run(fd: int) -> int:
    sock = socket.socket(fileno=fd)
    reader, writer = await asyncio.open_unix_connection(sock=sock)
    return await ProducerProcessMain(reader, writer).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fd", type=int, required=True, help="this end of the channel")
    args = parser.parse_args(argv)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    configure_logging()
    # The same collector tuning as the HTTP process (see __main__).
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    disable_created_metrics()
    return uvloop.run(_run(args.fd))


if __name__ == "__main__":
    sys.exit(main())
