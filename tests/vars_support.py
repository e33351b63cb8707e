"""What the vars-file tests share: the example files, writing a vars file, running main.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = json.loads((ROOT / "vars" / "test.tfvars.json").read_text())
REGION = json.loads((ROOT / "vars" / "region.tfvars.json").read_text())


def write_vars(tmp_path: Path, data: Any) -> Path:
    """A vars file holding ``data`` (a string as it is, anything else as JSON)."""
    path = tmp_path / "vars.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def synth_main(vars_file: Path, outdir: Path) -> subprocess.CompletedProcess[str]:
    """``main.py`` run as the cdktf CLI runs it."""
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=ROOT,
        env={**os.environ, "VARS_FILE": str(vars_file), "CDKTF_OUTDIR": str(outdir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
