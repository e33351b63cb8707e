#!/usr/bin/env python
"""The entry of the cdktf app: a stack per vars file, each named after its file.

``cdktf synth`` (or ``make synth``) runs this file. It reads the vars file named by
``VARS_FILE``, or else every ``vars/*.tfvars.json``, validates them (``variables.py``) and
writes the Terraform JSON of each deployment to ``cdktf.out/stacks/<name>/cdk.tf.json``, where
``vars/<name>.tfvars.json`` is its vars file (``deployments.py``; the stack is ``stack.py``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pydantic import ValidationError

from deployments import (
    load_deployments,
    remove_stale_output,
    synthesize,
    vars_files,
)
from modules.validation import describe_validation_error
from vars_file import ConfigError, deployment_name, variable_warnings


def main() -> int:
    # The cdktf CLI names the output folder; App() defaults to the same.
    outdir = Path(os.environ.get("CDKTF_OUTDIR") or "cdktf.out")
    files: list[Path] = []
    try:
        files = vars_files(os.environ.get("VARS_FILE"))
        deployments = load_deployments(files)
        for deployment in deployments:
            for warning in variable_warnings(deployment.variables):
                # On stdout too: the cdktf CLI shows all of stderr as [ERROR].
                print(f"warning: {deployment.source}: {warning}")
        synthesize(deployments, outdir)
    except (ConfigError, ValidationError) as exc:
        message = (
            describe_validation_error(exc, " and ".join(map(str, files)))
            if isinstance(exc, ValidationError)
            else str(exc)
        )
        print(f"error: {message}", file=sys.stderr)
        remove_stale_output(outdir, [name for name in map(_name_or_none, files) if name])
        return 2
    # On stdout: the cdktf CLI shows a synth's stderr as [ERROR].
    for deployment in deployments:
        print(f"Synthesized {deployment.source} into stack {deployment.name}")
    return 0


def _name_or_none(vars_file: Path) -> str:
    try:
        return deployment_name(vars_file)
    except ConfigError:
        return ""


if __name__ == "__main__":
    sys.exit(main())
