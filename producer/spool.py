"""The disk spool: user records that cannot reach Kinesis in time wait on local disk.

On an Outpost the stream is in the parent Region, behind the service link; a link outage
longer than RecordTtl would otherwise fail every record answered 200 meanwhile. With a spool
directory, such records are appended to it instead, and put again, oldest first, once Kinesis
answers. The KPL has no such thing.

Layout: several tasks may share the directory (a host directory of an EC2 container
instance): each process claims a slot, ``slot-0``, ``slot-1``, ..., the first whose lock
(``flock``) it can take, and holds it while it lives. A task's successor on the same instance
claims the slot it left, and replays it. In a slot: numbered segment files
(``00000000000000000001.spool``, ...), appended to and never rewritten; a segment is deleted
once every record read from it was put (or spooled again). Each entry: a header (magic,
payload length, CRC-32 of the payload) and the payload (partition key length, explicit hash
key length, partition key, explicit hash key, data). Reading stops at the first entry that
is short or fails its checksum (a write torn by a crash): what follows in that segment is
counted as corrupt and skipped.

Durability: an entry is in the operating system's page cache once :meth:`Spool.append`
returns, so it survives the process being killed (SIGKILL, out of memory, a crash). It
survives the host losing power or crashing only once flushed to the device: ``fsync``
``always`` flushes before ``append`` returns (each spooled batch, so the event loop waits for
the disk); ``interval`` flushes at most FSYNC_INTERVAL later (what was appended within the
last interval may be lost with the host); ``never`` leaves it to the kernel (typically within
30 s). Records read back are put again at least once: a crash while replaying a segment
replays it again from its start, so a consumer may see a record twice.
"""

from __future__ import annotations

import fcntl
import logging
import os
import struct
import time
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!HII")  # magic, payload length, CRC-32 of the payload
_KEYS = struct.Struct("!HB")  # partition key length (UTF-8 bytes), explicit hash key length
_MAGIC = 0x5350
#: Bytes an entry adds to its record's data and keys; the most an explicit hash key takes.
ENTRY_OVERHEAD = _HEADER.size + _KEYS.size + 39
_SUFFIX = ".spool"

FsyncPolicy = Literal["always", "interval", "never"]

#: A spooled record: (partition key, data, explicit hash key).
SpooledRecord = tuple[str, bytes, str | None]
#: Slots of one spool directory: processes sharing it at once.
MAX_SLOTS = 64


@dataclass(eq=False)
class Segment:
    number: int
    path: Path
    size: int = 0
    #: Read to its end, and no longer written to.
    read_done: bool = False
    #: Records read from it and not yet settled (put, spooled again, or failed).
    pending: int = 0
    offset: int = 0


class Spool:
    """An append-only, checksummed, size-bounded spool in one directory."""

    def __init__(
        self,
        directory: str | Path,
        max_bytes: int,
        fsync: FsyncPolicy = "interval",
        fsync_interval: float = 1.0,
        segment_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        self.max_bytes = max_bytes
        self._fsync = fsync
        self._fsync_interval = fsync_interval
        self._segment_bytes = segment_bytes
        # Fails at start, not at the first outage, when the directory cannot be written (a
        # volume mounted without write access for this user).
        self.directory, self._lock = _claim_slot(Path(directory))
        self._segments: deque[Segment] = deque()
        for path in sorted(self.directory.glob(f"*{_SUFFIX}")):
            try:
                number = int(path.stem)
            except ValueError:
                continue
            self._segments.append(Segment(number, path, path.stat().st_size))
        self.bytes = sum(segment.size for segment in self._segments)
        self.corrupt_entries = 0
        self._writer: BinaryIO | None = None
        self._writing: Segment | None = None
        self._dirty = False
        self._last_sync = time.monotonic()
        if self._segments:
            log.info(
                "spool found",
                extra={
                    "segments": len(self._segments),
                    "bytes": self.bytes,
                    "dir": str(self.directory),
                },
            )

    @property
    def empty(self) -> bool:
        """Nothing left to read (records handed out may still be unsettled)."""
        return all(s.read_done for s in self._segments)

    def room(self, size: int) -> bool:
        return self.bytes + size <= self.max_bytes

    # Writing --------------------------------------------------------------------------------

    def append(self, records: list[SpooledRecord]) -> bool:
        """Append records (all or none); False when they do not fit within max_bytes."""
        entries = [_entry(*record) for record in records]
        size = sum(map(len, entries))
        if not self.room(size):
            return False
        try:
            writer = self._writer_for(size)
            writer.write(b"".join(entries))
            # Into the page cache now: a killed process loses nothing already appended.
            writer.flush()
        except OSError as error:
            # A full or failing disk: the caller treats it as a full spool (503), and the
            # next append starts a fresh segment after whatever was written of this one.
            log.error("cannot write to the spool", extra={"error": str(error)})
            if self._writing is not None:
                self._writing.size = self._writing.path.stat().st_size
                self._close_writer_quietly()
            self.bytes = sum(segment.size for segment in self._segments)
            self.max_bytes = min(self.max_bytes, self.bytes)
            return False
        assert self._writing is not None
        self._writing.size += size
        self.bytes += size
        self._dirty = True
        if self._fsync == "always" or (
            self._fsync == "interval" and time.monotonic() - self._last_sync >= self._fsync_interval
        ):
            self.sync()
        return True

    def sync(self) -> None:
        """Flush what was appended to the device (see the module's note on durability)."""
        if self._writer is not None and self._dirty:
            os.fsync(self._writer.fileno())
            self._dirty = False
        self._last_sync = time.monotonic()

    def _writer_for(self, size: int) -> BinaryIO:
        segment = self._writing
        if self._writer is None or segment is None or segment.size + size > self._segment_bytes:
            self._close_writer()
            number = self._segments[-1].number + 1 if self._segments else 1
            segment = Segment(number, self.directory / f"{number:020d}{_SUFFIX}")
            self._writer = segment.path.open("ab")
            self._writing = segment
            self._segments.append(segment)
            # The new file's name must survive a host crash too, not only its contents.
            if self._fsync != "never":
                _sync_directory(self.directory)
        return self._writer

    def _close_writer_quietly(self) -> None:
        try:
            self._close_writer()
        except OSError:
            self._writer = None
            self._writing = None

    def _close_writer(self) -> None:
        if self._writer is not None:
            self.sync()
            self._writer.close()
            self._writer = None
            self._writing = None

    # Reading --------------------------------------------------------------------------------

    def read(self, max_records: int, max_bytes: int) -> list[tuple[Segment, SpooledRecord]]:
        """The oldest records not read yet: up to ``max_records`` and about ``max_bytes``."""
        out: list[tuple[Segment, SpooledRecord]] = []
        size = 0
        for segment in list(self._segments):
            if segment.read_done:
                continue
            if segment is self._writing:
                # Reading what is being written: close it, later appends start a new one.
                self._close_writer()
            for record, length in self._entries(segment, max_records - len(out)):
                out.append((segment, record))
                segment.pending += 1
                size += length
                if size >= max_bytes:
                    return out
            if len(out) >= max_records:
                return out
        return out

    def _entries(self, segment: Segment, limit: int) -> Iterator[tuple[SpooledRecord, int]]:
        with segment.path.open("rb") as source:
            source.seek(segment.offset)
            count = 0
            while count < limit:
                header = source.read(_HEADER.size)
                if not header:
                    segment.read_done = True
                    self._forget_if_done(segment)
                    return
                payload = b""
                if len(header) == _HEADER.size:
                    magic, length, checksum = _HEADER.unpack(header)
                    payload = source.read(length) if magic == _MAGIC else b""
                    if (
                        magic == _MAGIC
                        and len(payload) == length
                        and zlib.crc32(payload) == checksum
                    ):
                        segment.offset += _HEADER.size + length
                        count += 1
                        yield _decode(payload), _HEADER.size + length
                        continue
                self._corrupt(segment)
                return

    def _corrupt(self, segment: Segment) -> None:
        skipped = segment.size - segment.offset
        self.corrupt_entries += 1
        log.error(
            "spool entry torn or corrupt; skipping the rest of its segment",
            extra={"segment": segment.path.name, "offset": segment.offset, "bytes": skipped},
        )
        segment.read_done = True
        self._forget_if_done(segment)

    def settled(self, segment: Segment, count: int = 1) -> None:
        """``count`` records read from ``segment`` were put, spooled again, or failed."""
        segment.pending -= count
        self._forget_if_done(segment)

    def _forget_if_done(self, segment: Segment) -> None:
        if segment.read_done and segment.pending <= 0 and segment is not self._writing:
            segment.path.unlink(missing_ok=True)
            self.bytes -= segment.size
            self._segments.remove(segment)

    def close(self) -> None:
        self._close_writer()
        if self._lock >= 0:
            os.close(self._lock)  # releases the slot
            self._lock = -1


def _entry(partition_key: str, data: bytes, explicit_hash_key: str | None) -> bytes:
    key = partition_key.encode()
    hash_key = explicit_hash_key.encode() if explicit_hash_key is not None else b""
    payload = _KEYS.pack(len(key), len(hash_key) if explicit_hash_key is not None else 255)
    payload += key + hash_key + data
    return _HEADER.pack(_MAGIC, len(payload), zlib.crc32(payload)) + payload


def _decode(payload: bytes) -> SpooledRecord:
    key_length, hash_length = _KEYS.unpack_from(payload)
    start = _KEYS.size
    key = payload[start : start + key_length].decode()
    start += key_length
    hash_key = None
    if hash_length != 255:
        hash_key = payload[start : start + hash_length].decode()
        start += hash_length
    return key, payload[start:], hash_key


def _claim_slot(directory: Path) -> tuple[Path, int]:
    """The first slot of ``directory`` not held by another process, and its lock."""
    directory.mkdir(parents=True, exist_ok=True)
    for number in range(MAX_SLOTS):
        slot = directory / f"slot-{number}"
        slot.mkdir(exist_ok=True)
        lock = os.open(slot / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            continue
        return slot, lock
    raise OSError(f"all {MAX_SLOTS} slots of {directory} are held by other processes")


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
