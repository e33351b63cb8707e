"""Running the built producer image and checking it, for scripts/build_image.py.

``buildah run`` starts the image's entry point against a Kinesis-compatible server (moto, on
loopback, as ``make local`` starts it); the checks read the service's processes from ``/proc``,
run the image's ``HEALTHCHECK`` command inside the container, stop the service with its
``STOPSIGNAL`` and run the ``HEALTHCHECK`` again, which must then fail.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.image_buildah import IMAGE, ROOT, Buildah, BuildError, progress, tail, timed

REGION = "us-east-1"
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


@dataclass(frozen=True)
class Process:
    """A process, as /proc shows it."""

    pid: int
    command: str
    uid: int
    gid: int


@dataclass
class RunResult:
    """What running the built image showed."""

    image_id: str
    #: USER of the image config, e.g. "10001:10001".
    config_user: str
    #: Status of GET /healthcheck once the service listened.
    healthcheck_status: int
    #: The process that listens on the service's port.
    served: Process
    #: Every process below ``buildah run``: buildah's own chroot helper, the entry point's
    #: process and the producer process it started.
    processes: list[Process]
    healthcheck_command: list[str]
    healthcheck_exit: int
    healthcheck_output: str = ""
    stop_exit: int | None = None
    stop_seconds: float | None = None
    #: The HEALTHCHECK command's exit status once the service has stopped.
    healthcheck_exit_stopped: int | None = None

    @property
    def container_processes(self) -> list[Process]:
        """The processes of the image's programs (not buildah's helper)."""
        return [p for p in self.processes if not p.command.startswith("buildah")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        # As the service binds: connections of a previous run in TIME_WAIT do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def get_status(url: str, timeout: float = 1) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            status: int = answer.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


def wait_for(url: str, timeout: float, process: subprocess.Popen[bytes], log: Path) -> int:
    """Poll ``url`` until it answers 200 and return 200; fail if ``process`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BuildError(
                f"the container exited with {process.returncode} before {url} answered; "
                f"the end of {log}:\n{tail(log)}"
            )
        with contextlib.suppress(OSError):
            if (status := get_status(url)) == 200:
                return status
        time.sleep(0.2)
    raise BuildError(f"{url} did not answer 200 within {timeout:.0f} s:\n{tail(log)}")


@contextlib.contextmanager
def kinesis_server(log_dir: Path) -> Iterator[tuple[str, str]]:
    """moto's Kinesis on a free loopback port with a one-shard stream: (endpoint, stream)."""
    # Imported here, by name: only the run needs them (from the development venv), and the
    # producer package is type-checked on its own.
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    boto3 = importlib.import_module("boto3")
    kinesis_server_command = importlib.import_module("producer.tools.local").kinesis_server_command

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / "moto.log").open("wb") as out:
        server = subprocess.Popen(kinesis_server_command(port), stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError):
                if get_status(f"{endpoint}/moto-api/") == 200:
                    break
            if time.monotonic() > deadline or server.poll() is not None:
                raise BuildError(f"moto's server did not start:\n{tail(log_dir / 'moto.log')}")
            time.sleep(0.1)
        client = boto3.client(
            "kinesis",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=DUMMY_AWS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_AWS["AWS_SECRET_ACCESS_KEY"],
        )
        stream = "image-check"
        client.create_stream(StreamName=stream, ShardCount=1)
        client.get_waiter("stream_exists").wait(
            StreamName=stream, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50}
        )
        yield endpoint, stream
    finally:
        server.terminate()
        server.wait(10)


def descendants(pid: int) -> list[int]:
    """Every living process below ``pid``, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            # The parent is the 4th field, after "(command)", which may hold spaces.
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return sorted(found)


def process(pid: int) -> Process:
    proc = Path("/proc") / str(pid)
    command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    ids: dict[str, int] = {}
    for line in (proc / "status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"Uid", "Gid"}:
            ids[key] = int(value.split()[0])  # the real id; effective, saved, fs follow
    return Process(pid, command.strip(), ids["Uid"], ids["Gid"])


def listening_pid(port: int, candidates: list[int]) -> int | None:
    """Which of ``candidates`` holds the socket listening on 127.0.0.1:``port``."""
    inodes = set()
    local = f"0100007F:{port:04X}"  # /proc/net/tcp: little-endian address, hex port
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[3] == "0A":  # 0A: LISTEN
            inodes.add(f"socket:[{fields[9]}]")
    for pid in candidates:
        with contextlib.suppress(OSError):
            for fd in (Path("/proc") / str(pid) / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in inodes:
                        return pid
    return None


def healthcheck_command(config: dict[str, Any]) -> list[str]:
    """The image's HEALTHCHECK as an argument vector."""
    test: list[str] = (config.get("Healthcheck") or {}).get("Test") or []
    if not test or test[0] == "NONE":
        raise BuildError("the image has no HEALTHCHECK (was it built with --format docker?)")
    if test[0] == "CMD":
        return test[1:]
    if test[0] == "CMD-SHELL":
        return ["/bin/sh", "-c", test[1]]
    raise BuildError(f"unknown HEALTHCHECK form {test!r}")


def run_image(buildah: Buildah, image: str = IMAGE, port: int = 8080) -> RunResult:
    """Run the image's entry point, check its health check route, user and HEALTHCHECK, and
    stop it with its STOPSIGNAL."""
    info = buildah.inspect_image(image)
    config: dict[str, Any] = info["Docker"]["config"]
    entrypoint: list[str] = [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
    if not entrypoint:
        raise BuildError(f"{image} has neither ENTRYPOINT nor CMD")
    health = healthcheck_command(config)
    if not port_is_free(port):
        raise BuildError(f"port {port} on 127.0.0.1 is taken: choose another with --port")
    log_dir = buildah.log_dir
    with kinesis_server(log_dir) as (endpoint, stream):
        env = {
            **DUMMY_AWS,
            "AWS_ENDPOINT_URL_KINESIS": endpoint,
            "REGION": REGION,
            "STREAM_NAME": stream,
            # Chroot isolation shares the machine's network: loopback only.
            "HOST": "127.0.0.1",
            "PORT": str(port),
        }
        env_args = [arg for key, value in env.items() for arg in ("--env", f"{key}={value}")]
        name = f"producer-check-{uuid.uuid4().hex[:8]}"
        container = buildah("from", "--pull=never", "--name", name, image)
        service_log = log_dir / "service.log"
        try:
            with service_log.open("wb") as out:
                service = subprocess.Popen(
                    buildah.command(
                        "run", "--isolation", "chroot", *env_args, container, "--", *entrypoint
                    ),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            try:
                return check_service(
                    buildah, container, env_args, service, service_log, port, info, health
                )
            finally:
                for pid in descendants(service.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                if service.poll() is None:
                    service.kill()
                service.wait()
        finally:
            buildah.remove_container(container)


def check_service(
    buildah: Buildah,
    container: str,
    env_args: list[str],
    service: subprocess.Popen[bytes],
    service_log: Path,
    port: int,
    info: dict[str, Any],
    health: list[str],
) -> RunResult:
    config: dict[str, Any] = info["Docker"]["config"]
    with timed("buildah run (the image's entry point), waiting for GET /healthcheck"):
        status = wait_for(f"http://127.0.0.1:{port}/healthcheck", 60, service, service_log)
    processes = [process(pid) for pid in descendants(service.pid)]
    served_pid = listening_pid(port, [p.pid for p in processes])
    if served_pid is None:
        raise BuildError(f"no process below buildah run listens on 127.0.0.1:{port}")
    served = next(p for p in processes if p.pid == served_pid)
    progress(f"GET /healthcheck: {status}; served by {served}")
    for other in processes:
        if other.pid != served_pid:
            progress(f"  and {other}")
    with timed("the image's HEALTHCHECK command, inside the container"):
        health_run = subprocess.run(
            buildah.command("run", "--isolation", "chroot", *env_args, container, "--", *health),
            capture_output=True,
            text=True,
            timeout=30,
        )
    progress(f"HEALTHCHECK CMD {health}: exit {health_run.returncode}")
    result = RunResult(
        image_id=info.get("FromImageID", ""),
        config_user=config.get("User", ""),
        healthcheck_status=status,
        served=served,
        processes=processes,
        healthcheck_command=health,
        healthcheck_exit=health_run.returncode,
        healthcheck_output=(health_run.stdout + health_run.stderr).strip(),
    )
    # What a container engine does to stop it: STOPSIGNAL to the entry point's process.
    stop_signal = config.get("StopSignal") or "SIGTERM"
    signum = signal.Signals[stop_signal if stop_signal.startswith("SIG") else f"SIG{stop_signal}"]
    started = time.monotonic()
    os.kill(served.pid, signum)
    with contextlib.suppress(subprocess.TimeoutExpired):
        result.stop_exit = service.wait(40)
        result.stop_seconds = time.monotonic() - started
        progress(f"{signum.name}: exit {result.stop_exit} after {result.stop_seconds:.1f} s")
    # The same command with nothing listening must fail, or its exit 0 above proves nothing.
    result.healthcheck_exit_stopped = subprocess.run(
        buildah.command("run", "--isolation", "chroot", *env_args, container, "--", *health),
        capture_output=True,
        timeout=30,
    ).returncode
    progress(f"HEALTHCHECK once stopped: exit {result.healthcheck_exit_stopped}")
    return result


def check(result: RunResult) -> list[str]:
    """What is wrong with a run; empty when the image behaved."""
    problems = []
    if result.healthcheck_status != 200:
        problems.append(f"GET /healthcheck answered {result.healthcheck_status}")
    declared = result.config_user.split(":")
    if not declared[0].isdigit() or int(declared[0]) == 0:
        problems.append(f"the image's USER is {result.config_user!r}, not a numeric non-root uid")
    for proc in result.container_processes:
        if proc.uid == 0 or proc.gid == 0:
            problems.append(f"runs as root: {proc}")
        elif declared[0].isdigit() and proc.uid != int(declared[0]):
            problems.append(f"USER {result.config_user}, yet {proc}")
    if result.healthcheck_exit != 0:
        problems.append(
            f"the HEALTHCHECK command exited {result.healthcheck_exit}: {result.healthcheck_output}"
        )
    if result.healthcheck_exit_stopped == 0:
        problems.append("the HEALTHCHECK command exits 0 even with the service stopped")
    if result.stop_exit != 0:
        problems.append(f"on its STOPSIGNAL the service exited {result.stop_exit}")
    return problems
