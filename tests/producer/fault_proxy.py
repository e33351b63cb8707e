"""A fault-injecting HTTP proxy in front of the Kinesis-compatible test server.

It runs its own event loop in a thread, so synchronous tests and tests with their own event
loop can both steer it. Faults:

* ``throttle_share``: that share of the entries of each ``PutRecords`` is answered with
  ``ProvisionedThroughputExceededException``; the other entries are forwarded, so the answer is
  a genuine partial failure.
* ``down``: the server is unreachable: the listening socket is closed (connection refused)
  and requests on connections that were already open are dropped unanswered.
* ``delay``: every answer is held back this many seconds.
* ``stale_shards``: ``ListShards`` answers with a single made-up shard covering every hash
  key (the map a producer would hold from before a reshard) this many times.

Counters tell the tests what the producer did.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
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
        self.stale_shards = 0
        self.counts: dict[str, int] = {
            "put_records_calls": 0,
            "entries": 0,
            "entries_throttled": 0,
            "entries_forwarded": 0,
            "list_shards_calls": 0,
            "dropped": 0,
        }
        self._random = random.Random(seed)
        self._down = False
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

    def reset(self) -> None:
        self.throttle_share = 0.0
        self.delay = 0.0
        self.stale_shards = 0
        self.set_down(False)
        for key in self.counts:
            self.counts[key] = 0

    async def _start(self) -> None:
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
        target = request.headers.get("X-Amz-Target", "")
        if target == PUT_RECORDS:
            return await self._put_records(request, body)
        if target == LIST_SHARDS:
            self.counts["list_shards_calls"] += 1
            if self.stale_shards > 0:
                self.stale_shards -= 1
                return self._json({"Shards": [_stale_shard()]})
        return await self._forward(request, body)

    def _drop(self, request: web.Request) -> web.StreamResponse:
        self.counts["dropped"] += 1
        assert request.transport is not None
        request.transport.abort()
        # aiohttp needs a response object; it is never sent.
        return web.Response(status=503)

    async def _put_records(self, request: web.Request, body: bytes) -> web.StreamResponse:
        self.counts["put_records_calls"] += 1
        payload = json.loads(body)
        entries = payload["Records"]
        self.counts["entries"] += len(entries)
        throttled = {
            index
            for index in range(len(entries))
            if self.throttle_share and self._random.random() < self.throttle_share
        }
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

    async def _forward_json(self, request: web.Request, payload: dict[str, Any]) -> tuple[int, Any]:
        response = await self._send(request, json.dumps(payload).encode())
        return response[0], json.loads(response[2])

    async def _forward(self, request: web.Request, body: bytes) -> web.StreamResponse:
        status, headers, content = await self._send(request, body)
        return web.Response(status=status, body=content, headers=headers)

    async def _send(self, request: web.Request, body: bytes) -> tuple[int, dict[str, str], bytes]:
        assert self._session is not None
        headers = {
            key: value
            for key, value in request.headers.items()
            if key.lower() not in ("host", "content-length", "transfer-encoding")
        }
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
