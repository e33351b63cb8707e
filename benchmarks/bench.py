"""The producer benchmark's runner: the emulator, the servers under test, their load, and the
check that every record acknowledged is in the stream."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import (  # noqa: E402
    AWS_ENV,
    DATA_BYTES,
    REGION,
    PeakRss,
    Placement,
    StolenTime,
    cpu_seconds,
    free_port,
    preempted,
    process_tree,
    wait_healthy,
)
from benchmarks.load_generators import run_load_process, run_wrk  # noqa: E402


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
        from producer.tools.local import kinesis_server_command

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
        from producer.tools.consume import make_client

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
                str(ROOT / "benchmarks" / "baseline_servers.py"),
                kind,
                str(port),
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
        before = {pid: cpu_seconds(pid) for pid in process_tree(server.pid)}
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
        from producer.tools.consume import read_stream

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
