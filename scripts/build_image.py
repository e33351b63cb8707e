"""Build the producer's container image with buildah, without a registry, and check that it runs.

    python scripts/build_image.py                # build (cached), run, check
    python scripts/build_image.py --build-only   # build the image, run nothing
    python scripts/build_image.py --rebuild      # run buildah bud even for unchanged inputs
    python scripts/build_image.py --fresh        # drop every cache first: a cold build
    python scripts/build_image.py --storage-driver overlay   # faster, where overlayfs mounts

The official base image (``python:3.11.x-slim-bookworm``) cannot be pulled where no container
registry is reachable, so the build runs against a **stand-in base image** made from Debian's
own packages: ``debootstrap --variant=minbase`` of the Debian release named by the
Dockerfile's ``PYTHON_IMAGE`` tag, with Debian's ``python3``, ``python3-venv`` (pip through
ensurepip), ``python-is-python3`` (``python`` on ``PATH``) and ``ca-certificates``. That is what
the Dockerfile asks of its base: ``python -m venv``, the venv's ``pip``, ``groupadd`` and
``useradd`` (Debian's required packages bring them). It differs from the official image in the
Python patch release (bookworm's 3.11.2 instead of 3.11.14; the minor version is checked to be
the same), where Python lives (``/usr/bin``, not ``/usr/local/bin``) and pip's version; the
Dockerfile relies on none of those. It also trusts the certificate authorities added on the
build machine (see ``LOCAL_CA_DIR``).

The stand-in is passed through the Dockerfile's ``PYTHON_IMAGE`` build argument, and the
producer image is built with ``producer/`` as its context, as the CodeBuild project does
(``modules/templates/buildspec.yml``), so that ``producer/.dockerignore`` applies. buildah runs
with chroot isolation (no OCI runtime, no network namespace), ``--format docker`` (OCI image
configs have no ``HEALTHCHECK``) and the vfs storage driver unless told otherwise.

Then the image runs: ``buildah run`` its entry point against a Kinesis-compatible server (moto,
on loopback, as ``make local`` starts it), waits for ``GET /healthcheck`` to answer 200, reads
the uid and gid of the process listening on the port and of the others from ``/proc``, runs
the image's ``HEALTHCHECK`` command inside the container, stops the service with its
``STOPSIGNAL``, and runs the ``HEALTHCHECK`` again, which must now fail. Chroot isolation
shares the machine's network, so the service listens on 127.0.0.1 only.

Everything is kept under ``.image-build/`` (or ``$IMAGE_BUILD_DIR``): buildah's storage,
debootstrap's package cache, logs. The stand-in is built once; the producer image is rebuilt
only when its inputs change, and then on buildah's layer cache (pip runs again only when the
requirement files change). Needs root and Debian's ``buildah`` and ``debootstrap``; this script
installs nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PRODUCER = ROOT / "producer"
DOCKERFILE = PRODUCER / "Dockerfile"
#: Caches and logs; IMAGE_BUILD_DIR moves them (a CI job can keep them between runs).
WORK_DIR = Path(os.environ.get("IMAGE_BUILD_DIR") or ROOT / ".image-build")
#: vfs by default: it works wherever buildah does; overlay is much faster where it works.
STORAGE_DRIVER = os.environ.get("IMAGE_BUILD_STORAGE_DRIVER") or "vfs"
IMAGE = "localhost/outposts-producer:standin"
STANDIN_REPOSITORY = "localhost/python-standin"
#: Debian packages of the stand-in, on top of debootstrap's minbase (the Essential and
#: required packages, which bring passwd's groupadd/useradd and login's nologin).
STANDIN_PACKAGES = ("python3", "python3-venv", "python-is-python3", "ca-certificates")
#: Where Debian keeps certificate authorities added on the machine. The stand-in trusts them
#: too: pip in the build must reach the package index through whatever TLS-inspecting proxy
#: the machine's own pip goes through (Debian's pip reads the system's CA bundle).
LOCAL_CA_DIR = Path("/usr/local/share/ca-certificates")
#: Part of the stand-in's cache key: bump it when the way the stand-in is made changes.
STANDIN_RECIPE = "1"
APT_HINT = "apt-get update && apt-get install -y buildah debootstrap"
REGION = "us-east-1"
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


class BuildError(RuntimeError):
    """A step of the build or of the checks failed; the message says which and why."""


def progress(message: str) -> None:
    print(f">> {message}", flush=True)


@contextlib.contextmanager
def timed(what: str) -> Iterator[None]:
    """Print ``>> what`` before a long step and its duration after it."""
    progress(f"{what} ...")
    started = time.monotonic()
    yield
    progress(f"{what}: done in {time.monotonic() - started:.1f} s")


def missing_requirements() -> list[str]:
    """What this machine lacks for a build: the tools, and root (debootstrap and buildah's
    chroot isolation need it). Empty when everything is there."""
    missing = [tool for tool in ("buildah", "debootstrap") if shutil.which(tool) is None]
    if os.geteuid() != 0:
        missing.append("root (debootstrap and buildah's chroot isolation run as root)")
    return missing


# The Dockerfile's base ------------------------------------------------------------------


@dataclass(frozen=True)
class BaseSpec:
    """What the Dockerfile's default ``PYTHON_IMAGE`` names: ``python:X.Y.Z-slim-RELEASE``."""

    image: str
    python_minor: str
    debian_release: str


def base_spec(dockerfile: Path = DOCKERFILE) -> BaseSpec:
    """Read the default of ``ARG PYTHON_IMAGE`` and split it into Python version and release."""
    match = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile.read_text(), re.MULTILINE)
    if not match:
        raise BuildError(f"{dockerfile}: no 'ARG PYTHON_IMAGE=...' default")
    image = match.group(1)
    parts = re.fullmatch(r"python:(\d+\.\d+)(?:\.\d+)?-slim-([a-z]+)(?:@sha256:[0-9a-f]+)?", image)
    if not parts:
        raise BuildError(f"{dockerfile}: PYTHON_IMAGE={image} is not python:X.Y.Z-slim-RELEASE")
    return BaseSpec(image, parts.group(1), parts.group(2))


# buildah ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Buildah:
    """buildah on a storage of its own, under the work directory."""

    work_dir: Path
    #: vfs: plain directory copies, works wherever buildah does (inside a container too), but
    #: each layer is a full copy of the file system. overlay: far less copying, where the
    #: kernel lets root mount overlayfs on the work directory's file system.
    storage_driver: str = STORAGE_DRIVER

    def __post_init__(self) -> None:
        # Ignored by git, and so by ruff, wherever it is: it holds whole file systems.
        self.work_dir.mkdir(parents=True, exist_ok=True)
        ignore = self.work_dir / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Caches of scripts/build_image.py\n*\n")

    @property
    def log_dir(self) -> Path:
        return self.work_dir / "logs"

    def command(self, *args: str) -> list[str]:
        return [
            "buildah",
            "--root",
            str(self.work_dir / f"storage-{self.storage_driver}"),
            "--runroot",
            str(self.work_dir / f"run-{self.storage_driver}"),
            "--storage-driver",
            self.storage_driver,
            *args,
        ]

    def __call__(self, *args: str, log: str | None = None, check: bool = True) -> str:
        """Run a buildah command and return its standard output. With ``log``, the output
        (both streams) goes to that file under the logs directory instead, and its tail is
        in the error if the command fails."""
        if log is None:
            result = subprocess.run(self.command(*args), capture_output=True, text=True)
            if check and result.returncode != 0:
                raise BuildError(
                    f"buildah {' '.join(args)} exited {result.returncode}: {result.stderr.strip()}"
                )
            return result.stdout.strip()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / log
        with log_path.open("w") as out:
            status = subprocess.run(
                self.command(*args), stdout=out, stderr=subprocess.STDOUT
            ).returncode
        if check and status != 0:
            raise BuildError(
                f"buildah {args[0]} exited {status}; the end of {log_path}:\n{tail(log_path)}"
            )
        return ""

    def image_exists(self, name: str) -> bool:
        result = subprocess.run(
            self.command("inspect", "--type", "image", name), capture_output=True
        )
        return result.returncode == 0

    def inspect_image(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self("inspect", "--type", "image", name))
        return data

    def remove_container(self, container: str) -> None:
        self("rm", container, check=False)


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# The stand-in base image ----------------------------------------------------------------------


def local_cas() -> list[Path]:
    return sorted(LOCAL_CA_DIR.rglob("*.crt")) if LOCAL_CA_DIR.is_dir() else []


def standin_name(spec: BaseSpec) -> str:
    """The stand-in's name; its tag changes with everything that goes into it, so a cached one
    is reused only while it is what would be built now."""
    key = hashlib.sha256()
    for part in (STANDIN_RECIPE, spec.debian_release, spec.python_minor, *STANDIN_PACKAGES):
        key.update(part.encode() + b"\0")
    for ca in local_cas():
        key.update(ca.read_bytes())
    return f"{STANDIN_REPOSITORY}:{spec.python_minor}-{spec.debian_release}-{key.hexdigest()[:12]}"


def build_standin(buildah: Buildah, spec: BaseSpec) -> str:
    """Build the stand-in base image, unless it is cached; return its name."""
    name = standin_name(spec)
    if buildah.image_exists(name):
        progress(f"stand-in base image {name}: cached")
        return name
    container = buildah("from", "scratch")
    try:
        root = Path(buildah("mount", container))
        with timed(f"debootstrap {spec.debian_release} (minbase + {', '.join(STANDIN_PACKAGES)})"):
            debootstrap(root, spec.debian_release, buildah.work_dir / "debs", buildah.log_dir)
        trim_rootfs(root)
        found = run_in_root(
            root, "python", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"
        )
        if found != spec.python_minor:
            raise BuildError(
                f"Debian {spec.debian_release} has Python {found}, the Dockerfile's base "
                f"{spec.image} has {spec.python_minor}: no honest stand-in"
            )
        if local_cas():
            for ca in local_cas():
                target = root / LOCAL_CA_DIR.relative_to("/") / ca.relative_to(LOCAL_CA_DIR)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ca, target)
            run_in_root(root, "update-ca-certificates")
        version = run_in_root(root, "python", "--version")
        buildah(
            "config",
            # As in the official image: PATH, a UTF-8 locale, python3 as the default command.
            "--env",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "--env",
            "LANG=C.UTF-8",
            "--cmd",
            "python3",
            "--label",
            f"org.opencontainers.image.description=Stand-in for {spec.image}: "
            f"Debian {spec.debian_release} minbase with Debian's {version}",
            container,
        )
        buildah("umount", container)
        buildah("commit", "--quiet", "--format", "docker", "--rm", container, name)
    except BaseException:
        buildah.remove_container(container)
        raise
    progress(f"stand-in base image {name}: built ({version})")
    return name


def debootstrap(root: Path, release: str, cache_dir: Path, log_dir: Path) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "debootstrap.log"
    command = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(STANDIN_PACKAGES)}",
        f"--cache-dir={cache_dir}",
        release,
        str(root),
    ]
    # debootstrap's own default mirror unless one is given.
    if mirror := os.environ.get("DEBIAN_MIRROR"):
        command.append(mirror)
    with log_path.open("w") as out:
        status = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT).returncode
    if status != 0:
        raise BuildError(f"debootstrap exited {status}; the end of {log_path}:\n{tail(log_path)}")


def trim_rootfs(root: Path) -> None:
    """Drop what a slim image does not carry: package lists, caches, logs, and the build
    machine's name-server and host name (buildah provides its own at run time)."""
    for pattern in (
        "var/lib/apt/lists/*",
        "var/cache/apt/*.bin",
        "var/cache/apt/archives/*.deb",
        "var/cache/debconf/*-old",
        "var/log/*.log",
        "var/log/apt/*",
    ):
        for path in root.glob(pattern):
            if path.is_file() or path.is_symlink():
                path.unlink()
    for name in ("etc/resolv.conf", "etc/hostname"):
        path = root / name
        if path.exists() or path.is_symlink():
            path.unlink()
            path.write_text("")


def run_in_root(root: Path, *command: str) -> str:
    """Run a command chrooted into ``root``, with a plain environment, and return its output."""
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    result = subprocess.run(
        ["chroot", str(root), *command], capture_output=True, text=True, env=env
    )
    if result.returncode != 0:
        raise BuildError(
            f"{' '.join(command)} in the stand-in exited {result.returncode}: "
            f"{result.stderr.strip()}"
        )
    return result.stdout.strip()


# The producer image ---------------------------------------------------------------------------


def context_key(base: str) -> str:
    """A digest of everything the build reads: the base image's name (which changes with its
    content), the Dockerfile and every file of the build context."""
    key = hashlib.sha256(base.encode() + b"\0")
    for path in sorted(PRODUCER.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            key.update(str(path.relative_to(PRODUCER)).encode() + b"\0" + path.read_bytes())
    return key.hexdigest()[:16]


def build_producer(buildah: Buildah, base: str, image: str = IMAGE, rebuild: bool = False) -> str:
    """``buildah bud`` of producer/Dockerfile against ``base``; returns the image's id.

    An image built from the same inputs is reused (it is tagged with their digest) unless
    ``rebuild``: even with every layer cached, ``buildah bud`` takes minutes on vfs, copying
    each step's file system."""
    repository = image.rsplit(":", 1)[0]
    keyed = f"{repository}:input-{context_key(base)}"
    if not rebuild and buildah.image_exists(keyed):
        progress(f"{image}: cached, built from these very inputs ({keyed})")
        buildah("tag", keyed, image)
    else:
        with timed(f"buildah bud {image} (PYTHON_IMAGE={base})"):
            buildah(
                "bud",
                "--isolation",
                "chroot",
                # Docker's format: OCI image configs have no HEALTHCHECK, buildah would drop it.
                "--format",
                "docker",
                "--layers",
                "--pull=never",
                "--build-arg",
                f"PYTHON_IMAGE={base}",
                "--tag",
                image,
                "--tag",
                keyed,
                "--file",
                str(DOCKERFILE),
                str(PRODUCER),
                log="bud.log",
            )
        # Older inputs' tags only hold storage.
        for tag in buildah("images", "--noheading", "--format", "{{.Name}}:{{.Tag}}").split():
            if tag.startswith(f"{repository}:input-") and tag != keyed:
                buildah("rmi", tag, check=False)
    return buildah("inspect", "--type", "image", "--format", "{{.FromImageID}}", image)


# Running the image ------------------------------------------------------------------------


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
    kinesis_server_command = importlib.import_module("producer.local").kinesis_server_command

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


# The command line ---------------------------------------------------------------------------


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--work-dir", type=Path, default=WORK_DIR, help="caches and logs")
    parser.add_argument("--port", type=int, default=8080, help="the service's port (loopback)")
    parser.add_argument("--build-only", action="store_true", help="build, do not run")
    parser.add_argument("--fresh", action="store_true", help="drop the work directory first")
    parser.add_argument(
        "--rebuild", action="store_true", help="run buildah bud even if the inputs are unchanged"
    )
    parser.add_argument(
        "--storage-driver",
        choices=("vfs", "overlay"),
        default=STORAGE_DRIVER,
        help="buildah's storage driver (default: $IMAGE_BUILD_STORAGE_DRIVER, else vfs)",
    )
    args = parser.parse_args(argv)
    missing = missing_requirements()
    if missing:
        print(f"build_image: missing {', '.join(missing)}; as root: {APT_HINT}", file=sys.stderr)
        return 2
    work_dir: Path = args.work_dir.resolve()
    if args.fresh and work_dir.exists():
        progress(f"removing {work_dir}")
        shutil.rmtree(work_dir)
    buildah = Buildah(work_dir, args.storage_driver)
    started = time.monotonic()
    try:
        base = build_standin(buildah, base_spec())
        image_id = build_producer(buildah, base, IMAGE, args.rebuild)
        progress(f"{IMAGE}: {image_id[:12]}")
        if args.build_only:
            return 0
        result = run_image(buildah, IMAGE, args.port)
    except BuildError as error:
        print(f"build_image: {error}", file=sys.stderr)
        return 1
    problems = check(result)
    for problem in problems:
        print(f"build_image: {problem}", file=sys.stderr)
    progress(
        f"{'FAILED' if problems else 'all checks passed'} in {time.monotonic() - started:.1f} s"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
