"""The shard map: which open shard owns which range of hash keys.

The producer aggregates per shard, so it must know, before sending, where each key will land.
It lists the stream's shards (``ListShards``), keeps the open ones (a closed shard has an
ending sequence number), and looks keys up by binary search over the ranges' ends. When a put
lands in a shard other than the predicted one, the stream was resharded and the map is loaded
again (:class:`ShardMapUpdater`).
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_aiobotocore_kinesis import KinesisClient

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Shard:
    shard_id: str
    starting_hash_key: int
    ending_hash_key: int

    def __contains__(self, hash_key: object) -> bool:
        return isinstance(hash_key, int) and (
            self.starting_hash_key <= hash_key <= self.ending_hash_key
        )


class ShardMap:
    """Open shards sorted by hash-key range; answers "which shard owns this key"."""

    __slots__ = ("_by_id", "_ends", "_shards")

    def __init__(self, shards: Iterable[Shard]) -> None:
        self._shards = sorted(shards, key=lambda shard: shard.ending_hash_key)
        self._ends = [shard.ending_hash_key for shard in self._shards]
        self._by_id = {shard.shard_id: shard for shard in self._shards}

    @classmethod
    def from_list_shards(cls, shards: Iterable[Mapping[str, Any]]) -> ShardMap:
        """Build the map from ``ListShards`` entries, skipping closed shards."""
        return cls(
            Shard(
                entry["ShardId"],
                int(entry["HashKeyRange"]["StartingHashKey"]),
                int(entry["HashKeyRange"]["EndingHashKey"]),
            )
            for entry in shards
            if "EndingSequenceNumber" not in entry.get("SequenceNumberRange", {})
        )

    def __len__(self) -> int:
        return len(self._shards)

    def __iter__(self) -> Any:
        return iter(self._shards)

    def shard_for(self, hash_key: int) -> Shard | None:
        """The shard whose range holds ``hash_key``; ``None`` if no open shard does."""
        index = bisect.bisect_left(self._ends, hash_key)
        if index < len(self._shards):
            shard = self._shards[index]
            if shard.starting_hash_key <= hash_key:
                return shard
        return None

    def get(self, shard_id: str) -> Shard | None:
        return self._by_id.get(shard_id)

    @property
    def shard_ids(self) -> set[str]:
        return set(self._by_id)


async def list_open_shards(client: KinesisClient, stream_name: str) -> ShardMap:
    """Load the open shards of a stream, following ``NextToken`` pages."""
    entries: list[Mapping[str, Any]] = []
    response = await client.list_shards(StreamName=stream_name)
    entries.extend(response.get("Shards", []))
    while response.get("NextToken"):
        response = await client.list_shards(NextToken=response["NextToken"])
        entries.extend(response.get("Shards", []))
    return ShardMap.from_list_shards(entries)


class ShardMapUpdater:
    """Keeps the current shard map and reloads it on demand, one load at a time.

    Concurrent refresh requests share one ``ListShards`` round, and loads are spaced by at
    least ``min_interval`` seconds so a burst of misplaced records cannot flood ``ListShards``
    (which Kinesis limits to 1,000 calls per second per account, shared with other callers).
    """

    def __init__(
        self,
        client: KinesisClient,
        stream_name: str,
        on_load: Callable[[ShardMap], None] | None = None,
        min_interval: float = 1.0,
    ) -> None:
        self._client = client
        self._on_load = on_load
        self._stream_name = stream_name
        self._min_interval = min_interval
        self.current: ShardMap | None = None
        self._task: asyncio.Task[ShardMap | None] | None = None
        self._last_load = float("-inf")
        self.loads = 0
        #: Why the last load failed (None: it succeeded, or found no open shard).
        self.last_error: BaseException | None = None

    def refresh(self) -> asyncio.Task[ShardMap | None]:
        """Start a reload unless one is running; the task yields the new map or ``None``."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._load())
        return self._task

    async def _load(self) -> ShardMap | None:
        loop = asyncio.get_running_loop()
        wait = self._last_load + self._min_interval - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_load = loop.time()
        try:
            shard_map = await list_open_shards(self._client, self._stream_name)
        except Exception as exc:
            self.last_error = exc
            log.warning(
                "could not list the stream's shards",
                extra={"stream": self._stream_name, "error": f"{type(exc).__name__}: {exc}"},
            )
            return None
        self.last_error = None
        if not len(shard_map):
            log.warning("the stream has no open shards", extra={"stream": self._stream_name})
            return None
        self.loads += 1
        self.current = shard_map
        if self._on_load is not None:
            self._on_load(shard_map)
        log.info("shard map loaded", extra={"stream": self._stream_name, "shards": len(shard_map)})
        return shard_map
