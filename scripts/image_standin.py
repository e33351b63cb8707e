"""The stand-in for the Dockerfile's base image, for scripts/build_image.py.

The official base image (``python:3.11.x-slim-bookworm``, from ECR Public) cannot be pulled
where no container registry is reachable, so the build runs against a stand-in made from
Debian's own packages: ``debootstrap --variant=minbase`` of the Debian release named by the
Dockerfile's ``PYTHON_IMAGE`` tag, with ``STANDIN_PACKAGES``, committed as an image in buildah's
storage and cached under a name that changes with everything that goes into it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from scripts.image_buildah import DOCKERFILE, Buildah, BuildError, progress, tail, timed

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


# The Dockerfile's base ------------------------------------------------------------------


@dataclass(frozen=True)
class BaseSpec:
    """What the Dockerfile's default ``PYTHON_IMAGE`` names:
    ``[<registry>/<path>/]python:X.Y.Z-slim-RELEASE[@sha256:<digest>]``."""

    image: str
    python_minor: str
    debian_release: str


def base_spec(dockerfile: Path = DOCKERFILE) -> BaseSpec:
    """Read the default of ``ARG PYTHON_IMAGE`` and split it into Python version and release."""
    match = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile.read_text(), re.MULTILINE)
    if not match:
        raise BuildError(f"{dockerfile}: no 'ARG PYTHON_IMAGE=...' default")
    image = match.group(1)
    parts = re.fullmatch(
        r"(?:[a-z0-9.-]+/(?:[a-z0-9._-]+/)*)?python:(\d+\.\d+)(?:\.\d+)?-slim-([a-z]+)"
        r"(?:@sha256:[0-9a-f]{64})?",
        image,
    )
    if not parts:
        raise BuildError(f"{dockerfile}: PYTHON_IMAGE={image} is not python:X.Y.Z-slim-RELEASE")
    return BaseSpec(image, parts.group(1), parts.group(2))


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
