"""The project's lock files: what each pins, from which inputs, and how they are made.

Each environment has an input file of direct requirements and a lock that ``make lock`` writes
with uv (every distribution, direct and transitive, at one version, with its hashes). Make
installs a lock with ``pip install --no-deps --require-hashes``, so a venv holds exactly what
its lock says; ``tests/test_locks.py`` holds the locks against their inputs and the venvs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Environment:
    """One locked environment: its input file, its lock, and the locks it must agree with."""

    name: str
    inputs: str
    lock: str
    constraints: tuple[str, ...] = ()


# In the order make lock resolves them: a lock is constrained by the ones before it, so that a
# package shared by the image, the app and the dev venv has one version in all three.
ENVIRONMENTS = (
    Environment("producer", "producer/requirements.txt", "producer/requirements.lock"),
    Environment("app", "requirements.txt", "requirements.lock", ("producer/requirements.lock",)),
    Environment(
        "dev",
        "requirements-dev.txt",
        "requirements-dev.lock",
        ("requirements.lock", "producer/requirements.lock"),
    ),
    Environment("scan", "requirements-scan.txt", "requirements-scan.lock"),
    # CDK Terrain takes constructs < 10.8, so the app's lock cannot constrain it; the
    # producer's can, and gives the packages it shares with the app the app's versions.
    Environment(
        "cdktn",
        "requirements-cdktn.txt",
        "requirements-cdktn.lock",
        ("producer/requirements.lock",),
    ),
)

UV_COMPILE = (
    "pip",
    "compile",
    "--quiet",
    "--universal",
    "--python-version",
    "3.11",
    "--generate-hashes",
    "--custom-compile-command",
    "make lock",
)


@dataclass(frozen=True)
class Locked:
    """One line of a lock: a distribution at one version, where its marker holds."""

    name: NormalizedName
    version: str
    marker: Marker | None
    hashes: tuple[str, ...]
    via: tuple[str, ...]

    def applies(self) -> bool:
        return self.marker is None or self.marker.evaluate()


_ENTRY = re.compile(r"^(?P<requirement>[A-Za-z0-9][^\\]*?)\s*\\?$")


def read_lock(path: Path) -> list[Locked]:
    """The entries of a uv lock, with their hashes and what pulls each in ("# via")."""
    entries: list[Locked] = []
    requirement: Requirement | None = None
    hashes: list[str] = []
    via: list[str] = []

    def close() -> None:
        if requirement is None:
            return
        (specifier,) = requirement.specifier
        if specifier.operator != "==":
            raise ValueError(f"{path.name}: {requirement} is not pinned with ==")
        entries.append(
            Locked(
                canonicalize_name(requirement.name),
                specifier.version,
                requirement.marker,
                tuple(hashes),
                tuple(via),
            )
        )

    for raw in path.read_text().splitlines():
        line = raw.strip()
        match = _ENTRY.match(raw)
        if match:
            close()
            requirement, hashes, via = Requirement(match["requirement"]), [], []
        elif line.startswith("--hash="):
            hashes.append(line.removeprefix("--hash=").rstrip(" \\"))
        elif requirement is not None and line.startswith("#"):
            text = line.lstrip("# ").removeprefix("via").strip()
            if text:
                via.append(text)
        elif line and not line.startswith("#"):
            raise ValueError(f"{path.name}: unexpected line {raw!r}")
    close()
    return entries


def read_inputs(path: Path, follow: bool = True) -> list[Requirement]:
    """The requirements of an input file, and of the files it includes with ``-r``."""
    found: list[Requirement] = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            if follow:
                found.extend(read_inputs(path.parent / line.removeprefix("-r ").strip()))
        elif line.startswith("-"):
            raise ValueError(f"{path.name}: option {line!r} belongs in the Makefile, not here")
        else:
            found.append(Requirement(line))
    return found


def pins(entries: list[Locked]) -> dict[NormalizedName, str]:
    """Name to version of the entries that apply to this interpreter and platform."""
    return {entry.name: entry.version for entry in entries if entry.applies()}


def disagreements(inputs: Path, lock: Path, constraints: tuple[Path, ...] = ()) -> list[str]:
    """How a lock and its inputs disagree: each a sentence naming the package, or none."""
    entries = read_lock(lock)
    locked = {entry.name: entry for entry in entries}
    found: list[str] = []
    direct: dict[str, set[NormalizedName]] = {}
    for requirement in read_inputs(inputs):
        name = canonicalize_name(requirement.name)
        entry = locked.get(name)
        if entry is None:
            found.append(f"{lock.name}: {requirement} of {inputs.name} is not locked")
        elif not requirement.specifier.contains(entry.version, prereleases=True):
            found.append(f"{lock.name}: {name}=={entry.version} does not satisfy {requirement}")
    for path in _included(inputs):
        direct[str(path.relative_to(ROOT))] = {
            canonicalize_name(r.name) for r in read_inputs(path, follow=False)
        }
    for constraint in constraints:
        for pinned in read_lock(constraint):
            entry = locked.get(pinned.name)
            if entry is not None and entry.version != pinned.version:
                found.append(
                    f"{lock.name}: {pinned.name}=={entry.version}, "
                    f"but {constraint.name} of {constraint.parent.name} has {pinned.version}"
                )
    for entry in entries:
        if not entry.hashes:
            found.append(f"{lock.name}: {entry.name} has no hash")
        if not entry.via:
            found.append(f"{lock.name}: nothing pulls in {entry.name}")
        for source in entry.via:
            if source.startswith("-r "):
                listed = direct.get(source.removeprefix("-r ").strip(), set())
                if entry.name not in listed:
                    found.append(f"{lock.name}: {entry.name} is no longer in {source[3:]}")
            elif not source.startswith("-c ") and canonicalize_name(source) not in locked:
                found.append(f"{lock.name}: {entry.name} is pulled in by {source}, not locked")
    return found


def _included(inputs: Path) -> list[Path]:
    """An input file and the files it includes with -r."""
    paths = [inputs]
    for raw in inputs.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r "):
            paths.extend(_included(inputs.parent / line.removeprefix("-r ").strip()))
    return paths


# Lines a resolver may write that name where packages came from: the repository names no host.
_SOURCE_OPTIONS = ("--index-url", "--extra-index-url", "--find-links", "-i ", "-f ")


def strip_sources(path: Path) -> None:
    """Drop index and find-links lines; refuse a lock that still names a URL."""
    lines = path.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.lstrip().startswith(_SOURCE_OPTIONS)]
    text = "".join(kept)
    if re.search(r"[a-z][a-z0-9+.-]*://", text):
        raise SystemExit(f"error: {path.relative_to(ROOT)} names a URL; lock from an index by name")
    path.write_text(text)


def lock(upgrade: bool) -> None:
    """Resolve every environment's lock with uv, then package-lock.json with npm."""
    uv = Path(sys.executable).parent / "uv"
    for environment in ENVIRONMENTS:
        started = time.monotonic()
        command = [str(uv), *UV_COMPILE, environment.inputs, "-o", environment.lock]
        for constraint in environment.constraints:
            command += ["-c", constraint]
        if upgrade:
            command.append("--upgrade")
        print(f">> locking {environment.name}: {environment.inputs} -> {environment.lock}")
        subprocess.run(command, cwd=ROOT, check=True, env={**os.environ, "UV_NO_CONFIG": "1"})
        strip_sources(ROOT / environment.lock)
        print(
            f"   {len(read_lock(ROOT / environment.lock))} distributions, "
            f"{time.monotonic() - started:.1f} s"
        )
    print(">> locking the Node.js tools: package.json -> package-lock.json")
    npm = ["npm", "install", "--package-lock-only", "--ignore-scripts", "--no-fund", "--no-audit"]
    npm.append("--omit-lockfile-registry-resolved")
    subprocess.run(npm, cwd=ROOT, check=True)
    resolved = list(npm_resolved(json.loads((ROOT / "package-lock.json").read_text())))
    if resolved:
        raise SystemExit(f"error: package-lock.json records where packages came from: {resolved}")


def npm_resolved(node: object, path: str = "") -> Iterator[str]:
    """The places in package-lock.json that record a download address ("resolved")."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "resolved":
                yield path
            yield from npm_resolved(value, f"{path}/{key}")
    elif isinstance(node, list):
        for item in node:
            yield from npm_resolved(item, path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upgrade", action="store_true", help="newest versions the inputs allow")
    lock(parser.parse_args().upgrade)
