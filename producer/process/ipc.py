"""The channel between the HTTP process and the producer process.

Each message (one of the classes of :mod:`producer.process.messages`, which lists who sends what) is
pickled and framed with a 4-byte big-endian length, over a Unix socket pair. Both ends are
this package, started together, so pickle's trust assumption holds; it is also the cheapest
encoding of the records' bytes.
"""

from __future__ import annotations

import asyncio
import pickle
import struct

from .messages import Message

_LENGTH = struct.Struct("!I")
#: A frame longer than this is a broken channel, not a message.
MAX_FRAME = 1 << 30


class ChannelClosed(Exception):
    """The other end closed the channel (or sent something that is not a frame)."""


class UnexpectedMessage(ChannelClosed):
    """A message this side does not take (the two ends run different code, or a bug): the
    channel is as good as closed."""

    def __init__(self, message: object) -> None:
        super().__init__(f"unexpected message {type(message).__name__}: {message!r:.200}")


def frame(message: Message) -> bytes:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(payload)) + payload


async def receive(reader: asyncio.StreamReader) -> Message:
    """The next message; raises :class:`ChannelClosed` at the end of the stream, or when what
    arrived is not a :class:`~producer.process.messages.Message`."""
    try:
        (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
        if length > MAX_FRAME:
            raise ChannelClosed(f"a frame of {length} bytes")
        message = pickle.loads(await reader.readexactly(length))
    except (asyncio.IncompleteReadError, ConnectionError) as error:
        raise ChannelClosed(str(error)) from None
    if not isinstance(message, Message):
        raise UnexpectedMessage(message)
    return message
