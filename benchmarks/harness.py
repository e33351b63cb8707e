"""What the producer benchmark's programs share: the emulator's settings, the servers'
processes, and measuring them (peak memory, CPU, placement on CPUs, stolen time)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
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


def process_tree(pid: int) -> list[int]:
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
            total = sum(_status_mib(pid, "VmRSS") for pid in process_tree(self.pid))
            self.sampled = max(self.sampled, total)

    def mib(self) -> float:
        """The peak so far (read while the processes still run)."""
        own = max(_status_mib(pid, "VmHWM") for pid in process_tree(self.pid))
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
