"""The channel between the HTTP process and the producer process.

Messages are tuples whose first item names the kind, pickled and framed with a 4-byte
big-endian length, over a Unix socket pair. Both ends are this package, started together, so
pickle's trust assumption holds; it is also the cheapest encoding of the records' bytes.

HTTP process to producer process::

    ("start", StartRequest)                 once, first
    ("add", [(key, data, hash_key)], size)  user records, fire and forget, and their size
    ("add_results", records, size, first)   user records whose results are awaited, numbered
                                            first, first + 1, ... in order
    ("flush", request)                      put everything buffered, then answer "flushed"
    ("metrics", request)                    answer with the producer's metric families
    ("close", timeout)                      close the producer, answer "closed", exit

Producer process to HTTP process::

    ("ready", shards, status, bound)        started; shards in the map (None: not loaded),
                                            the producer's status and admission bound
    ("failed", message)                     could not start; exits with status 2
    ("settled", records, size, results)     totals of user records finished (put or failed)
                                            so far, and (number, result) of awaited ones
    ("flushed", request) / ("metrics", request, families) / ("closed", abandoned)
"""

from __future__ import annotations

import asyncio
import pickle
import struct
from dataclasses import dataclass
from typing import Any

from .config import ProducerConfig

_LENGTH = struct.Struct("!I")
#: A frame longer than this is a broken channel, not a message.
MAX_FRAME = 1 << 30


@dataclass(frozen=True)
class StartRequest:
    """What the producer process needs to start its :class:`~producer.core.KinesisProducer`."""

    stream_name: str
    region: str | None
    config: ProducerConfig
    log_level: str
    #: Seconds to keep putting buffered records if the HTTP process goes away.
    orphan_timeout: float


class ChannelClosed(Exception):
    """The other end closed the channel (or sent something that is not a frame)."""


def frame(message: tuple[Any, ...]) -> bytes:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(payload)) + payload


async def receive(reader: asyncio.StreamReader) -> tuple[Any, ...]:
    """The next message; raises :class:`ChannelClosed` at the end of the stream."""
    try:
        (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
        if length > MAX_FRAME:
            raise ChannelClosed(f"a frame of {length} bytes")
        message: tuple[Any, ...] = pickle.loads(await reader.readexactly(length))
    except (asyncio.IncompleteReadError, ConnectionError) as error:
        raise ChannelClosed(str(error)) from None
    return message
