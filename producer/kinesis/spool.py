"""The disk spool: a write-ahead log of the records answered 200, and where records that cannot
reach Kinesis in time wait.

On an Outpost the stream is in the parent Region, behind the service link; a link outage
longer than RecordTtl would otherwise fail every record answered 200 meanwhile. With a spool
directory, each record answered without waiting for its put is appended here before it is
taken (group commit: one append per batch taken together), and released once Kinesis confirmed
it. Records not put in time stay in place, parked, and are read back, oldest first, once
Kinesis answers. A process killed in between leaves its records here for the next one (at
least once: what was put and not released yet is put again). The KPL has no such thing.

Layout: several tasks may share the directory (a host directory of an EC2 container
instance): each process claims a slot, ``slot-0``, ``slot-1``, ..., the first whose lock
(``flock``) it can take, and holds it while it lives. At start it also adopts every other slot
that no live process holds (a task that died, or whose successor went elsewhere), replays it
and removes it once drained. In a slot: numbered segment files
(``00000000000000000001.spool``, ...), appended to and never rewritten; a segment is deleted
once each of its records was confirmed, failed for good, or read and settled. Each entry: a
header (magic, payload length, CRC-32 of the payload) and the payload (partition key length,
explicit hash key length, partition key, explicit hash key, data).

Damage costs only what is damaged: an entry that is short or fails its checksum (a write torn
by a crash, a flipped bit) is skipped up to the next valid header and checksum, and the
skipped entries and bytes are counted. A segment or slot that cannot be read (not a regular
file or directory, EACCES, EIO) is renamed aside (``<name>.quarantined``, never deleted),
logged and counted; the spool goes on without it.

Durability: an entry is in the operating system's page cache once :meth:`Spool.append`
returns, so it survives the process being killed (SIGKILL, out of memory, a crash). It
survives the host losing power or crashing only once flushed to the device: ``fsync``
``always`` flushes each append (each batch) before it returns, so the event loop waits for
the disk; ``interval`` flushes at most FSYNC_INTERVAL later (what was appended within the last
interval may be lost with the host); ``never`` leaves it to the kernel (typically within 30 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import heapq
import logging
import os
import stat
import struct
import time
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!HII")  # magic, payload length, CRC-32 of the payload
_KEYS = struct.Struct("!HB")  # partition key length (UTF-8 bytes), explicit hash key length
_MAGIC = 0x5350
_MAGIC_BYTES = _MAGIC.to_bytes(2, "big")
#: Bytes an entry adds to its record's data and keys; the most an explicit hash key takes.
ENTRY_OVERHEAD = _HEADER.size + _KEYS.size + 39
#: No valid entry is longer: 1 MiB of data and key, plus the keys' lengths.
_MAX_PAYLOAD = 1024 * 1024 + 1024
_SUFFIX = ".spool"
QUARANTINED = ".quarantined"
#: Flushes that took less than this on average are done on the event loop (see Spool._commit):
#: a local SSD's take tens of microseconds, less than handing one to a worker thread costs.
INLINE_FSYNC_SECONDS = 0.0005

FsyncPolicy = Literal["always", "interval", "never"]

#: A spooled record: (partition key, data, explicit hash key).
SpooledRecord = tuple[str, bytes, str | None]
#: Slots of one spool directory: processes sharing it at once.
MAX_SLOTS = 64


@dataclass(eq=False)
class Slot:
    """A slot held by this process: its own, or one adopted from a process gone."""

    path: Path
    lock: int
    own: bool
    segments: int = 0


@dataclass(eq=False)
class Segment:
    number: int
    path: Path
    slot: Slot
    size: int = 0
    #: Written by an earlier process: every entry is read back, from ``offset`` on.
    recovered: bool = False
    offset: int = 0
    read_done: bool = False
    #: Entries of records held in memory (appended, or read back) and not settled.
    live: int = 0
    #: Offsets of entries parked to be read back (a heap: oldest first).
    parked: list[int] = field(default_factory=list)
    #: A recovered segment's bytes while it is being read.
    buffer: bytes | None = None
    #: Deleted, or renamed aside.
    dropped: bool = False
    #: When its first entry was written (wall clock; a recovered segment's file time).
    created: float = field(default_factory=time.time)


class Spool:
    """An append-only, checksummed, size-bounded spool in one directory."""

    def __init__(
        self,
        directory: str | Path,
        max_bytes: int,
        fsync: FsyncPolicy = "interval",
        fsync_interval: float = 1.0,
        segment_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        self.max_bytes = max_bytes
        self._fsync = fsync
        self._fsync_interval = fsync_interval
        # Small beside the bound: a segment is deleted only once all of its records are
        # settled, so the one being written pins confirmed records until it is rolled.
        self._segment_bytes = min(segment_bytes, max_bytes // 16)
        #: Entries skipped as torn or corrupt, and their bytes.
        self.corrupt_entries = 0
        self.corrupt_bytes = 0
        #: Segments and slots renamed aside because they could not be read.
        self.quarantined = 0
        self.root = Path(directory)
        self._segments: deque[Segment] = deque()
        # Fails at start, not at the first outage, when the directory cannot be written (a
        # volume mounted without write access for this user).
        own = self._claim_slot()
        self.directory = own.path
        self.slots = [own, *self._adopt_slots()]
        for slot in self.slots:
            self._load(slot)
        self.bytes = sum(segment.size for segment in self._segments)
        self._writer: BinaryIO | None = None
        self._writing: Segment | None = None
        self._next_number = max((s.number for s in self._segments if s.slot is own), default=0) + 1
        self._dirty = False
        self._last_sync = time.monotonic()
        # Group commit under ``always``: appends are numbered, and one fsync in a worker
        # thread covers every append made before it started; :meth:`durable` waits for it.
        self._appended = 0
        self._synced = 0
        self._flusher: asyncio.Task[None] | None = None
        #: Recent average duration of a flush (None: none measured yet), and whether an
        #: inline flush is due at the end of the event loop's turn.
        self._fsync_seconds: float | None = None
        self._inline_flush_due = False
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        if self._segments:
            log.info(
                "spool found",
                extra={
                    "segments": len(self._segments),
                    "bytes": self.bytes,
                    "dir": str(self.directory),
                    "adopted_slots": [slot.path.name for slot in self.slots if not slot.own],
                },
            )
        for slot in self.slots[1:]:
            self._drop_slot_if_drained(slot)

    @property
    def empty(self) -> bool:
        """Nothing left to read (records handed out may still be unsettled)."""
        return all(not s.parked and (s.read_done or not s.recovered) for s in self._segments)

    def oldest_age(self) -> float:
        """Seconds since the oldest segment still held was written (0: none held)."""
        held = [segment.created for segment in self._segments if not segment.dropped]
        return max(0.0, time.time() - min(held)) if held else 0.0

    def room(self, size: int) -> bool:
        return self.bytes + size <= self.max_bytes

    # Slots ----------------------------------------------------------------------------------

    def _claim_slot(self) -> Slot:
        """The first slot of the directory not held by another process, and its lock."""
        self.root.mkdir(parents=True, exist_ok=True)
        for number in range(MAX_SLOTS):
            path = self.root / f"slot-{number}"
            try:
                path.mkdir(exist_ok=True)
                lock = _lock(path)
            except FileExistsError:
                self._quarantine(path, "not a directory")
                continue
            except OSError as error:
                if not os.access(self.root, os.W_OK):
                    raise  # the directory itself: the service cannot start (exit 2)
                self._quarantine(path, str(error))
                continue
            if lock is None:
                continue
            return Slot(path, lock, own=True)
        raise OSError(f"all {MAX_SLOTS} slots of {self.root} are held by other processes")

    def _adopt_slots(self) -> list[Slot]:
        """Every other slot that no live process holds: their records are replayed here."""
        adopted = []
        for path in sorted(self.root.glob("slot-*")):
            if path.name.endswith(QUARANTINED) or path == self.directory:
                continue
            try:
                lock = _lock(path)
            except OSError as error:
                if error.errno == errno.ENOENT:
                    continue  # removed meanwhile by its adopter
                self._quarantine(path, str(error))
                continue
            if lock is not None:
                adopted.append(Slot(path, lock, own=False))
        return adopted

    def _drop_slot_if_drained(self, slot: Slot) -> None:
        """Remove an adopted slot once none of its segments is left."""
        if slot.own or slot.segments or slot.lock < 0:
            return
        for leftover in slot.path.glob(f"*{_SUFFIX}"):
            leftover.unlink(missing_ok=True)
        # The lock file goes first, while held: a process that opened it meanwhile finds
        # it unlinked once it gets the lock, and tries again (see _lock).
        with contextlib.suppress(OSError):
            (slot.path / ".lock").unlink()
            slot.path.rmdir()
        os.close(slot.lock)
        slot.lock = -1
        self.slots.remove(slot)
        log.info("adopted spool slot drained and removed", extra={"slot": slot.path.name})

    def _load(self, slot: Slot) -> None:
        for path in sorted(slot.path.glob(f"*{_SUFFIX}")):
            try:
                number = int(path.stem)
            except ValueError:
                continue
            try:
                size = _check_readable(path)
                # Its last write: no earlier time is recorded (the age is a lower bound).
                created = path.stat().st_mtime
            except OSError as error:
                self._quarantine(path, str(error))
                continue
            self._segments.append(
                Segment(number, path, slot, size, recovered=True, created=created)
            )
            slot.segments += 1

    def _quarantine(self, path: Path, why: str) -> None:
        """Rename an unreadable segment or slot aside (never deleting data), log and count it."""
        self.quarantined += 1
        target = path.with_name(path.name + QUARANTINED)
        try:
            path.rename(target)
        except OSError as error:
            log.error(
                "cannot read a spool file, nor rename it aside; ignoring it",
                extra={"path": str(path), "error": why, "rename_error": str(error)},
            )
            return
        log.error(
            "cannot read a spool file; renamed it aside",
            extra={"path": str(path), "quarantined_as": target.name, "error": why},
        )

    # Writing --------------------------------------------------------------------------------

    def append(self, records: list[SpooledRecord]) -> tuple[Segment, list[int]] | None:
        """Append records (all or none): their segment and the offset of each, held in memory
        from now on (see :meth:`settled`, :meth:`park`). None when they do not fit within
        max_bytes (or the disk fails)."""
        entries = [_entry(*record) for record in records]
        size = sum(map(len, entries))
        if not self.room(size):
            return None
        try:
            writer, segment = self._writer_for(size)
            offset = segment.size
            writer.write(b"".join(entries))
            # Into the page cache now: a killed process loses nothing already appended.
            writer.flush()
        except OSError as error:
            # A full or failing disk: the caller treats it as a full spool (503), and the
            # next append starts a fresh segment after whatever was written of this one.
            log.error("cannot write to the spool", extra={"error": str(error)})
            if self._writing is not None:
                with contextlib.suppress(OSError):
                    self._writing.size = self._writing.path.stat().st_size
                self._close_writer_quietly()
            self.bytes = sum(segment.size for segment in self._segments)
            self.max_bytes = min(self.max_bytes, self.bytes)
            return None
        offsets = []
        for entry in entries:
            offsets.append(offset)
            offset += len(entry)
        segment.size += size
        segment.live += len(entries)
        self.bytes += size
        self._dirty = True
        self._appended += 1
        if self._fsync == "always":
            self._commit()
        elif self._fsync == "interval" and self._sync_due():
            self.sync()
        return segment, offsets

    def _sync_due(self) -> bool:
        return time.monotonic() - self._last_sync >= self._fsync_interval

    def _commit(self) -> None:
        """Start the group commit of what was appended (inline when no event loop runs).

        A device whose recent flushes took less than INLINE_FSYNC_SECONDS is flushed on the
        event loop, once at the end of its turn for every append made in it: a worker thread's
        hand-over costs more than such a flush. A slower one (or one not yet measured) is
        flushed in a worker thread, so that the loop never waits for it."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.sync()
            return
        if self._flusher is not None and not self._flusher.done():
            return  # the running flusher goes on until every append is covered
        fast = self._fsync_seconds is not None and self._fsync_seconds < INLINE_FSYNC_SECONDS
        if fast:
            if not self._inline_flush_due:
                self._inline_flush_due = True
                loop.call_soon(self._flush_inline)
        else:
            self._flusher = loop.create_task(self._flush_appends())

    def _flush_inline(self) -> None:
        self._inline_flush_due = False
        target = self._appended
        if self._synced >= target:
            return
        if self._writer is None:  # closed, or rolled: _close_writer synced it
            self._settle_waiters(target)
            return
        try:
            self._timed_fsync(self._writer.fileno())
        except OSError as error:
            log.error("cannot flush the spool to its device", extra={"error": str(error)})
            self._settle_waiters(target, error)
            return
        self._last_sync = time.monotonic()
        self._settle_waiters(target)

    async def _flush_appends(self) -> None:
        """fsync, in a worker thread, until every append so far is on the device."""
        loop = asyncio.get_running_loop()
        while self._synced < self._appended:
            target = self._appended
            if self._writer is None:  # closed, or rolled: _close_writer synced it
                self._settle_waiters(target)
                continue
            # A duplicate descriptor: the segment may be rolled and closed meanwhile.
            descriptor = os.dup(self._writer.fileno())
            try:
                await loop.run_in_executor(None, self._timed_fsync, descriptor)
            except OSError as error:
                log.error("cannot flush the spool to its device", extra={"error": str(error)})
                self._settle_waiters(target, error)
                continue
            finally:
                os.close(descriptor)
            self._last_sync = time.monotonic()
            self._settle_waiters(target)

    def _timed_fsync(self, descriptor: int) -> None:
        """fsync ``descriptor``; how long it took joins the recent average (in either thread:
        one float assigned at a time)."""
        start = time.perf_counter()
        os.fsync(descriptor)
        took = time.perf_counter() - start
        recent = self._fsync_seconds
        self._fsync_seconds = took if recent is None else 0.8 * recent + 0.2 * took

    def _settle_waiters(self, target: int, error: OSError | None = None) -> None:
        self._synced = max(self._synced, target)
        waiting = []
        for number, waiter in self._waiters:
            if number > target:
                waiting.append((number, waiter))
            elif not waiter.done():
                if error is None:
                    waiter.set_result(None)
                else:
                    waiter.set_exception(error)
        self._waiters = waiting

    async def durable(self) -> None:
        """Return once every append made so far is on the device: at once unless the policy
        is ``always`` (the page cache survives a killed process); raises ``OSError`` when the
        device refuses the flush."""
        if self._fsync != "always" or self._synced >= self._appended:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((self._appended, waiter))
        self._commit()
        await waiter

    def sync(self) -> None:
        """Flush what was appended to the device (see the module's note on durability)."""
        if self._writer is not None and self._dirty:
            os.fsync(self._writer.fileno())
            self._dirty = False
        self._last_sync = time.monotonic()
        self._settle_waiters(self._appended)

    def sync_if_due(self) -> None:
        """The ``interval`` policy's flush, when no append came to do it."""
        if self._fsync == "interval" and self._dirty and self._sync_due():
            self.sync()

    def _writer_for(self, size: int) -> tuple[BinaryIO, Segment]:
        segment = self._writing
        if (
            self._writer is None
            or segment is None
            or (segment.size and segment.size + size > self._segment_bytes)
        ):
            self._close_writer()
            if segment is not None:
                self._forget_if_done(segment)
            number = self._next_number
            self._next_number += 1
            own = self.slots[0]
            segment = Segment(number, own.path / f"{number:020d}{_SUFFIX}", own)
            self._writer = segment.path.open("ab")
            self._writing = segment
            self._segments.append(segment)
            own.segments += 1
            # The new file's name must survive a host crash too, not only its contents.
            if self._fsync != "never":
                _sync_directory(own.path)
        return self._writer, segment

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

    def retire_idle(self) -> None:
        """Delete the segment being written once every record in it is settled (called now
        and then: the next append starts a new one)."""
        segment = self._writing
        if segment is not None and not segment.live and not segment.parked:
            self._close_writer_quietly()
            self._forget_if_done(segment)

    # Settling -------------------------------------------------------------------------------

    def settled(self, segment: Segment, count: int = 1) -> None:
        """``count`` records of ``segment`` held in memory were put, or failed for good."""
        segment.live -= count
        self._forget_if_done(segment)

    def park(self, segment: Segment, offset: int) -> bool:
        """The record at ``offset`` leaves memory and stays here, to be read back later;
        False if its segment was lost meanwhile (the record must be appended again)."""
        segment.live -= 1
        if segment.dropped:
            return False
        heapq.heappush(segment.parked, offset)
        return True

    def _forget_if_done(self, segment: Segment) -> None:
        if (
            segment.live <= 0
            and not segment.parked
            and (segment.read_done or not segment.recovered)
            and segment is not self._writing
            and segment in self._segments
        ):
            with contextlib.suppress(FileNotFoundError):
                segment.path.unlink()
            self._drop(segment)

    def _drop(self, segment: Segment) -> None:
        segment.dropped = True
        self.bytes -= segment.size
        self._segments.remove(segment)
        segment.slot.segments -= 1
        segment.buffer = None
        self._drop_slot_if_drained(segment.slot)

    # Reading --------------------------------------------------------------------------------

    def read(self, max_records: int, max_bytes: int) -> list[tuple[Segment, int, SpooledRecord]]:
        """The oldest records not read yet (each then held in memory until settled, parked or
        left): up to ``max_records`` and about ``max_bytes``, with their positions."""
        out: list[tuple[Segment, int, SpooledRecord]] = []
        size = 0
        for segment in list(self._segments):
            if len(out) >= max_records or size >= max_bytes:
                break
            if not segment.parked and (segment.read_done or not segment.recovered):
                continue
            try:
                for offset, record, length in self._read_segment(
                    segment, max_records - len(out), max_bytes - size
                ):
                    out.append((segment, offset, record))
                    segment.live += 1
                    size += length
            except OSError as error:
                self._lose_segment(segment, str(error))
                continue
            self._forget_if_done(segment)
        return out

    def _read_segment(
        self, segment: Segment, limit: int, max_bytes: int
    ) -> Iterator[tuple[int, SpooledRecord, int]]:
        count = size = 0
        if segment.parked:
            with segment.path.open("rb") as source:
                while segment.parked and count < limit and size < max_bytes:
                    offset = heapq.heappop(segment.parked)
                    source.seek(offset)
                    head = source.read(_HEADER.size)
                    body = (
                        source.read(_HEADER.unpack(head)[1]) if len(head) == _HEADER.size else b""
                    )
                    parsed = _parse(head + body, 0)
                    if parsed is None:
                        self._count_corrupt(segment, offset, len(head) + len(body))
                        continue
                    count += 1
                    size += parsed[1]
                    yield offset, parsed[0], parsed[1]
        if not segment.recovered or segment.read_done or count >= limit or size >= max_bytes:
            return
        if segment.buffer is None:
            with segment.path.open("rb") as source:
                segment.buffer = source.read()
        buffer = segment.buffer
        while count < limit and size < max_bytes:
            start = segment.offset
            if start >= len(buffer):
                segment.read_done = True
                segment.buffer = None
                return
            parsed = _parse(buffer, start)
            if parsed is None:
                resumed = _resync(buffer, start + 1)
                self._count_corrupt(segment, start, resumed - start)
                segment.offset = resumed
                continue
            segment.offset = start + parsed[1]
            count += 1
            size += parsed[1]
            yield start, parsed[0], parsed[1]

    def _count_corrupt(self, segment: Segment, offset: int, skipped: int) -> None:
        self.corrupt_entries += 1
        self.corrupt_bytes += skipped
        log.error(
            "spool entry torn or corrupt; skipped up to the next valid entry",
            extra={"segment": segment.path.name, "offset": offset, "bytes": skipped},
        )

    def _lose_segment(self, segment: Segment, why: str) -> None:
        """A segment that cannot be read any more: renamed aside, and forgotten."""
        if segment is self._writing:
            self._close_writer_quietly()
        self._quarantine(segment.path, why)
        segment.parked.clear()
        segment.read_done = True
        self._drop(segment)

    def close(self) -> None:
        self.retire_idle()
        self._close_writer()
        for segment in list(self._segments):
            self._forget_if_done(segment)
        for slot in self.slots:
            if slot.lock >= 0:
                os.close(slot.lock)  # releases the slot
                slot.lock = -1


def _entry(partition_key: str, data: bytes, explicit_hash_key: str | None) -> bytes:
    key = partition_key.encode()
    hash_key = explicit_hash_key.encode() if explicit_hash_key is not None else b""
    payload = _KEYS.pack(len(key), len(hash_key) if explicit_hash_key is not None else 255)
    payload += key + hash_key + data
    return _HEADER.pack(_MAGIC, len(payload), zlib.crc32(payload)) + payload


def _parse(buffer: bytes, start: int) -> tuple[SpooledRecord, int] | None:
    """The entry at ``start`` and its length, or None if there is no valid one."""
    end = start + _HEADER.size
    if end > len(buffer):
        return None
    magic, length, checksum = _HEADER.unpack_from(buffer, start)
    if magic != _MAGIC or length > _MAX_PAYLOAD or end + length > len(buffer):
        return None
    payload = buffer[end : end + length]
    if zlib.crc32(payload) != checksum:
        return None
    try:
        return _decode(payload), _HEADER.size + length
    except (struct.error, UnicodeDecodeError):
        return None


def _resync(buffer: bytes, start: int) -> int:
    """The offset of the next valid entry from ``start`` on, or the end of ``buffer``."""
    position = buffer.find(_MAGIC_BYTES, start)
    while position >= 0:
        if _parse(buffer, position) is not None:
            return position
        position = buffer.find(_MAGIC_BYTES, position + 1)
    return len(buffer)


def _decode(payload: bytes) -> SpooledRecord:
    key_length, hash_length = _KEYS.unpack_from(payload)
    start = _KEYS.size
    if start + key_length + (hash_length if hash_length != 255 else 0) > len(payload):
        raise struct.error("keys longer than the entry")
    key = payload[start : start + key_length].decode()
    start += key_length
    hash_key = None
    if hash_length != 255:
        hash_key = payload[start : start + hash_length].decode()
        start += hash_length
    return key, payload[start:], hash_key


def _check_readable(path: Path) -> int:
    """The size of a segment file, or OSError if it cannot be read."""
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    # Opening finds EACCES; reading one byte, a device's EIO.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        os.pread(fd, 1, 0)
    finally:
        os.close(fd)
    return info.st_size


def _lock(slot: Path) -> int | None:
    """The slot's lock, or None when a live process holds it."""
    while True:
        lock = os.open(slot / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            return None
        try:
            same = os.fstat(lock).st_ino == os.stat(slot / ".lock").st_ino
        except FileNotFoundError:
            same = False
        if same:
            return lock
        # The lock file was unlinked by the process that removed the slot: the slot is gone
        # or new; look again.
        os.close(lock)
        try:
            slot.mkdir(exist_ok=True)
        except FileExistsError:
            raise OSError(errno.ENOTDIR, "not a directory", str(slot)) from None


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
