"""Benchmark of the producer service against a local Kinesis-compatible server (moto).

    .venv/bin/python benchmarks/bench_producer.py            (make bench-producer)

Compares, on this machine and in one run:

(a) the producer (``python -m producer``), with its producer process (PRODUCER_PROCESS=true)
    and, beside it, in one process (PRODUCER_PROCESS=false);
(b) a naive producer: the same HTTP framework, one ``PutRecord`` per request, answered once it
    returns (what the KPL replaces);
(c) a no-op server in the same framework that parses the body and answers 200: the ceiling of
    the HTTP layer.

Load comes from ``wrk`` when installed (Debian: ``apt-get install -y wrk``), else from the
Python load client in this file, run in a second process. Latency at a fixed rate (half of
(a)'s saturated rate) always comes from the Python client, which is open-loop: it sends on a
schedule and measures from the scheduled time, so a slow answer cannot hide the wait it causes;
(c) is measured at the same rate. Where allowed (as root), that client runs ahead of moto and the
producer process in priority, so that its own waits for a CPU do not count as the server's
latency. Peak RSS and CPU per request count every process of a server.

On ``POST /``, each server's HTTP process runs on a CPU of its own, and the load client, moto
and the producer process share the others (:class:`Placement`), so that the load does not
preempt the server it measures. (a) and (c) alternate for ``--rounds`` rounds; (a)'s share
of (c) is the median of the rounds' ratios, each taken from runs seconds apart.

Every record sent is verified in the stream afterwards: read back, deaggregated, each unique,
as many as the server accepted and at least as many as the client saw acknowledged.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REGION = "us-east-1"
DATA_BYTES = 40
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


# Servers (b) and (c), run as: bench_producer.py --serve naive|noop --port N ------------------


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
            [sys.executable, __file__, "--load", json.dumps(spec), "--out", str(out)],
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


# Harness -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def metrics(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        values = {}
        for line in response.read().decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values


def wait_healthy(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthcheck", timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def _status_value(pid: int, key: str) -> int:
    """A figure of /proc/PID/status (VmRSS in KiB, nonvoluntary_ctxt_switches, ...); 0 once
    the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _status_mib(pid: int, key: str) -> float:
    """A memory figure of /proc/PID/status (VmRSS, VmHWM), in MiB."""
    return _status_value(pid, key) / 1024


def preempted(pid: int) -> int:
    """Involuntary context switches of a process's main thread so far."""
    return _status_value(pid, "nonvoluntary_ctxt_switches")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    """The process and its children (the producer process of the service)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(int(child) for child in children)]


class PeakRss:
    """The largest resident set of a server's processes together, sampled every 10 ms while
    it runs (never less than any one process's own peak, VmHWM)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.sampled = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            total = sum(_status_mib(pid, "VmRSS") for pid in _tree(self.pid))
            self.sampled = max(self.sampled, total)

    def mib(self) -> float:
        """The peak so far (read while the processes still run)."""
        own = max(_status_mib(pid, "VmHWM") for pid in _tree(self.pid))
        return max(self.sampled, own)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class Placement:
    """Which CPUs the processes of the ``POST /`` comparison run on.

    Left to the scheduler, the load client, moto and the producer process often wake on the
    CPU that the server's HTTP process is saturating and preempt it (hundreds of involuntary
    context switches per 1,000 requests measured here, against one or two when placed), which
    makes the (a)-to-(c) ratio a measure of the scheduler's choices. So while (a), (a) in one
    process and (c) are measured on ``POST /``, every server's HTTP process has the first CPU
    to itself, and this benchmark, the load client, moto and the producer process share the
    others, as in a deployment, where the load and Kinesis are elsewhere and the producer
    process runs on the task's other CPU. The other rows, whose bottleneck is the producer
    process rather than the HTTP process, leave every process to the scheduler. With one CPU,
    or with --no-placement, nothing is placed.
    """

    def __init__(self, enabled: bool) -> None:
        cpus = sorted(os.sched_getaffinity(0))
        self.enabled = enabled and len(cpus) >= 2
        self.all = set(cpus)
        self.front = set(cpus[:1])
        self.rest = set(cpus[1:])
        self.placed: list[int] = []

    def describe(self) -> str:
        if not self.enabled:
            return "no CPU placement"
        return (
            f"POST / comparison: HTTP processes on CPU {min(self.front)}; load client, moto and "
            f"producer process on CPU {', '.join(map(str, sorted(self.rest)))}"
        )

    @staticmethod
    def _set(pid: int, cpus: set[int]) -> None:
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(ProcessLookupError):  # a thread that just ended
                os.sched_setaffinity(int(task.name), cpus)

    def place(self, front: list[int], others: list[int]) -> None:
        """``front`` processes on the first CPU, ``others`` and this process (and so what it
        starts from now on) on the rest."""
        if not self.enabled:
            return
        for pid in front:
            self._set(pid, self.front)
        for pid in [os.getpid(), *others]:
            self._set(pid, self.rest)
        self.placed = [*front, *others]

    def release(self) -> None:
        """Every process placed, and this one, back on every CPU."""
        for pid in [os.getpid(), *self.placed]:
            with contextlib.suppress(FileNotFoundError):  # a server already stopped
                self._set(pid, self.all)
        self.placed = []


class StolenTime:
    """The share of this virtual machine's CPU time that the host gave to others (the
    "steal" of /proc/stat) from construction to :meth:`percent`; what makes runs minutes
    apart differ."""

    def __init__(self) -> None:
        self.start = self._read()

    @staticmethod
    def _read() -> tuple[int, int]:
        fields = [
            int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
        ]
        return sum(fields), fields[7]

    def percent(self) -> float:
        total, stolen = self._read()
        elapsed = total - self.start[0]
        return (stolen - self.start[1]) / elapsed * 100 if elapsed else 0.0


def peak_rss_mib(process: subprocess.Popen[bytes]) -> float:
    sampler: PeakRss = process.peak_rss  # type: ignore[attr-defined]
    return sampler.mib()


@dataclass
class Result:
    name: str
    requests_per_s: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    half_rate: float | None = None
    half_p50_ms: float | None = None
    half_p99_ms: float | None = None
    peak_rss_mib: float = 0.0
    records_per_put_call: str = "n/a"
    kinesis_per_10k: str = "n/a"
    #: CPU microseconds per request at saturation: the HTTP process (+ the producer process).
    cpu_us: str = "n/a"
    #: Requests/s as a share of (c)'s in the same round.
    round_ratios: list[float] = field(default_factory=list)
    verified: str = ""
    notes: list[str] = field(default_factory=list)


class Bench:
    def __init__(
        self, duration: int, connections: int, use_wrk: bool, placement: Placement
    ) -> None:
        self.duration = duration
        self.connections = connections
        self.use_wrk = use_wrk
        self.placement = placement
        self.processes: list[subprocess.Popen[bytes]] = []
        self.servers: dict[int, subprocess.Popen[bytes]] = {}
        os.environ.update(AWS_ENV)
        self.kinesis_port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.kinesis_port}"
        os.environ["AWS_ENDPOINT_URL_KINESIS"] = self.endpoint
        from producer.local import kinesis_server_command

        # moto, answering one request at a time: its threaded server loses concurrent puts.
        moto = self.spawn(kinesis_server_command(self.kinesis_port))
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or moto.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        from producer.consume import make_client

        self.client = make_client(REGION, self.endpoint)

    def spawn(self, command: list[str], env: dict[str, str] | None = None) -> Any:
        """Start a server; its output goes to a log file kept for when something fails."""
        log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed with the process
            "wb", prefix="bench-producer-", suffix=".log", delete=False
        )
        process = subprocess.Popen(
            command,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        process.log_path = log.name  # type: ignore[attr-defined]
        log.close()
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        sampler = getattr(process, "peak_rss", None)
        if sampler is not None:
            sampler.stop()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def close(self) -> None:
        for process in reversed(self.processes):
            self.stop(process)

    def stream(self, shards: int) -> str:
        name = f"bench-{uuid.uuid4().hex[:8]}"
        self.client.create_stream(StreamName=name, ShardCount=shards)
        return name

    def start(self, kind: str, stream: str, **env: str) -> tuple[Any, int]:
        port = free_port()
        if kind == "producer":
            command = [sys.executable, "-m", "producer"]
            env = {
                "STREAM_NAME": stream,
                "REGION": REGION,
                "PORT": str(port),
                "HOST": "127.0.0.1",
                "PYTHONPATH": str(ROOT),
                # The split, whatever this machine's CPUs (the default, auto, decides by them).
                "PRODUCER_PROCESS": "true",
                **env,
            }
        else:
            command = [
                sys.executable,
                __file__,
                "--serve",
                kind,
                "--port",
                str(port),
                "--stream",
                stream,
            ]
        process = self.spawn(command, env)
        wait_healthy(port, process)
        process.peak_rss = PeakRss(process.pid)
        self.servers[port] = process
        return process, port

    def saturate(
        self, port: int, path: str, tag: str, batch: int = 1, width: int = DATA_BYTES
    ) -> dict[str, Any]:
        """Load at full speed; also the server's CPU time per request, per process."""
        server = self.servers[port]
        before = {pid: cpu_seconds(pid) for pid in _tree(server.pid)}
        switches = preempted(server.pid)
        steal = StolenTime()
        result = self._saturate(port, path, tag, batch, width)
        requests = result["ok"] or 1
        result["cpu_us"] = [
            (cpu_seconds(pid) - used) / requests * 1e6 for pid, used in before.items()
        ]
        result["stolen_pct"] = steal.percent()
        result["preempted_per_1k"] = (preempted(server.pid) - switches) / requests * 1_000
        return result

    def _saturate(self, port: int, path: str, tag: str, batch: int, width: int) -> dict[str, Any]:
        if self.use_wrk:
            return run_wrk(port, path, tag, self.duration, self.connections, batch, width)
        result = run_load_process(
            {
                "port": port,
                "path": path,
                "duration": self.duration,
                "tag": tag,
                "connections": self.connections,
                "batch": batch,
                "width": width,
            }
        )
        result["ok"] = result["statuses"].get("200", 0)
        return result

    def fixed_rate(self, port: int, rate: float, tag: str) -> dict[str, Any]:
        steal = StolenTime()
        result = run_load_process(
            {
                "port": port,
                "path": "/",
                "duration": self.duration,
                "tag": tag,
                "connections": 64,
                "rate": rate,
            }
        )
        result["ok"] = result["statuses"].get("200", 0)
        result["stolen_pct"] = steal.percent()
        return result

    def verify(
        self,
        stream: str,
        accepted: int,
        acknowledged: int,
        tags: list[str],
        width: int = DATA_BYTES,
    ) -> str:
        """Every record the server accepted is in the stream, once, and well formed."""
        from producer.consume import read_stream

        seen: set[bytes] = set()
        duplicates = 0
        for record in read_stream(self.client, stream):
            if record.data in seen:
                duplicates += 1
            seen.add(record.data)
            if len(record.data) != width or not record.data.decode().startswith(tuple(tags)):
                raise AssertionError(f"unexpected record {record.data!r}")
        problems = []
        if duplicates:
            problems.append(f"{duplicates} duplicated")
        if len(seen) != accepted:
            problems.append(f"{len(seen)} in the stream but {accepted} accepted")
        if len(seen) < acknowledged:
            problems.append(f"{acknowledged - len(seen)} acknowledged records missing")
        if problems:
            raise AssertionError("; ".join(problems))
        return f"{len(seen):,} records verified"


def drain(port: int, timeout: float = 120) -> dict[str, float]:
    """Wait until nothing is outstanding; fail if any record could not be put."""
    deadline = time.monotonic() + timeout
    while True:
        values = metrics(port)
        if values["kinesis_producer_outstanding_user_records"] == 0:
            failed = {k: v for k, v in values.items() if "user_records_failed_total" in k and v}
            if failed:
                raise AssertionError(f"records failed: {failed}")
            return values
        if time.monotonic() > deadline:
            raise AssertionError("records still outstanding")
        time.sleep(0.2)


def per_put_call(values: dict[str, float]) -> str:
    """User records per PutRecords call, from the producer's metrics."""
    calls = values['kinesis_producer_put_records_calls_total{outcome="success"}']
    return f"{values['kinesis_producer_user_records_put_total'] / calls:,.0f}"


def kinesis_per_10k(values: dict[str, float]) -> str:
    """Kinesis records per 10,000 user records, from the producer's metrics."""
    put = values["kinesis_producer_user_records_put_total"]
    return f"{values['kinesis_producer_kinesis_records_put_total'] / put * 10_000:,.0f}"


def cpu_text(run: dict[str, Any], batch: int = 1) -> str:
    """CPU microseconds per request (per record with batches), per process: "HTTP + producer"."""
    return " + ".join(f"{us / batch:.1f}" for us in run.get("cpu_us", [])) or "n/a"


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return sorted(runs, key=lambda run: run["requests_per_s"])[len(runs) // 2]


def take_median(result: Result, runs: list[dict[str, Any]]) -> None:
    """Fill ``result`` from the median of saturated ``runs``, and list every run's rate."""
    median = median_run(runs)
    result.requests_per_s = median["requests_per_s"]
    result.p50_ms, result.p99_ms = median["p50_ms"], median["p99_ms"]
    result.cpu_us = cpu_text(median)
    result.notes.append(
        "runs: " + ", ".join(f"{run['requests_per_s']:,.0f}" for run in runs) + " requests/s"
    )


def bench_producer(bench: Bench, shards: int, rounds: int) -> tuple[Result, Result, Result, Result]:
    """(a), (a) in one process and (c) under the same load, alternately, ``rounds`` times:
    medians compared.

    Alternating matters on a shared machine, where whatever else runs changes the speed of
    everything from one minute to the next.
    """
    result = Result("(a) producer")
    inline = Result("(a) producer in one process (PRODUCER_PROCESS=false)")
    noop = Result("(c) no-op (same framework)")
    stream = bench.stream(shards)
    process, port = bench.start("producer", stream)
    inline_stream = bench.stream(shards)
    inline_process, inline_port = bench.start("producer", inline_stream, PRODUCER_PROCESS="false")
    noop_process, noop_port = bench.start("noop", bench.stream(1))
    servers = [process.pid, inline_process.pid, noop_process.pid]
    bench.placement.place(servers, [*_tree(process.pid)[1:], bench.processes[0].pid])
    a_runs, i_runs, c_runs = [], [], []
    for round_ in range(rounds):
        c_runs.append(bench.saturate(noop_port, "/", f"c{round_}"))
        a_runs.append(bench.saturate(port, "/", f"a{round_}"))
        i_runs.append(bench.saturate(inline_port, "/", f"n{round_}"))
        print(
            f"round {round_ + 1}: (a) {a_runs[-1]['requests_per_s']:,.0f}/s, "
            f"(a) in one process {i_runs[-1]['requests_per_s']:,.0f}/s, "
            f"(c) {c_runs[-1]['requests_per_s']:,.0f}/s; HTTP process preempted "
            + ", ".join(f"{runs[-1]['preempted_per_1k']:.1f}" for runs in (a_runs, i_runs, c_runs))
            + " times per 1,000 requests; CPU time stolen by the host "
            + ", ".join(f"{runs[-1]['stolen_pct']:.1f}%" for runs in (a_runs, i_runs, c_runs)),
            flush=True,
        )
    # Each round's (a) and (c) ran seconds apart; the machine's speed drifts over minutes.
    result.round_ratios = [
        a["requests_per_s"] / c["requests_per_s"] for a, c in zip(a_runs, c_runs, strict=True)
    ]
    inline.round_ratios = [
        i["requests_per_s"] / c["requests_per_s"] for i, c in zip(i_runs, c_runs, strict=True)
    ]
    for target in (result, inline):
        target.notes.append(
            "of (c) per round: " + ", ".join(f"{ratio:.0%}" for ratio in target.round_ratios)
        )
    take_median(inline, i_runs)
    values = drain(inline_port)
    inline.peak_rss_mib = peak_rss_mib(inline_process)
    inline.records_per_put_call = per_put_call(values)
    inline.kinesis_per_10k = kinesis_per_10k(values)
    inline.verified = bench.verify(
        inline_stream,
        int(values["kinesis_producer_user_records_received_total"]),
        sum(run["ok"] for run in i_runs),
        ["n"],
    )
    bench.stop(inline_process)
    take_median(noop, c_runs)
    noop.verified = "nothing is written"
    take_median(result, a_runs)
    values = drain(port)
    result.records_per_put_call = per_put_call(values)
    result.kinesis_per_10k = kinesis_per_10k(values)
    # Latency at half of (a)'s rate, alternately with (c) at the same rate: (c)'s figure is
    # what the machine and the load client allow at that rate.
    a_half, c_half = [], []
    for round_ in range(rounds):
        c_half.append(bench.fixed_rate(noop_port, result.requests_per_s / 2, f"i{round_}"))
        a_half.append(bench.fixed_rate(port, result.requests_per_s / 2, f"h{round_}"))
        print(
            f"half rate, round {round_ + 1}: p99 (a) {a_half[-1]['p99_ms']:.1f} ms, "
            f"(c) {c_half[-1]['p99_ms']:.1f} ms; CPU time stolen by the host "
            f"{a_half[-1]['stolen_pct']:.1f}%, {c_half[-1]['stolen_pct']:.1f}%; load client "
            + ("ahead of" if a_half[-1]["prioritized"] else "at the priority of")
            + " moto and the producer process",
            flush=True,
        )
    for target, runs in ((result, a_half), (noop, c_half)):
        half = sorted(runs, key=lambda run: run["p99_ms"])[len(runs) // 2]
        target.half_rate = half["requests_per_s"]
        target.half_p50_ms, target.half_p99_ms = half["p50_ms"], half["p99_ms"]
        target.notes.append(
            "p99 at half rate: " + ", ".join(f"{run['p99_ms']:.1f}" for run in runs) + " ms"
        )
    bench.placement.release()
    noop.peak_rss_mib = peak_rss_mib(noop_process)
    bench.stop(noop_process)
    values = drain(port)
    result.peak_rss_mib = peak_rss_mib(process)
    accepted = int(values["kinesis_producer_user_records_received_total"])
    acknowledged = sum(run["ok"] for run in a_runs + a_half)
    result.verified = bench.verify(stream, accepted, acknowledged, ["a", "h"])
    bench.stop(process)

    batch = Result("(a) producer, POST /records")
    stream = bench.stream(shards)
    process, port = bench.start("producer", stream)
    loaded = bench.saturate(port, "/records", "b", batch=1_000)
    values = drain(port)
    batch.requests_per_s = loaded["ok"] * 1_000 / bench.duration
    batch.p50_ms, batch.p99_ms = loaded["p50_ms"], loaded["p99_ms"]
    batch.cpu_us = cpu_text(loaded, 1_000) + " per accepted record"
    batch.records_per_put_call = per_put_call(values)
    batch.kinesis_per_10k = kinesis_per_10k(values)
    batch.peak_rss_mib = peak_rss_mib(process)
    if loaded.get("non_2xx") or len(loaded.get("statuses", {})) > 1:
        batch.notes.append(f"non-200 answers: {loaded.get('non_2xx', loaded.get('statuses'))}")
    batch.verified = bench.verify(
        stream,
        int(values["kinesis_producer_user_records_received_total"]),
        loaded["ok"] * 1_000,
        ["b"],
    )
    bench.stop(process)
    return result, inline, batch, noop


def bench_back_pressure(bench: Bench, width: int, bound: str) -> Result:
    """POST /records into one shard (1 MiB/s): the outstanding records reach their bound."""
    result = Result(f"(a) at the {bound} bound, {width}-byte records")
    stream = bench.stream(1)
    process, port = bench.start("producer", stream)
    tag = f"p{width}"
    loaded = bench.saturate(port, "/records", tag, batch=1_000, width=width)
    during = metrics(port)
    result.peak_rss_mib = peak_rss_mib(process)
    # Refused at the outstanding bound (back_pressure), or at what one shard puts within a
    # quarter of RecordTtl (overloaded), whichever is lower.
    refused = sum(
        during.get(
            f'kinesis_producer_http_rejected_requests_total{{reason="{reason}",status="503"}}', 0
        )
        for reason in ("back_pressure", "overloaded")
    )
    result.notes.append(
        f"{int(refused):,} requests of 1,000 records refused with 503; at the end "
        f"{int(during['kinesis_producer_outstanding_user_records']):,} records and "
        f"{during['kinesis_producer_outstanding_bytes'] / 2**20:.1f} MiB outstanding"
    )
    values = drain(port, timeout=300)
    result.requests_per_s = loaded["ok"] * 1_000 / bench.duration
    result.verified = bench.verify(
        stream,
        int(values["kinesis_producer_user_records_received_total"]),
        loaded["ok"] * 1_000,
        [tag],
        width,
    )
    bench.stop(process)
    return result


def bench_spool(bench: Bench, shards: int) -> Result:
    """(a) with the disk spool on (SPOOL_DIR, the default fsync policy) while Kinesis answers:
    what having it costs. (An outage's records go to disk; tests cover that, not speed.)"""
    result = Result("(a) with the spool on (SPOOL_DIR)")
    stream = bench.stream(shards)
    with tempfile.TemporaryDirectory(prefix="bench-spool-") as spool_dir:
        process, port = bench.start("producer", stream, SPOOL_DIR=spool_dir)
        bench.placement.place([process.pid], [*_tree(process.pid)[1:], bench.processes[0].pid])
        saturated = bench.saturate(port, "/", "s")
        result.requests_per_s = saturated["requests_per_s"]
        result.p50_ms, result.p99_ms = saturated["p50_ms"], saturated["p99_ms"]
        result.cpu_us = cpu_text(saturated)
        values = drain(port)
        result.peak_rss_mib = peak_rss_mib(process)
        result.records_per_put_call = per_put_call(values)
        result.kinesis_per_10k = kinesis_per_10k(values)
        spooled = values.get("kinesis_producer_user_records_spooled_total", 0)
        result.notes.append(f"{int(spooled):,} records spooled")
        result.verified = bench.verify(
            stream,
            int(values["kinesis_producer_user_records_received_total"]),
            saturated["ok"],
            ["s"],
        )
        bench.stop(process)
    return result


def bench_other(bench: Bench, kind: str, name: str) -> Result:
    result = Result(name)
    stream = bench.stream(1)
    process, port = bench.start(kind, stream)
    saturated = bench.saturate(port, "/", kind[0])
    result.requests_per_s = saturated["requests_per_s"]
    result.p50_ms, result.p99_ms = saturated["p50_ms"], saturated["p99_ms"]
    result.cpu_us = cpu_text(saturated)
    result.peak_rss_mib = peak_rss_mib(process)
    # Requests still in flight when the load stopped finish on their own: wait for them.
    accepted, previous = -1, -2
    while accepted != previous:
        previous = accepted
        time.sleep(1.0)
        accepted = get_json(f"http://127.0.0.1:{port}/count")["accepted"]
    if kind == "naive":
        result.records_per_put_call = "1 (PutRecord)"
        result.kinesis_per_10k = "10,000"
        result.verified = bench.verify(stream, accepted, saturated["ok"], [kind[0]])
    else:
        result.verified = f"{accepted:,} parsed (nothing is written)"
    bench.stop(process)
    return result


def handover_us(records: int = 200_000, per_message: int = 170) -> float:
    """CPU microseconds per record that the HTTP process spends handing records over to the
    producer process, measured alone: admission, batching, framing and writing to the socket
    (a drain reads the other end), without HTTP and without a producer."""
    import uvloop

    from producer.front import ProducerProcess

    async def run() -> float:
        front = ProducerProcess("bench")
        front._loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        _, front._writer = await asyncio.open_unix_connection(sock=ours)
        reader, _ = await asyncio.open_unix_connection(sock=theirs)

        async def drain() -> None:
            while await reader.read(1 << 20):
                pass

        drainer = asyncio.create_task(drain())
        key, data = str(uuid.uuid4()), b"x" * DATA_BYTES
        started = time.process_time()
        for number in range(records):
            front.add_user_record_nowait(key, data)
            if number % per_message == per_message - 1:
                front._send_now()
                # As if the producer process had put them all.
                front._settled_records = front._admitted_records
                front._settled_bytes = front._admitted_bytes
                await asyncio.sleep(0)
        used = time.process_time() - started
        drainer.cancel()
        return used / records * 1e6

    return uvloop.run(run())


def fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def table(results: list[Result]) -> str:
    header = (
        "| server | requests/s (records/s for /records) | p50 ms | p99 ms "
        "| p99 ms at half rate | peak RSS MiB | user records per PutRecords "
        "| Kinesis records per 10,000 | CPU µs per request | verified |"
    )
    lines = [header, "| --- " * 10 + "|"]
    for r in results:
        half = (
            "n/a"
            if r.half_p99_ms is None
            else (f"{fmt(r.half_p99_ms)} (at {r.half_rate:,.0f}/s; p50 {fmt(r.half_p50_ms)})")
        )
        lines.append(
            f"| {r.name} | {r.requests_per_s:,.0f} | {fmt(r.p50_ms)} | {fmt(r.p99_ms)} | {half} "
            f"| {r.peak_rss_mib:,.0f} | {r.records_per_put_call} | {r.kinesis_per_10k} "
            f"| {r.cpu_us} | {r.verified}{'; ' + '; '.join(r.notes) if r.notes else ''} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--shards", type=int, default=16, help="shards of the stream for (a)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="alternate runs of (a) and (c) (the median of the rounds' ratios is compared)",
    )
    parser.add_argument(
        "--no-placement",
        action="store_true",
        help="let the scheduler place every process (default: HTTP processes get a CPU)",
    )
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    parser.add_argument("--serve", choices=["naive", "noop"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stream", help=argparse.SUPPRESS)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.stream)
        return 0
    if args.load:
        import gc

        import uvloop

        # A short-lived client: no cycle collections pausing it and skewing its latencies.
        gc.disable()
        spec = json.loads(args.load)
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
        Path(args.out).write_text(json.dumps(result))
        return 0

    use_wrk = not args.python_client and shutil.which("wrk") is not None
    if not use_wrk and not args.python_client:
        print(
            "wrk is not installed (Debian/Ubuntu: apt-get install -y wrk; macOS: brew install "
            "wrk); using the Python load client instead.",
            file=sys.stderr,
        )
    print(
        f"load: {'wrk' if use_wrk else 'Python client'}, {args.connections} connections, "
        f"{args.duration} s per run; {os.cpu_count()} CPUs; load average "
        f"{os.getloadavg()[0]:.2f}"
    )
    placement = Placement(not args.no_placement)
    print(placement.describe())
    print(f"hand-over to the producer process, alone: {handover_us():.2f} µs of CPU per record")
    bench = Bench(args.duration, args.connections, use_wrk, placement)
    try:
        naive = bench_other(bench, "naive", "(b) naive PutRecord per request")
        print(table([naive]), flush=True)
        producer, inline, batch, noop = bench_producer(bench, args.shards, args.rounds)
        print("\n".join(table([producer, inline, noop, batch]).splitlines()[-4:]), flush=True)
        spooling = bench_spool(bench, args.shards)
        print(table([spooling]).splitlines()[-1], flush=True)
        by_count = bench_back_pressure(bench, DATA_BYTES, "record-count")
        by_bytes = bench_back_pressure(bench, 1_024, "byte")
    finally:
        bench.close()
    results = [producer, inline, spooling, batch, by_count, by_bytes, naive, noop]
    print()
    print(table(results))
    print()
    ratio = statistics.median(producer.round_ratios)
    checks = [
        (
            "(a) >= 75% of (c) requests/s",
            ratio >= 0.75,
            f"{ratio:.0%} (median of the rounds' ratios; ratio of the medians "
            f"{producer.requests_per_s / noop.requests_per_s:.0%})",
        ),
        (
            "POST / p99 at half rate < 10 ms",
            (producer.half_p99_ms or 1e9) < 10,
            f"{fmt(producer.half_p99_ms)} ms",
        ),
        (
            ">= 500 user records per PutRecords at saturation",
            float(producer.records_per_put_call.replace(",", "")) >= 500,
            producer.records_per_put_call,
        ),
        (
            "(a) with the spool on >= 90% of (a) requests/s",
            spooling.requests_per_s >= 0.9 * producer.requests_per_s,
            f"{spooling.requests_per_s / producer.requests_per_s:.0%}",
        ),
        (
            "POST /records >= 100,000 records/s",
            batch.requests_per_s >= 100_000,
            f"{batch.requests_per_s:,.0f}",
        ),
        (
            "peak RSS < 200 MiB at the back-pressure bound",
            max(by_count.peak_rss_mib, by_bytes.peak_rss_mib) < 200,
            f"{by_count.peak_rss_mib:.0f} MiB (record bound), "
            f"{by_bytes.peak_rss_mib:.0f} MiB (byte bound)",
        ),
    ]
    for name, met, value in checks:
        print(f"{'met   ' if met else 'MISSED'}  {name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
