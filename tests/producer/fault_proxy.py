"""A fault-injecting HTTP proxy in front of the Kinesis-compatible test server.

It runs its own event loop in a thread, so synchronous tests and tests with their own event
loop can both steer it. Faults:

* ``throttle_share``: that share of the entries of each ``PutRecords`` is answered with
  ``ProvisionedThroughputExceededException``; the other entries are forwarded, so the answer is
  a genuine partial failure.
* ``down``: the server is unreachable: the listening socket is closed (connection refused)
  and requests on connections that were already open are dropped unanswered.
* ``delay``: every answer is held back this many seconds.
* ``link_bytes_per_second``: a narrow link (a service link shared with other traffic): request
  bodies pass one at a time at this rate. Kinesis answers every call, slowly, and throttles
  nothing.
* ``hold``: every ``PutRecords`` waits, unanswered, until the hold is lifted (a Kinesis that
  neither answers nor fails, for as long as a test needs); one whose client went away
  meanwhile (a timeout, a killed process) is then dropped, never forwarded.
* ``stale_shards``: ``ListShards`` answers with a single made-up shard covering every hash
  key (the map a producer would hold from before a reshard) this many times.
* ``refuse_puts``: every ``PutRecords`` is answered 400 with this error code (a denied
  permission, a disabled KMS key), before anything reaches the server.
* ``poison_key``: a ``PutRecords`` holding an entry with this partition key is answered 400
  ``InvalidArgumentException`` as a whole (Kinesis names no entry in a request-level error).
* ``shard_limits``: (records, bytes) per shard and second, as Kinesis enforces them: entries
  that would exceed either within a sliding second are throttled, the rest forwarded. Shared
  by every client of the proxy, as a shard is shared by every producer.

Counters tell the tests what the producer did.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

PUT_RECORDS = "Kinesis_20131202.PutRecords"
LIST_SHARDS = "Kinesis_20131202.ListShards"
THROTTLED = "ProvisionedThroughputExceededException"
STALE_SHARD_ID = "shardId-000000009999"


class FaultProxy:
    def __init__(self, upstream: str, seed: int = 1) -> None:
        self.upstream = upstream.rstrip("/")
        self.port = 0
        self.throttle_share = 0.0
        self.delay = 0.0
        self.link_bytes_per_second = 0
        self.stale_shards = 0
        self.refuse_puts: str | None = None
        self.poison_key: str | None = None
        self.shard_limits: tuple[int, int] | None = None
        #: Per stream: the shards' hash-key ranges, then per shard what it took in the last second.
        self._ranges: dict[str, list[tuple[int, int, str]]] = {}
        self._taken: dict[tuple[str, str], deque[tuple[float, int]]] = {}
        #: Entries per PutRecords call, in order.
        self.batch_sizes: list[int] = []
        self.counts: dict[str, int] = {
            "put_records_calls": 0,
            "entries": 0,
            "entries_throttled": 0,
            "entries_forwarded": 0,
            "list_shards_calls": 0,
            "dropped": 0,
            "held": 0,
        }
        self._random = random.Random(seed)
        self._down = False
        self._released: asyncio.Event | None = None
        self._link: asyncio.Lock | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _call(self, make: Callable[[], Any], timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(make(), self._loop).result(timeout)

    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._start)
        return self

    def stop(self) -> None:
        self._call(self._stop)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def set_down(self, down: bool) -> None:
        """Make the server unreachable (True) or reachable again (False)."""
        self._call(lambda: self._set_down(down))

    def hold(self, held: bool) -> None:
        """Hold every PutRecords unanswered (True) until released (False)."""

        async def apply() -> None:
            assert self._released is not None
            if held:
                self._released.clear()
            else:
                self._released.set()

        self._call(apply)

    def reset(self) -> None:
        self.throttle_share = 0.0
        self.delay = 0.0
        self.link_bytes_per_second = 0
        self.stale_shards = 0
        self.refuse_puts = None
        self.poison_key = None
        self.shard_limits = None
        self._taken.clear()
        self.batch_sizes.clear()
        self.set_down(False)
        self.hold(False)
        for key in self.counts:
            self.counts[key] = 0

    async def _start(self) -> None:
        self._released = asyncio.Event()
        self._link = asyncio.Lock()
        self._released.set()
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await self._listen()

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()
        if not self.port:
            self.port = self._runner.addresses[0][1]

    async def _set_down(self, down: bool) -> None:
        if down and not self._down:
            self._down = True
            assert self._site is not None
            await self._site.stop()
        elif not down and self._down:
            await self._listen()
            self._down = False

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if self._down:
            return self._drop(request)
        if self.delay:
            await asyncio.sleep(self.delay)
            if self._down:
                return self._drop(request)
        if self.link_bytes_per_second:
            assert self._link is not None
            async with self._link:
                await asyncio.sleep(len(body) / self.link_bytes_per_second)
        target = request.headers.get("X-Amz-Target", "")
        if target == PUT_RECORDS:
            assert self._released is not None
            if not self._released.is_set():
                self.counts["held"] += 1
                await self._released.wait()
                if request.transport is None or request.transport.is_closing():
                    # The client gave up (or died) meanwhile: a request that never reached
                    # Kinesis, which the client could not tell from one that did.
                    return self._drop(request)
            return await self._put_records(request, body)
        if target == LIST_SHARDS:
            self.counts["list_shards_calls"] += 1
            if self.stale_shards > 0:
                self.stale_shards -= 1
                return self._json({"Shards": [_stale_shard()]})
        return await self._forward(request, body)

    def _drop(self, request: web.Request) -> web.StreamResponse:
        self.counts["dropped"] += 1
        if request.transport is not None:
            request.transport.abort()
        # aiohttp needs a response object; it is never sent.
        return web.Response(status=503)

    async def _put_records(self, request: web.Request, body: bytes) -> web.StreamResponse:
        self.counts["put_records_calls"] += 1
        payload = json.loads(body)
        entries = payload["Records"]
        self.counts["entries"] += len(entries)
        self.batch_sizes.append(len(entries))
        if self.refuse_puts:
            return self._error(self.refuse_puts, "refused by the test proxy")
        if self.poison_key and any(e["PartitionKey"] == self.poison_key for e in entries):
            return self._error("InvalidArgumentException", "1 validation error detected (test)")
        throttled = {
            index
            for index in range(len(entries))
            if self.throttle_share and self._random.random() < self.throttle_share
        }
        if self.shard_limits:
            throttled |= await self._over_shard_limits(request, payload["StreamName"], entries)
        self.counts["entries_throttled"] += len(throttled)
        forwarded = [entry for index, entry in enumerate(entries) if index not in throttled]
        results: list[dict[str, Any]] = []
        if forwarded:
            self.counts["entries_forwarded"] += len(forwarded)
            upstream = await self._forward_json(request, {**payload, "Records": forwarded})
            if upstream[0] != 200:
                return self._json(upstream[1], status=upstream[0])
            results = list(upstream[1]["Records"])
        merged = []
        for index in range(len(entries)):
            if index in throttled:
                merged.append(
                    {"ErrorCode": THROTTLED, "ErrorMessage": "Rate exceeded for shard (test)"}
                )
            else:
                merged.append(results.pop(0))
        failed = sum(1 for result in merged if "ErrorCode" in result)
        return self._json({"FailedRecordCount": failed, "Records": merged})

    async def _over_shard_limits(
        self, request: web.Request, stream: str, entries: list[dict[str, Any]]
    ) -> set[int]:
        assert self.shard_limits is not None
        max_records, max_bytes = self.shard_limits
        if stream not in self._ranges:
            status, answer = await self._forward_json(
                request, {"StreamName": stream}, target=LIST_SHARDS
            )
            assert status == 200, answer
            self._ranges[stream] = [
                (
                    int(shard["HashKeyRange"]["StartingHashKey"]),
                    int(shard["HashKeyRange"]["EndingHashKey"]),
                    shard["ShardId"],
                )
                for shard in answer["Shards"]
            ]
        now = time.monotonic()
        over = set()
        for index, entry in enumerate(entries):
            key = entry.get("ExplicitHashKey")
            hashed = (
                int(key)
                if key is not None
                else int(hashlib.md5(entry["PartitionKey"].encode()).hexdigest(), 16)
            )
            shard = next(s for low, high, s in self._ranges[stream] if low <= hashed <= high)
            taken = self._taken.setdefault((stream, shard), deque())
            while taken and taken[0][0] <= now - 1.0:
                taken.popleft()
            size = len(base64.b64decode(entry["Data"])) + len(entry["PartitionKey"].encode())
            if len(taken) + 1 > max_records or sum(b for _, b in taken) + size > max_bytes:
                over.add(index)
            else:
                taken.append((now, size))
        return over

    def _error(self, code: str, message: str) -> web.Response:
        return self._json({"__type": code, "message": message}, status=400)

    async def _forward_json(
        self, request: web.Request, payload: dict[str, Any], target: str | None = None
    ) -> tuple[int, Any]:
        response = await self._send(request, json.dumps(payload).encode(), target)
        return response[0], json.loads(response[2])

    async def _forward(self, request: web.Request, body: bytes) -> web.StreamResponse:
        status, headers, content = await self._send(request, body)
        return web.Response(status=status, body=content, headers=headers)

    async def _send(
        self, request: web.Request, body: bytes, target: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        assert self._session is not None
        headers = {
            key: value
            for key, value in request.headers.items()
            if key.lower() not in ("host", "content-length", "transfer-encoding")
        }
        if target is not None:
            # moto does not check signatures: the same headers serve another action.
            headers["X-Amz-Target"] = target
        async with self._session.request(
            request.method, self.upstream + request.path_qs, data=body, headers=headers
        ) as response:
            content = await response.read()
            passed = {
                key: value
                for key, value in response.headers.items()
                if key.lower() in ("content-type", "x-amzn-requestid")
            }
            return response.status, passed, content

    @staticmethod
    def _json(payload: Any, status: int = 200) -> web.Response:
        return web.Response(
            status=status,
            body=json.dumps(payload).encode(),
            content_type="application/x-amz-json-1.1",
        )


def _stale_shard() -> dict[str, Any]:
    return {
        "ShardId": STALE_SHARD_ID,
        "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": str(2**128 - 1)},
        "SequenceNumberRange": {"StartingSequenceNumber": "0"},
    }
