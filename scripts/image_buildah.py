"""Driving buildah for scripts/build_image.py: the paths it builds from, its own storage under
the work directory, and the progress and errors it reports."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
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


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


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
