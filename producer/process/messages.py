"""The messages between the HTTP process and the producer process, one class each.

Each is a frozen dataclass, framed by :mod:`producer.process.ipc`; each side dispatches on the class
with a ``match`` statement and treats any other message as a broken channel
(:class:`~producer.process.ipc.UnexpectedMessage`).

HTTP process (:class:`~producer.process.front.ProducerProcess`) to producer process
(:mod:`producer.process.main`)::

    Start(request)                       once, first
    Add(records, size)                   user records, fire and forget, and their size
    AddResults(records, size, first_id)  user records whose results are awaited, numbered
                                         first_id, first_id + 1, ... in order
    Flush(request)                       put everything buffered, then answer Flushed
    FetchMetrics(request)                answer with the producer's metric families
    Close(timeout)                       close the producer, answer Closed, exit

Producer process to HTTP process::

    Ready(shards, status, bound)         started; shards in the map (None: not loaded), the
                                         producer's status and admission bound. Changes of
                                         either before Ready travel in it, not on their own.
    Failed(message)                      could not start; exits with status 2
    Settled(records, size, results,      totals of user records finished (put, failed or
            counts, in_doubt)            spooled) so far, (number, result) of awaited ones,
                                         the producer's counters (``Counts.totals()``: lost
                                         and unconfirmed among them) at the same moment, and
                                         the records held that may be in the stream
                                         (``Counts.in_doubt``). Sent when any of it changed,
                                         and right before each PutRecords call: should the
                                         process die, the HTTP process knows how many of the
                                         records it held may have landed.
    StatusReport(status)                 the producer's status; on a change, and every half
                                         second as the heartbeat
    BoundChanged(bound)                  a new admission bound (records, bytes)
    Written(adds, refused, unflushed)    with a spool: the records of the first ``adds`` Add
                                         messages are in it, as SPOOL_FSYNC promises (the HTTP
                                         process answers them 200 only then), except those of
                                         the Add messages numbered in ``refused`` (from 1),
                                         which the spool had no room for and which were not
                                         taken (answered 503 spool_full), and those of the Add
                                         messages numbered ``unflushed`` (first, last), taken
                                         but not flushed (answered 503 spool_error)
    Flushed(request)                     the answer to Flush
    Metrics(request, families)           the answer to FetchMetrics
    Closed(abandoned)                    the answer to Close (after a last Settled): user
                                         records not put
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.metrics_core import Metric

from ..kinesis.config import ProducerConfig
from ..kinesis.health import Status
from ..kinesis.metrics import CountTotals
from ..kinesis.records import RecordInput, UserRecordResult


@dataclass(frozen=True, slots=True)
class Message:
    """What travels on the channel; :func:`producer.process.ipc.receive` refuses anything else."""

    def __reduce__(self) -> tuple[type[Message], tuple[object, ...]]:
        # The class and its fields in order: about half the cost of the dataclass's own
        # pickling of frozen slotted classes (a state dict, set field by field).
        names: tuple[str, ...] = self.__match_args__
        return type(self), tuple([getattr(self, name) for name in names])


# HTTP process to producer process ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartRequest:
    """What the producer process needs to start its
    :class:`~producer.kinesis.core.KinesisProducer`."""

    stream_name: str
    region: str | None
    config: ProducerConfig
    log_level: str
    #: Seconds to keep putting buffered records if the HTTP process goes away.
    orphan_timeout: float


@dataclass(frozen=True, slots=True)
class Start(Message):
    request: StartRequest


@dataclass(frozen=True, slots=True)
class Add(Message):
    """The hot path: one per :data:`~producer.process.front.SEND_DELAY` or so, with many records."""

    records: list[RecordInput]
    size: int


@dataclass(frozen=True, slots=True)
class AddResults(Message):
    records: list[RecordInput]
    size: int
    first_id: int


@dataclass(frozen=True, slots=True)
class Flush(Message):
    request: int


@dataclass(frozen=True, slots=True)
class FetchMetrics(Message):
    request: int


@dataclass(frozen=True, slots=True)
class Close(Message):
    timeout: float | None


# Producer process to HTTP process ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ready(Message):
    shards: int | None
    status: Status
    bound: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Failed(Message):
    message: str


@dataclass(frozen=True, slots=True)
class Settled(Message):
    records: int
    size: int
    results: list[tuple[int, UserRecordResult]]
    counts: CountTotals
    in_doubt: int


@dataclass(frozen=True, slots=True)
class StatusReport(Message):
    status: Status


@dataclass(frozen=True, slots=True)
class Written(Message):
    adds: int
    refused: tuple[int, ...] = ()
    unflushed: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class BoundChanged(Message):
    bound: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Flushed(Message):
    request: int


@dataclass(frozen=True, slots=True)
class Metrics(Message):
    request: int
    families: list[Metric]


@dataclass(frozen=True, slots=True)
class Closed(Message):
    abandoned: int
