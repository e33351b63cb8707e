"""The comparison servers of the producer benchmark, in the producer's framework (aiohttp on
uvloop): (b) ``naive``, one ``PutRecord`` per request, and (c) ``noop``, which parses the
body and answers 200.

    python benchmarks/baseline_servers.py naive|noop PORT STREAM
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import REGION  # noqa: E402  (needs the path above)


def serve(kind: str, port: int, stream: str) -> None:
    """The comparison servers, in the producer's framework (aiohttp on uvloop)."""
    import orjson
    import uvloop
    from aiobotocore.session import get_session
    from aiohttp import web
    from uuid_utils import uuid4

    accepted = 0

    def parse(body: bytes) -> bytes:
        record = orjson.loads(body)
        data = record["data"]
        if not isinstance(data, str) or not data or record.keys() - {"data"}:
            raise ValueError("bad record")
        return data.encode()

    async def main() -> None:
        nonlocal accepted
        client: Any = None
        stack: Any = None
        if kind == "naive":
            from contextlib import AsyncExitStack

            stack = AsyncExitStack()
            client = await stack.enter_async_context(
                get_session().create_client("kinesis", region_name=REGION)
            )

        async def put(request: web.Request) -> web.Response:
            nonlocal accepted
            try:
                data = parse(await request.read())
            except (ValueError, KeyError, TypeError):
                return web.json_response({"error": "bad record"}, status=400)
            if client is not None:
                await client.put_record(StreamName=stream, Data=data, PartitionKey=str(uuid4()))
            accepted += 1
            return web.Response(body=b'{"accepted":1}', content_type="application/json")

        async def count(request: web.Request) -> web.Response:
            return web.json_response({"accepted": accepted})

        app = web.Application()
        app.router.add_post("/", put)
        app.router.add_get("/count", count)
        app.router.add_get("/healthcheck", count)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await runner.cleanup()
        if stack is not None:
            await stack.aclose()

    uvloop.run(main())


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3])
