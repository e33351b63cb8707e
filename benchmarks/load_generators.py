"""Load for the producer benchmark: ``wrk`` when installed, and the Python client.

The Python client runs as a program of its own (so that it does not share a core's GIL):

    python benchmarks/load_generators.py SPEC_JSON OUT_JSON
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import DATA_BYTES  # noqa: E402  (needs the path above)

#: Niceness of the fixed-rate load client when it may raise its priority (as root).
CLIENT_NICE = -15


# The Python load client, run as: bench_producer.py --load JSON ----------------------------


def record_data(tag: str, number: int, width: int = DATA_BYTES) -> str:
    """A unique record of exactly ``width`` bytes."""
    prefix = f"{tag}-"
    return prefix + str(number).zfill(width - len(prefix))


async def load(spec: dict[str, Any]) -> dict[str, Any]:
    """Send POST requests and measure; open-loop at spec["rate"], else closed-loop."""
    host, port, path = "127.0.0.1", spec["port"], spec["path"]
    rate: float | None = spec.get("rate")
    duration: float = spec["duration"]
    batch: int = spec.get("batch", 1)
    tag: str = spec["tag"]
    width: int = spec.get("width", DATA_BYTES)
    content_type = "application/x-ndjson" if batch > 1 else "application/json"
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    acknowledged: list[int] = []  # first record number of each acknowledged request
    counter = 0
    clock = time.perf_counter
    queue: asyncio.Queue[tuple[float, int]] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    start = loop.time()
    end = start + duration
    cpu_started = time.process_time()

    def body(first: int) -> bytes:
        if batch == 1:
            return b'{"data":"%s"}' % record_data(tag, first, width).encode()
        return b"".join(
            b'{"data":"%s"}\n' % record_data(tag, first + i, width).encode() for i in range(batch)
        )

    async def connection() -> None:
        try:
            await exchange()
        except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
            # The server went away or answered garbage: counted, and this connection ends.
            statuses["connection error"] = statuses.get("connection error", 0) + 1

    async def exchange() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                if rate is None:
                    nonlocal counter
                    if loop.time() >= end:
                        return
                    scheduled, first = clock(), counter
                    counter += batch
                else:
                    scheduled, first = await queue.get()
                    # The schedule is in loop time (millisecond ticks on uvloop); measure from
                    # the scheduled moment on the finer clock.
                    scheduled = clock() - (loop.time() - scheduled)
                payload = body(first)
                writer.write(
                    b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n"
                    b"Content-Length: %d\r\n\r\n%s"
                    % (path.encode(), host.encode(), content_type.encode(), len(payload), payload)
                )
                status_line = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                status = status_line.split()[1].decode()
                latencies.append(clock() - scheduled)
                statuses[status] = statuses.get(status, 0) + 1
                if status == "200":
                    acknowledged.append(first)
        finally:
            writer.close()

    async def schedule() -> None:
        assert rate is not None
        sent = 0
        while True:
            now = loop.time()
            if now >= end:
                break
            due = int((now - start) * rate) + 1
            for _ in range(due - sent):
                queue.put_nowait((start + sent / rate, sent * batch))
                sent += 1
            await asyncio.sleep(0.001)

    workers = [asyncio.create_task(connection()) for _ in range(spec["connections"])]
    if rate is not None:
        await schedule()
        # Let what was scheduled finish (unless every connection failed), then stop.
        while not queue.empty() and not all(worker.done() for worker in workers):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.5)
        for worker in workers:
            worker.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    elapsed = loop.time() - start
    latencies.sort()
    return {
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else None,
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)] if latencies else None,
        "statuses": statuses,
        "acknowledged": len(acknowledged),
        "batch": batch,
        "client_cpu": (time.process_time() - cpu_started) / elapsed,
    }


def run_load_process(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the Python load client in its own process (so it does not share a core's GIL)."""
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory, "result.json")
        subprocess.run(
            [sys.executable, __file__, json.dumps(spec), str(out)],
            check=True,
            timeout=spec["duration"] + 120,
        )
        loaded: dict[str, Any] = json.loads(out.read_text())
    return loaded


# wrk -----------------------------------------------------------------------------------------

WRK_SCRIPT = """
local counter = 0
local tag = nil
local batch = %(batch)d
local path = "%(path)s"
local content_type = "%(content_type)s"
local width = %(width)d

function setup(thread)
  thread:set("id", tostring(math.random(100, 999)) .. tostring(os.time() %% 100000))
end

function init(args)
  tag = "%(tag)s" .. id .. "-"
end

local function data(n)
  local suffix = tostring(n)
  return tag .. string.rep("0", width - #tag - #suffix) .. suffix
end

function request()
  local parts = {}
  for i = 1, batch do
    counter = counter + 1
    if batch == 1 then
      parts[i] = '{"data":"' .. data(counter) .. '"}'
    else
      parts[i] = '{"data":"' .. data(counter) .. '"}\\n'
    end
  end
  return wrk.format("POST", path, {["Content-Type"] = content_type}, table.concat(parts))
end
"""


def run_wrk(
    port: int, path: str, tag: str, duration: int, connections: int, batch: int, width: int
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            WRK_SCRIPT
            % {
                "batch": batch,
                "path": path,
                "content_type": "application/x-ndjson" if batch > 1 else "application/json",
                "width": width,
                "tag": tag,
            }
        )
    output = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-s",
            script.name,
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
    ).stdout
    os.unlink(script.name)

    def find(pattern: str) -> str:
        match = re.search(pattern, output)
        if match is None:
            raise RuntimeError(f"unexpected wrk output:\n{output}")
        return match.group(1)

    def ms(text: str) -> float:
        match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
        if match is None:
            raise RuntimeError(f"unexpected latency {text!r} in wrk output:\n{output}")
        value, unit = match.groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}[unit]

    requests = int(find(r"(\d+) requests in"))
    non_2xx_match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    non_2xx = int(non_2xx_match.group(1)) if non_2xx_match else 0
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "requests_per_s": float(find(r"Requests/sec:\s+([\d.]+)")),
        "p50_ms": ms(find(r"(?m)^\s*50%\s+(\S+)")),
        "p99_ms": ms(find(r"(?m)^\s*99%\s+(\S+)")),
        "ok": requests - non_2xx,
        "non_2xx": non_2xx,
        "socket_errors": errors.group(1) if errors else "",
        "batch": batch,
    }


def main() -> int:
    import gc

    import uvloop

    # A short-lived client: no cycle collections pausing it and skewing its latencies.
    gc.disable()
    spec = json.loads(sys.argv[1])
    prioritized = False
    if spec.get("rate"):
        # At a fixed rate the client measures from each request's scheduled moment, so any
        # wait of its own for a CPU counts as the server's latency. It shares its CPU with
        # moto and the producer process; ahead of them, it measures the server instead.
        try:
            os.setpriority(os.PRIO_PROCESS, 0, CLIENT_NICE)
            prioritized = True
        except PermissionError:
            pass  # not privileged: the client runs at the others' priority
    result = uvloop.run(load(spec))
    result["prioritized"] = prioritized
    Path(sys.argv[2]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
