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

buildah itself is driven by ``scripts/image_buildah.py``, the stand-in is made by
``scripts/image_standin.py`` and the built image is run and checked by ``scripts/image_run.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

# Run as a script, this folder is on the path, not the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.image_buildah import (
    DOCKERFILE,
    IMAGE,
    PRODUCER,
    STORAGE_DRIVER,
    WORK_DIR,
    Buildah,
    BuildError,
    progress,
    timed,
)
from scripts.image_run import check, run_image
from scripts.image_standin import base_spec, build_standin

APT_HINT = "apt-get update && apt-get install -y buildah debootstrap"


def missing_requirements() -> list[str]:
    """What this machine lacks for a build: the tools, and root (debootstrap and buildah's
    chroot isolation need it). Empty when everything is there."""
    missing = [tool for tool in ("buildah", "debootstrap") if shutil.which(tool) is None]
    if os.geteuid() != 0:
        missing.append("root (debootstrap and buildah's chroot isolation run as root)")
    return missing


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


# The command line ---------------------------------------------------------------------------


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
