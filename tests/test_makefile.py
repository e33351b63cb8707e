"""The Makefile's guardrails: the Python it needs, and a venv that follows the interpreter."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import ROOT

# A stand-in interpreter of Python 3.10: it answers what the Makefile asks of an interpreter.
FAKE_PYTHON_310 = """#!/bin/sh
case "$*" in
  --version) echo "Python 3.10.12" ;;
  *cache_tag*) echo "cpython-310-3-10-12" ;;
  *) exit 1 ;;
esac
"""


def _make(*arguments: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(
        ["make", "--no-print-directory", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_python_older_than_3_11_stops_make_at_once(tmp_path: Path) -> None:
    python = tmp_path / "python3.10"
    python.write_text(FAKE_PYTHON_310)
    python.chmod(0o755)
    result = _make("synth", f"PYTHON={python}")
    assert result.returncode != 0
    assert "error: Python 3.11 or later is needed" in result.stderr
    assert "Python 3.10.12" in result.stderr
    assert "run make PYTHON=/path/to/python3.11" in result.stderr
    assert "installing" not in result.stdout  # stopped before any install


def test_a_venv_made_by_another_interpreter_is_rebuilt() -> None:
    planned = _make("-n", "synth", "PYTHON_ID=cpython-399-3-99-0").stdout
    assert "was not made with" in planned
    assert "rm -rf .venv" in planned
    assert "-m venv .venv" in planned


def test_the_same_interpreter_keeps_the_venv() -> None:
    planned = _make("-n", "synth").stdout
    assert "-m venv" not in planned
    assert "rm -rf .venv" not in planned


def test_make_installs_each_venv_from_its_lock_with_hashes() -> None:
    planned = _make("-n", "-B", "install").stdout
    for lock in ("requirements.lock", "requirements-dev.lock", "requirements-scan.lock"):
        lines = [line for line in planned.splitlines() if line.endswith(f" -r {lock}")]
        assert lines, f"{lock} is not installed"
        assert all("--no-deps --require-hashes" in line for line in lines), lines
    assert "npm ci " in planned
    assert "pip install --upgrade" not in planned


def test_a_changed_lock_rebuilds_the_venv() -> None:
    planned = _make("-n", "synth", "LOCKS_ID=000000000000").stdout
    assert "rm -rf .venv" in planned
    assert "-m venv .venv" in planned
