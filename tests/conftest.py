"""Session-wide settings and the synthesized sample deployment shared by the tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# jsii prints a banner on every process start under Node.js 20; it says nothing about our code.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CHECKPOINT_DISABLE", "1")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sample_vars() -> dict[str, Any]:
    return json.loads((ROOT / "vars" / "test.tfvars.json").read_text())


@pytest.fixture(scope="session")
def deployment(sample_vars: dict[str, Any]) -> dict[str, Any]:
    """The sample deployment (vars/test.tfvars.json), synthesized once per test session."""
    # Imported here: the provider bindings load only for the tests that synthesize.
    from tests.support import synth_deployment

    return synth_deployment(sample_vars)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``main.py`` as ``make synth`` runs it without ``VARS_FILE``: every vars file, once per
    test session; the output folder and what it printed."""
    # A folder whose parents do not exist yet, as cdktf.out/all in a fresh clone.
    outdir = tmp_path_factory.mktemp("out") / "cdktf.out" / "all"
    result = subprocess.run(
        [sys.executable, "main.py"],
        cwd=ROOT,
        env={**os.environ, "CDKTF_OUTDIR": str(outdir), "VARS_FILE": ""},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "deprecat" not in (result.stdout + result.stderr).lower()
    return outdir, result.stdout


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """make test runs the e2e-marked tests from tests/e2e/ alone, beside the rest (which
    leaves them out by marker): an e2e test elsewhere would run in neither lane."""
    outside = [
        item.nodeid
        for item in items
        if item.get_closest_marker("e2e") and not item.nodeid.startswith("tests/e2e/")
    ]
    if outside:
        raise pytest.UsageError(f"e2e tests belong in tests/e2e/: {', '.join(outside)}")
