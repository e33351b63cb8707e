"""Every installed version comes from a lock: the locks against their inputs and the venvs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib.metadata import distributions
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from scripts.locks import (
    ENVIRONMENTS,
    ROOT,
    Environment,
    disagreements,
    npm_resolved,
    pins,
    read_lock,
)

# What python -m venv puts in a venv before anything is installed; no lock names them.
VENV_TOOLS = {"pip", "setuptools"}


@pytest.mark.parametrize("environment", ENVIRONMENTS, ids=lambda e: e.name)
def test_each_lock_agrees_with_its_inputs(environment: Environment) -> None:
    constraints = tuple(ROOT / c for c in environment.constraints)
    found = disagreements(ROOT / environment.inputs, ROOT / environment.lock, constraints)
    assert found == [], "run make lock:\n" + "\n".join(found)


def _copy_environment(tmp_path: Path, inputs: str, lock: str) -> tuple[Path, Path]:
    (tmp_path / Path(inputs).parent).mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / inputs, tmp_path / inputs)
    shutil.copy(ROOT / lock, tmp_path / lock)
    return tmp_path / inputs, tmp_path / lock


PRODUCER = ("producer/requirements.txt", "producer/requirements.lock")


@pytest.mark.parametrize(
    ("environment", "old", "new", "expected"),
    [
        pytest.param(
            PRODUCER,
            "aiohttp==3.14.5",
            "aiohttp==3.14.6",
            "requirements.lock: aiohttp==3.14.5 does not satisfy aiohttp==3.14.6",
            id="a pin changed",
        ),
        pytest.param(
            PRODUCER,
            "uvloop==0.23.0\n",
            "",
            "requirements.lock: uvloop is no longer in producer/requirements.txt",
            id="a requirement removed",
        ),
        pytest.param(
            ("requirements-scan.txt", "requirements-scan.lock"),
            "checkov==",
            "attrs>=99\ncheckov==",
            "requirements-scan.lock: attrs==26.1.0 does not satisfy attrs>=99",
            id="a requirement added",
        ),
    ],
)
def test_an_input_edited_without_make_lock_is_found(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    environment: tuple[str, str],
    old: str,
    new: str,
    expected: str,
) -> None:
    monkeypatch.setattr("scripts.locks.ROOT", tmp_path)
    inputs, lock = _copy_environment(tmp_path, *environment)
    assert old in inputs.read_text()
    inputs.write_text(inputs.read_text().replace(old, new))
    assert disagreements(inputs, lock) == [expected]


def test_a_shared_package_has_one_version_in_every_lock() -> None:
    producer = pins(read_lock(ROOT / "producer/requirements.lock"))
    app = pins(read_lock(ROOT / "requirements.lock"))
    dev = pins(read_lock(ROOT / "requirements-dev.lock"))
    assert {n: v for n, v in dev.items() if n in producer} == producer
    assert {n: v for n, v in dev.items() if n in app} == app


def test_no_lock_records_where_packages_came_from() -> None:
    for environment in ENVIRONMENTS:
        text = (ROOT / environment.lock).read_text()
        assert "://" not in text, environment.lock
        assert "--index-url" not in text and "--find-links" not in text, environment.lock
    assert list(npm_resolved(json.loads((ROOT / "package-lock.json").read_text()))) == []
    assert "omit-lockfile-registry-resolved=true" in (ROOT / ".npmrc").read_text().splitlines()


def test_package_lock_pins_what_package_json_asks_for() -> None:
    wanted = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    locked = json.loads((ROOT / "package-lock.json").read_text())
    assert locked["packages"][""]["devDependencies"] == wanted
    for name, version in wanted.items():
        assert locked["packages"][f"node_modules/{name}"]["version"] == version, name


def _installed(python: Path) -> dict[str, str]:
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = {canonicalize_name(d["name"]): d["version"] for d in json.loads(listed)}
    return {n: v for n, v in found.items() if n not in VENV_TOOLS}


def test_the_running_venv_holds_exactly_the_dev_lock() -> None:
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}
    installed = {n: v for n, v in installed.items() if n not in VENV_TOOLS}
    assert sys.prefix != sys.base_prefix, "not run from the project's venv"
    assert installed == pins(read_lock(ROOT / "requirements-dev.lock"))


@pytest.mark.slow
def test_the_scanner_venv_holds_exactly_the_scan_lock() -> None:
    python = ROOT / ".venv-scan" / "bin" / "python"
    assert python.exists(), "make test installs .venv-scan before pytest"
    assert _installed(python) == pins(read_lock(ROOT / "requirements-scan.lock"))
