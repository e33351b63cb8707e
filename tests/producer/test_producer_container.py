"""The producer's container image, checked statically (no Docker engine is needed)."""

from __future__ import annotations

import ast
import fnmatch
import json
import re
import shutil
import sys
from importlib.metadata import packages_distributions, version
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from producer_support import run_to_exit

from scripts.locks import read_lock

PRODUCER = Path(__file__).resolve().parents[2] / "producer"
DOCKERFILE = PRODUCER / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    lines: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, rest = line.partition(" ")
        lines.append((keyword.upper(), rest.strip()))
    return lines


def final_stage() -> list[tuple[str, str]]:
    parsed = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(parsed) if keyword == "FROM")
    return parsed[last_from:]


def pins(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, pinned = line.partition("==")
            assert pinned and re.fullmatch(r"[0-9][0-9a-z.]*", pinned), f"not pinned: {line}"
            found[canonicalize_name(name)] = pinned
    return found


def image_pins() -> dict[str, str]:
    """What the image installs: the producer lock's entries for Linux on CPython 3.11."""
    return {entry.name: entry.version for entry in read_lock(PRODUCER / "requirements.lock")}


def test_multi_stage_build_on_an_exactly_pinned_slim_python() -> None:
    parsed = instructions()
    args = dict(rest.split("=", 1) for keyword, rest in parsed if keyword == "ARG" and "=" in rest)
    bases = [rest.split()[0] for keyword, rest in parsed if keyword == "FROM"]
    assert len(bases) >= 2, "multi-stage"
    for base in bases:
        image = args.get(base.strip("${}"), base)
        # ECR Public's mirror of the official image, exact release, pinned by digest.
        assert re.fullmatch(
            r"public\.ecr\.aws/docker/library/python:3\.\d+\.\d+-slim-[a-z]+@sha256:[0-9a-f]{64}",
            image,
        ), image


def test_runs_as_a_non_root_user() -> None:
    users = [rest for keyword, rest in final_stage() if keyword == "USER"]
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    if user.isdigit():
        assert int(user) >= 1000


def test_exposes_8080_with_a_health_check_and_runs_python_m_producer() -> None:
    stage = dict(final_stage())
    assert stage["EXPOSE"].split() == ["8080"]
    # Liveness: a Region-side outage must not get containers replaced in a loop.
    assert "CMD" in stage["HEALTHCHECK"] and "/livez" in stage["HEALTHCHECK"]
    assert json.loads(stage["ENTRYPOINT"]) == ["python", "-m", "producer"]
    assert stage["WORKDIR"] == "/app"


def test_dependencies_come_from_the_pinned_requirement_files() -> None:
    parsed = instructions()
    installs = [rest for keyword, rest in parsed if keyword == "RUN" and "pip install" in rest]
    assert len(installs) == 1
    assert "-r /tmp/requirements.lock" in installs[0]
    assert "--no-deps --require-hashes" in installs[0]
    assert "--only-binary=:all:" in installs[0]
    copied = " ".join(rest for keyword, rest in parsed if keyword == "COPY")
    assert "requirements.lock" in copied
    ignored = (PRODUCER / ".dockerignore").read_text().split()
    assert "!requirements.lock" in ignored
    requirements = pins(PRODUCER / "requirements.txt")
    locked = image_pins()
    for name, pinned in requirements.items():
        assert locked.get(name) == pinned, name
    # The tests ran with exactly these versions.
    for name, pinned in locked.items():
        assert version(name) == pinned, name


def test_every_third_party_import_is_a_dependency_of_the_image() -> None:
    owners = packages_distributions()
    constraints = image_pins()
    stdlib = sys.stdlib_module_names
    for source in PRODUCER.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in stdlib or top.startswith("_") or top == "types_aiobotocore_kinesis":
                    continue  # the standard library; type stubs are only read by mypy
                distributions = {canonicalize_name(d) for d in owners.get(top, [])}
                assert distributions & constraints.keys(), f"{source.name}: {module}"


def _matches(pattern: str, parts: tuple[str, ...], folder: bool) -> bool:
    """Whether ``pattern`` matches the path of ``parts`` (a folder or a file) or a folder
    holding it; a pattern ending in ``/`` matches folders only, and a ``*`` stays within one
    folder, as in Docker's matcher."""
    folders_only = pattern.endswith("/")
    pattern = pattern.rstrip("/")
    depth = pattern.count("/") + 1
    if depth > len(parts) or (folders_only and depth == len(parts) and not folder):
        return False
    return fnmatch.fnmatchcase("/".join(parts[:depth]), pattern)


def context_files() -> list[str]:
    """The build context's files (relative paths) that .dockerignore lets in. A path's last
    matching pattern decides (``!``: in), and a file is in only if every folder holding it is
    in too: buildah does not look into a folder left out, whatever a later pattern says."""
    patterns = [
        line.strip()
        for line in (PRODUCER / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def kept(parts: tuple[str, ...], folder: bool) -> bool:
        decision = True
        for pattern in patterns:
            if _matches(pattern.removeprefix("!"), parts, folder):
                decision = pattern.startswith("!")
        return decision

    included = []
    for path in PRODUCER.rglob("*"):
        parts = path.relative_to(PRODUCER).parts
        folders = (parts[:depth] for depth in range(1, len(parts)))
        if path.is_file() and kept(parts, False) and all(kept(f, True) for f in folders):
            included.append("/".join(parts))
    return sorted(included)


def test_the_build_context_holds_every_source_of_the_package_and_nothing_else() -> None:
    sources = sorted(
        path.relative_to(PRODUCER).as_posix()
        for path in PRODUCER.rglob("*.py")
        if "__pycache__" not in path.parts
    )
    # Byte code of a test run, beside the sources, stays out.
    (PRODUCER / "kinesis" / "__pycache__").mkdir(exist_ok=True)
    assert context_files() == sorted([*sources, "requirements.lock"])


@pytest.mark.timeout(60)
def test_the_image_layout_runs_the_service(tmp_path: Path) -> None:
    """What the Dockerfile copies (the build context into /app/producer, the lock removed)
    starts with python -m producer."""
    app = tmp_path / "app"
    for relative in context_files():
        if relative != "requirements.lock":
            (app / "producer" / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(PRODUCER / relative, app / "producer" / relative)
    result = run_to_exit({"PATH": "/usr/bin:/bin", "PORT": "not-a-port"}, cwd=app)
    # It got as far as reading its configuration: the package imports from that layout.
    assert result.returncode == 2, result.stderr
    assert "STREAM_NAME is not set" in result.stderr
    assert "PORT='not-a-port'" in result.stderr
