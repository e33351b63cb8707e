"""The cdktf CLI around the app: what ``make synth`` of one deployment does to the others."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

# In make test's e2e lane: the cdktf CLI synthesizes a stack, about half a minute.
pytestmark = pytest.mark.e2e

CDKTF = [str(ROOT / "node_modules" / ".bin" / "cdktf")]


def test_synthesizing_one_deployment_leaves_the_others_alone(
    synthesized: tuple[Path, str], tmp_path: Path
) -> None:
    """The cdktf CLI deletes the stack folders its manifest does not name: synthesizing the
    deployment ``test`` alone keeps ``region``'s JSON, ``.terraform`` and saved plan."""
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synthesized[0], outdir)
    region = outdir / "stacks" / "region"
    (region / ".terraform").mkdir()
    (region / ".terraform" / "marker").write_text("")
    (region / "saved.tfplan").write_text("")
    before = (region / "cdk.tf.json").read_bytes()
    result = subprocess.run(
        [*CDKTF, "synth", "--output", str(outdir)],
        cwd=ROOT,
        env={**os.environ, "CI": "1", "VARS_FILE": "vars/test.tfvars.json"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (region / ".terraform" / "marker").exists() and (region / "saved.tfplan").exists()
    assert (region / "cdk.tf.json").read_bytes() == before
    manifest = json.loads((outdir / "manifest.json").read_text())
    assert sorted(manifest["stacks"]) == ["region", "test"]
